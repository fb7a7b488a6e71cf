"""Built-in procedural datasets, so that the quickstart trains without downloading anything.

`builtin:faces[?resolution=R&count=N]`: cartoon faces (`tfgan_fs.data.faces`), unlabelled.

`builtin:shapes[?resolution=R&count=N]`: coloured circles, squares, triangles and rings (classes
0..3, in that order), each in a random saturated colour at a random position, size and rotation,
on a plain or smoothly graded dark background. Edges are anti-aliased analytically (pixel
coverage from a signed distance), which looks like box-filtered supersampling at a fraction of the
cost. Generation is deterministic (a NumPy RandomState with a fixed seed) and takes well under a
second for the default 4096 images at 32x32. Shape parameters are drawn in resolution-independent
units, so the same count at another resolution renders the same scenes.
"""

import numpy as np

from tfgan_fs.data.array_data import ArrayData
from tfgan_fs.data.dataset_info import DatasetError
from tfgan_fs.data.dataset_info import DatasetInfo
from tfgan_fs.data.dataset_info import is_power_of_two
from tfgan_fs.data.faces import make_faces
from tfgan_fs.data.procedural import background, coverage, hsv_to_rgb

PREFIX = "builtin:"
BUILTIN_NAMES = ("shapes", "faces")
SHAPE_CLASSES = ("circle", "square", "triangle", "ring")
DEFAULT_RESOLUTION = 32
DEFAULT_COUNT = 4096
MIN_RESOLUTION, MAX_RESOLUTION = 16, 256
MAX_COUNT = 1_000_000
SHAPES_SEED = 1234
_PIXELS_PER_CHUNK = 1 << 20  # Bounds the float32 working memory of one rendering chunk.


def _draw_params(rng, count):
    """All random scene parameters, in units of the image side, drawn in a fixed order."""
    labels = rng.permutation(np.arange(count) % len(SHAPE_CLASSES))
    radius = rng.uniform(0.16, 0.40, count)  # Circumradius.
    cx = rng.uniform(radius, 1 - radius)
    cy = rng.uniform(radius, 1 - radius)
    angle = rng.uniform(0, 2 * np.pi, count)
    thickness = rng.uniform(0.3, 0.5, count)  # Ring thickness relative to its radius.
    fg = hsv_to_rgb(rng.uniform(0, 1, count), rng.uniform(0.75, 1, count),
                     rng.uniform(0.8, 1, count))
    bg0 = hsv_to_rgb(rng.uniform(0, 1, count), rng.uniform(0, 0.6, count),
                      rng.uniform(0.04, 0.25, count))
    bg1 = hsv_to_rgb(rng.uniform(0, 1, count), rng.uniform(0, 0.6, count),
                      rng.uniform(0.04, 0.25, count))
    plain = rng.uniform(0, 1, count) < 0.5
    bg1[plain] = bg0[plain]
    grad_angle = rng.uniform(0, 2 * np.pi, count)
    return dict(labels=labels, radius=radius, cx=cx, cy=cy, angle=angle, thickness=thickness,
                fg=fg, bg0=bg0, bg1=bg1, grad_angle=grad_angle)


def _signed_distance(cls, u, v, r, thickness):
    """Signed distance (pixels, negative inside) of shape class `cls` in rotated coords u, v."""
    if cls == 0:  # Circle.
        return np.hypot(u, v) - r
    if cls == 1:  # Square with circumradius r.
        return np.maximum(np.abs(u), np.abs(v)) - r * float(np.sqrt(0.5))
    if cls == 2:  # Equilateral triangle with circumradius r (inradius r / 2).
        normals = (np.pi / 2, np.pi / 2 + 2 * np.pi / 3, np.pi / 2 + 4 * np.pi / 3)
        d = [u * float(np.cos(a)) + v * float(np.sin(a)) for a in normals]
        return np.maximum(np.maximum(d[0], d[1]), d[2]) - r / 2
    width = thickness * r  # Ring with outer radius r.
    return np.abs(np.hypot(u, v) - (r - width / 2)) - width / 2


