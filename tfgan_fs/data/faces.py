"""`builtin:faces`: procedurally drawn cartoon faces, a built-in dataset with structure.

Each image is a face (a skin-coloured ellipse) with hair behind it (the top of a larger
ellipse above a hairline), two eyes (white sclera, dark pupil looking in a random direction)
and a mouth (a dark red ellipse, from a closed line to an open mouth), on a plain or graded
background like `builtin:shapes`'. Every face has the same parts in the same arrangement, as
real face datasets do, so few-shot experiments can tell a generator that learnt the structure
from one that did not; the parts vary in size, position and colour. Unlabelled. Drawing is
deterministic (NumPy RandomState, fixed seed), anti-aliased from approximate signed distances,
and in units of the image side, so a count renders the same faces at every resolution.
"""

import numpy as np

from tfgan_fs.data.procedural import background, coverage, hsv_to_rgb

FACES_SEED = 4321
_PIXELS_PER_CHUNK = 1 << 20


def _draw_params(rng, count):
    """All random face parameters, in units of the image side, drawn in a fixed order."""
    u = lambda lo, hi: rng.uniform(lo, hi, count)  # noqa: E731
    rx = u(0.24, 0.32)
    p = dict(cx=u(0.42, 0.58), cy=u(0.48, 0.6), rx=rx, ry=rx * u(1.05, 1.25))
    p["skin"] = hsv_to_rgb(u(0.03, 0.11), u(0.25, 0.6), u(0.55, 1.0))
    p["hair"] = hsv_to_rgb(u(0, 1), u(0.2, 1.0), u(0.1, 0.85))
    p["hair_scale"] = u(1.08, 1.22)   # hair ellipse / face ellipse
    p["hairline"] = u(0.05, 0.45)     # hairline height above the centre, in ry
    p["eye_dx"], p["eye_dy"] = u(0.34, 0.5), u(0.02, 0.25)  # in rx, ry
    p["eye_r"], p["pupil"] = u(0.13, 0.2), u(0.45, 0.7)     # in rx, in eye radii
    p["gaze_x"], p["gaze_y"] = u(-0.35, 0.35), u(-0.25, 0.25)
    p["iris"] = hsv_to_rgb(u(0, 1), u(0.3, 0.9), u(0.1, 0.4))
    p["mouth_y"], p["mouth_w"], p["mouth_h"] = u(0.38, 0.58), u(0.22, 0.45), u(0.03, 0.2)
    p["lips"] = hsv_to_rgb(u(0.95, 1.0), u(0.5, 0.9), u(0.35, 0.7))
    p["bg0"] = hsv_to_rgb(u(0, 1), u(0, 0.6), u(0.04, 0.35))
    p["bg1"] = hsv_to_rgb(u(0, 1), u(0, 0.6), u(0.04, 0.35))
    plain = u(0, 1) < 0.5
    p["bg1"][plain] = p["bg0"][plain]
    p["grad_angle"] = u(0, 2 * np.pi)
    return p


def _ellipse_sdf(x, y, cx, cy, rx, ry):
    """Approximate signed distance (pixels) to an axis-aligned ellipse."""
    return (np.hypot((x - cx) / rx, (y - cy) / ry) - 1) * np.minimum(rx, ry)


def _render(p, sel, resolution):
    """uint8 [len(sel), R, R, 3] of the faces `sel`."""
    res = float(resolution)
    coords = np.arange(resolution, dtype=np.float32) + 0.5
    x, y = coords[None, None, :], coords[None, :, None]

    def col(name):
        return p[name][sel].astype(np.float32)[:, None, None] * res

    def ratio(name):
        return p[name][sel].astype(np.float32)[:, None, None]

    cx, cy, rx, ry = col("cx"), col("cy"), col("rx"), col("ry")
    s = ratio("hair_scale")
    hair = np.minimum(coverage(_ellipse_sdf(x, y, cx, cy - 0.08 * ry, rx * s, ry * s)),
                      coverage(y - (cy - ratio("hairline") * ry)))
    face = coverage(_ellipse_sdf(x, y, cx, cy, rx, ry))
    eye_r = ratio("eye_r") * rx
    layers = [(hair, "hair"), (face, "skin")]
    for side in (-1, 1):
        ex, ey = cx + side * ratio("eye_dx") * rx, cy - ratio("eye_dy") * ry
        pupil_r = ratio("pupil") * eye_r
        px = ex + ratio("gaze_x") * (eye_r - pupil_r)
        py = ey + ratio("gaze_y") * (eye_r - pupil_r)
        layers += [(coverage(_ellipse_sdf(x, y, ex, ey, eye_r, eye_r)), "white"),
                   (coverage(_ellipse_sdf(x, y, px, py, pupil_r, pupil_r)), "iris")]
    mouth = coverage(_ellipse_sdf(x, y, cx, cy + ratio("mouth_y") * ry, ratio("mouth_w") * rx,
                                  np.maximum(ratio("mouth_h") * ry, 0.6)))
    layers.append((mouth, "lips"))

    t = background(x / res, y / res, p["grad_angle"][sel])
    out = np.empty([len(sel), resolution, resolution, 3], np.uint8)
    for c in range(3):
        bg0 = p["bg0"][sel, c].astype(np.float32)[:, None, None]
        bg1 = p["bg1"][sel, c].astype(np.float32)[:, None, None]
        img = bg0 + (bg1 - bg0) * t
        for alpha, name in layers:
            colour = (np.float32(0.95) if name == "white"
                      else p[name][sel, c].astype(np.float32)[:, None, None])
            img = img + (colour - img) * alpha
        out[..., c] = np.rint(np.clip(img, 0, 1) * 255)
    return out


def make_faces(resolution, count, seed=FACES_SEED):
    """Generates the faces dataset: uint8 [count, resolution, resolution, 3]."""
    params = _draw_params(np.random.RandomState(seed), count)
    images = np.empty([count, resolution, resolution, 3], np.uint8)
    chunk = max(1, _PIXELS_PER_CHUNK // (resolution * resolution))
    for start in range(0, count, chunk):
        sel = np.arange(start, min(start + chunk, count))
        images[sel] = _render(params, sel, resolution)
    return images