def _render(params, sel, resolution):
    """Renders the images `sel` (an index array) as uint8 [len(sel), R, R, 3]."""
    res = float(resolution)
    coords = np.arange(resolution, dtype=np.float32) + 0.5
    x, y = coords[None, None, :], coords[None, :, None]

    # Background: a linear gradient from bg0 to bg1 along grad_angle (plain when they match).
    t = background(x / res, y / res, params["grad_angle"][sel])
    alpha = np.empty([len(sel), resolution, resolution], np.float32)
    labels = params["labels"][sel]
    for cls in range(len(SHAPE_CLASSES)):
        rows = np.nonzero(labels == cls)[0]
        if not len(rows):
            continue
        idx = sel[rows]

        def col(name, idx=idx):
            return params[name][idx].astype(np.float32)[:, None, None]

        dx, dy = x - col("cx") * res, y - col("cy") * res
        cos, sin = np.cos(col("angle")), np.sin(col("angle"))
        u, v = dx * cos + dy * sin, dy * cos - dx * sin
        sdf = _signed_distance(cls, u, v, col("radius") * res, col("thickness"))
        alpha[rows] = coverage(sdf)

    # Composite channel by channel: [N, R, R] planes are much faster than a trailing axis of 3.
    out = np.empty([len(sel), resolution, resolution, 3], np.uint8)
    for c in range(3):
        bg0 = params["bg0"][sel, c].astype(np.float32)[:, None, None]
        bg1 = params["bg1"][sel, c].astype(np.float32)[:, None, None]
        fg = params["fg"][sel, c].astype(np.float32)[:, None, None]
        back = bg0 + (bg1 - bg0) * t
        out[..., c] = np.rint((back + (fg - back) * alpha) * 255)
    return out


def make_shapes(resolution=DEFAULT_RESOLUTION, count=DEFAULT_COUNT, seed=SHAPES_SEED):
    """Generates the shapes dataset.

    Args:
        resolution: Image side in pixels.
        count: Number of images (classes are balanced to within one image).
        seed: RandomState seed.

    Returns:
        (images uint8 [count, resolution, resolution, 3], labels int64 [count]).
    """
    params = _draw_params(np.random.RandomState(seed), count)
    images = np.empty([count, resolution, resolution, 3], np.uint8)
    chunk = max(1, _PIXELS_PER_CHUNK // (resolution * resolution))
    for start in range(0, count, chunk):
        sel = np.arange(start, min(start + chunk, count))
        images[sel] = _render(params, sel, resolution)
    return images, params["labels"].astype(np.int64)


def parse_builtin_spec(spec):
    """Parses 'builtin:NAME[?key=value&...]'.

    Args:
        spec: The spec string.

    Returns:
        (name, options): name in `BUILTIN_NAMES`; options a dict with int 'resolution' and
        'count'.

    Raises:
        DatasetError: Unknown name or option, bad or repeated value.
    """
    if not spec.startswith(PREFIX):
        raise DatasetError(f"{spec!r} is not a built-in dataset spec ({PREFIX}NAME[?...])")
    name, _, query = spec[len(PREFIX):].partition("?")
    if name not in BUILTIN_NAMES:
        raise DatasetError(f"unknown built-in dataset {name!r} in {spec!r} "
                           f"(available: {', '.join(BUILTIN_NAMES)})")
    options = {"resolution": DEFAULT_RESOLUTION, "count": DEFAULT_COUNT}
    seen = set()
    for part in query.split("&") if query else []:
        key, eq, value = part.partition("=")
        if not eq or key not in options:
            raise DatasetError(f"bad option {part!r} in {spec!r} (expected key=value with key "
                               f"one of: {', '.join(options)})")
        if key in seen:
            raise DatasetError(f"option {key!r} given twice in {spec!r}")
        seen.add(key)
        try:
            options[key] = int(value)
        except ValueError:
            raise DatasetError(f"option {key}={value!r} in {spec!r} is not an integer") from None
    res, count = options["resolution"], options["count"]
    if not (is_power_of_two(res) and MIN_RESOLUTION <= res <= MAX_RESOLUTION):
        raise DatasetError(f"resolution={res} in {spec!r} must be a power of two between "
                           f"{MIN_RESOLUTION} and {MAX_RESOLUTION}")
    if not 1 <= count <= MAX_COUNT:
        raise DatasetError(f"count={count} in {spec!r} must be between 1 and {MAX_COUNT}")
    return name, options


def open_builtin(spec):
    """Generates the built-in dataset named by `spec` (see `parse_builtin_spec`).

    Args:
        spec: e.g. 'builtin:shapes', 'builtin:shapes?resolution=64&count=2048' or
            'builtin:faces'.

    Returns:
        An `ArrayData`; its name is e.g. 'shapes32' or 'faces32' (with '-N' appended for a
        non-default count, e.g. 'shapes64-2048').
    """
    kind, options = parse_builtin_spec(spec)
    res, count = options["resolution"], options["count"]
    name = f"{kind}{res}" if count == DEFAULT_COUNT else f"{kind}{res}-{count}"
    if kind == "faces":
        info = DatasetInfo(name=name, resolution=res, channels=3, count=count)
        return ArrayData(info, make_faces(res, count))
    images, labels = make_shapes(res, count)
    info = DatasetInfo(
        name=name, resolution=res, channels=3, count=count, num_classes=len(SHAPE_CLASSES),
        class_names=SHAPE_CLASSES,
        label_counts=tuple(int(c) for c in np.bincount(labels, minlength=len(SHAPE_CLASSES))))
    return ArrayData(info, images, labels)
