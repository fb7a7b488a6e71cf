"""Independent NumPy/SciPy re-implementation of StyleGAN2-ADA's augmentation pipe for the tests.

Written from the algorithm of NVlabs/stylegan2-ada-pytorch `training/augment.py` and
`torch_utils/ops/upfirdn2d.py` (NCHW there, NHWC here), with every random draw replaced by its
`debug_percentile` value, in float64. Nothing here calls `tfgan_fs`.

Coordinates: 2-D matrices act on (x, y, 1) with x along the width axis and y along the height
axis, centred on the image (pixel index j sits at j - (size - 1) / 2); `G_inv @ out = in`.
"""

import numpy as np
import scipy.signal
import scipy.special

# Low-pass decomposition filters as listed in the reference's `wavelets` table.
SYM2 = [-0.12940952255092145, 0.22414386804185735, 0.836516303737469, 0.48296291314469025]
SYM6 = [0.015404109327027373, 0.0034907120842174702, -0.11799011114819057, -0.048311742585633,
        0.4910559419267466, 0.787641141030194, 0.3379294217276218, -0.07263752278646252,
        -0.021060292512300564, 0.04472490177066578, 0.0017677118642428036,
        -0.007800708325034148]

# Reference defaults of every AugmentPipe argument (multipliers off).
DEFAULTS = dict(
    xflip=0, rotate90=0, xint=0, xint_max=0.125,
    scale=0, rotate=0, aniso=0, xfrac=0, scale_std=0.2, rotate_max=1, aniso_std=0.2,
    xfrac_std=0.125,
    brightness=0, contrast=0, lumaflip=0, hue=0, saturation=0, brightness_std=0.2,
    contrast_std=0.5, hue_max=1, saturation_std=1,
    imgfilter=0, imgfilter_bands=(1, 1, 1, 1), imgfilter_std=1,
    noise=0, cutout=0, noise_std=0.1, cutout_size=0.5,
)
BLIT_NAMES = ("xflip", "rotate90", "xint")
GEOM_NAMES = ("scale", "rotate", "aniso", "xfrac")
COLOR_NAMES = ("brightness", "contrast", "lumaflip", "hue", "saturation")


def erfinv(x):
    return float(scipy.special.erfinv(x))


def full_config(**kwargs):
    cfg = dict(DEFAULTS)
    unknown = set(kwargs) - set(cfg)
    assert not unknown, unknown
    cfg.update(kwargs)
    return cfg


# ---------------------------------------------------------------------------------------------
# Matrices (single, float64).

def translate2d(tx, ty):
    return np.array([[1, 0, tx], [0, 1, ty], [0, 0, 1]], np.float64)


def scale2d(sx, sy):
    return np.array([[sx, 0, 0], [0, sy, 0], [0, 0, 1]], np.float64)


def rotate2d(theta):
    c, s = np.cos(theta), np.sin(theta)
    return np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]], np.float64)


def translate2d_inv(tx, ty):
    return translate2d(-tx, -ty)


def scale2d_inv(sx, sy):
    return scale2d(1.0 / sx, 1.0 / sy)


def rotate2d_inv(theta):
    return rotate2d(-theta)


def translate3d(tx, ty, tz):
    m = np.eye(4)
    m[:3, 3] = [tx, ty, tz]
    return m


def scale3d(sx, sy, sz):
    return np.diag([sx, sy, sz, 1.0])


def rotate3d(axis, theta):
    """Rodrigues rotation by theta about the unit 3-vector `axis`, homogeneous 4x4."""
    axis = np.asarray(axis, np.float64)
    k = np.array([[0, -axis[2], axis[1]], [axis[2], 0, -axis[0]], [-axis[1], axis[0], 0]])
    r = np.eye(3) + np.sin(theta) * k + (1 - np.cos(theta)) * (k @ k)
    m = np.eye(4)
    m[:3, :3] = r
    return m


LUMA4 = np.array([1, 1, 1, 0], np.float64) / np.sqrt(3)


def geom_matrix(cfg, q, height, width):
    """The reference's G_inv for debug percentile q (every enabled transform applied)."""
    G = np.eye(3)
    if cfg["xflip"] > 0:
        i = np.floor(q * 2)
        G = G @ scale2d_inv(1 - 2 * i, 1)
    if cfg["rotate90"] > 0:
        i = np.floor(q * 4)
        G = G @ rotate2d_inv(-np.pi / 2 * i)
    if cfg["xint"] > 0:
        t = (q * 2 - 1) * cfg["xint_max"]
        G = G @ translate2d_inv(np.round(t * width), np.round(t * height))
    if cfg["scale"] > 0:
        s = 2.0 ** (erfinv(q * 2 - 1) * cfg["scale_std"])
        G = G @ scale2d_inv(s, s)
    if cfg["rotate"] > 0:
        theta = (q * 2 - 1) * np.pi * cfg["rotate_max"]
        G = G @ rotate2d_inv(-theta)
    if cfg["aniso"] > 0:
        s = 2.0 ** (erfinv(q * 2 - 1) * cfg["aniso_std"])
        G = G @ scale2d_inv(s, 1 / s)
    if cfg["rotate"] > 0:
        G = G @ rotate2d_inv(-0.0)  # post-rotation: zero under debug_percentile
    if cfg["xfrac"] > 0:
        t = erfinv(q * 2 - 1) * cfg["xfrac_std"]
        G = G @ translate2d_inv(t * width, t * height)
    return G


def color_matrix(cfg, q, channels):
    """The reference's colour matrix C for debug percentile q."""
    C = np.eye(4)
    vv = np.outer(LUMA4, LUMA4)
    if cfg["brightness"] > 0:
        b = erfinv(q * 2 - 1) * cfg["brightness_std"]
        C = translate3d(b, b, b) @ C
    if cfg["contrast"] > 0:
        c = 2.0 ** (erfinv(q * 2 - 1) * cfg["contrast_std"])
        C = scale3d(c, c, c) @ C
    if cfg["lumaflip"] > 0:
        i = np.floor(q * 2)
        C = (np.eye(4) - 2 * vv * i) @ C
    if cfg["hue"] > 0 and channels > 1:
        theta = (q * 2 - 1) * np.pi * cfg["hue_max"]
        C = rotate3d(LUMA4[:3], theta) @ C
    if cfg["saturation"] > 0 and channels > 1:
        s = 2.0 ** (erfinv(q * 2 - 1) * cfg["saturation_std"])
        C = (vv + (np.eye(4) - vv) * s) @ C
    return C


# ---------------------------------------------------------------------------------------------
# upfirdn2d (NVlabs semantics), NHWC, separable 1-D filter.

def setup_filter(f):
    f = np.asarray(f, np.float64)
    return f / f.sum()


def _fir_axis(x, f, axis, flip_filter):
    """'Valid' FIR along `axis`: out[i] = sum_k w[k] x[i + k], w = f flipped unless flip_filter."""
    w = np.asarray(f, np.float64) if flip_filter else np.asarray(f, np.float64)[::-1]
    x = np.moveaxis(x, axis, -1)
    n_out = x.shape[-1] - len(w) + 1
    out = np.zeros(x.shape[:-1] + (n_out,))
    for k, wk in enumerate(w):
        out += wk * x[..., k:k + n_out]
    return np.moveaxis(out, -1, axis)


def upfirdn2d(x, f, up=1, down=1, padding=(0, 0, 0, 0), flip_filter=False, gain=1.0):
    """x: [N, H, W, C]; padding (x0, x1, y0, y1) w.r.t. the upsampled image."""
    n, h, w, c = x.shape
    px0, px1, py0, py1 = padding
    # 1. zero insertion
    z = np.zeros([n, h * up, w * up, c])
    z[:, ::up, ::up, :] = x
    # 2. pad (positive) / crop (negative)
    z = np.pad(z, ((0, 0), (max(py0, 0), max(py1, 0)), (max(px0, 0), max(px1, 0)), (0, 0)))
    z = z[:, max(-py0, 0):z.shape[1] - max(-py1, 0), max(-px0, 0):z.shape[2] - max(-px1, 0)]
    # 3. separable FIR, each pass with gain ** 0.5
    f = np.asarray(f, np.float64) * np.sqrt(gain)
    z = _fir_axis(z, f, axis=2, flip_filter=flip_filter)
    z = _fir_axis(z, f, axis=1, flip_filter=flip_filter)
    # 4. decimate
    return z[:, ::down, ::down, :]


def upsample2d(x, f, up=2):
    fw = len(f)
    p = ((fw + up - 1) // 2, (fw - up) // 2)
    return upfirdn2d(x, f, up=up, padding=(p[0], p[1], p[0], p[1]), gain=up * up)


def downsample2d(x, f, down=2, padding=0, flip_filter=False):
    fw = len(f)
    p0 = padding + (fw - down + 1) // 2
    p1 = padding + (fw - down) // 2
    return upfirdn2d(x, f, down=down, padding=(p0, p1, p0, p1), flip_filter=flip_filter)


# ---------------------------------------------------------------------------------------------
# affine_grid / grid_sample (align_corners=False, bilinear, zero padding).

def affine_grid(theta, out_h, out_w):
    """theta [2, 3] -> grid [out_h, out_w, 2] of normalised (x, y) input coordinates."""
    xs = (2 * np.arange(out_w) + 1) / out_w - 1
    ys = (2 * np.arange(out_h) + 1) / out_h - 1
    gx, gy = np.meshgrid(xs, ys)  # [out_h, out_w]
    base = np.stack([gx, gy, np.ones_like(gx)], axis=-1)  # [H, W, 3]
    return base @ np.asarray(theta).T


def grid_sample(img, grid):
    """img [H, W, C], grid [Ho, Wo, 2] normalised; bilinear, zeros outside."""
    h, w, c = img.shape
    ix = ((grid[..., 0] + 1) * w - 1) / 2
    iy = ((grid[..., 1] + 1) * h - 1) / 2
    x0 = np.floor(ix).astype(np.int64)
    y0 = np.floor(iy).astype(np.int64)
    fx = ix - x0
    fy = iy - y0
    out = np.zeros(grid.shape[:2] + (c,))
    for dy, wy in ((0, 1 - fy), (1, fy)):
        for dx, wx in ((0, 1 - fx), (1, fx)):
            xi, yi = x0 + dx, y0 + dy
            ok = (xi >= 0) & (xi < w) & (yi >= 0) & (yi < h)
            vals = img[np.clip(yi, 0, h - 1), np.clip(xi, 0, w - 1)]
            out += vals * (wx * wy * ok)[..., None]
    return out


# ---------------------------------------------------------------------------------------------
# Geometric execution (the reference's general path).

def bilinear_upsample2x(x):
    """torch F.interpolate(scale_factor=2, mode='bilinear', align_corners=False), NHWC."""
    for axis in (1, 2):
        n = x.shape[axis]
        src = np.maximum((np.arange(2 * n) + 0.5) / 2 - 0.5, 0)
        i0 = np.floor(src).astype(int)
        i1 = np.minimum(i0 + 1, n - 1)
        lam = (src - i0).reshape([-1 if a == axis else 1 for a in range(4)])
        x = np.take(x, i0, axis=axis) * (1 - lam) + np.take(x, i1, axis=axis) * lam
    return x


def geometric_feature(features, G_inv):
    """GGDR's AugmentPipeGFeat on a feature map: `geometric` with bilinear 2x upsampling."""
    return geometric(features, G_inv, upsample=bilinear_upsample2x)


def geometric(images, G_inv, upsample=None):
    """images [N, H, W, C] (float64), G_inv [3, 3] shared by the batch (or [N, 3, 3])."""
    images = np.asarray(images, np.float64)
    n, height, width, _ = images.shape
    G = np.broadcast_to(np.asarray(G_inv, np.float64), (n, 3, 3)).copy()
    hz = setup_filter(SYM6)
    hz_pad = len(hz) // 4

    # Margin from the transformed corners (over the whole batch).
    cx, cy = (width - 1) / 2, (height - 1) / 2
    corners = np.array([[-cx, -cy, 1], [cx, -cy, 1], [cx, cy, 1], [-cx, cy, 1]]).T  # [3, 4]
    cp = G @ corners  # [N, 3, 4]
    xs, ys = cp[:, 0, :].ravel(), cp[:, 1, :].ravel()
    margin = np.array([np.max(-xs), np.max(-ys), np.max(xs), np.max(ys)])
    margin = margin + np.array([hz_pad * 2 - cx, hz_pad * 2 - cy] * 2)
    margin = np.maximum(margin, 0)
    margin = np.minimum(margin, [width - 1, height - 1] * 2)
    mx0, my0, mx1, my1 = np.ceil(margin).astype(int)

    # Reflect pad, origin shift.
    images = np.pad(images, ((0, 0), (my0, my1), (mx0, mx1), (0, 0)), mode="reflect")
    G = translate2d((mx0 - mx1) / 2, (my0 - my1) / 2) @ G

    # Upsample.
    images = upsample2d(images, hz, up=2) if upsample is None else upsample(images)
    G = scale2d(2, 2) @ G @ scale2d_inv(2, 2)
    G = translate2d(-0.5, -0.5) @ G @ translate2d_inv(-0.5, -0.5)

    # Sample.
    out_h, out_w = (height + hz_pad * 2) * 2, (width + hz_pad * 2) * 2
    in_h, in_w = images.shape[1], images.shape[2]
    G = scale2d(2 / in_w, 2 / in_h) @ G @ scale2d_inv(2 / out_w, 2 / out_h)
    sampled = np.stack([grid_sample(images[k], affine_grid(G[k, :2, :], out_h, out_w))
                        for k in range(n)])

    # Downsample and crop.
    return downsample2d(sampled, hz, down=2, padding=-hz_pad * 2, flip_filter=True)


def rescaled(G_inv, factor):
    """The centred-pixel transform at `factor` times the resolution."""
    return scale2d(factor, factor) @ G_inv @ scale2d_inv(factor, factor)


def reflect_shift(images, tx, ty):
    """out[y, x] = in[y - ty, x - tx] with reflect boundary (integer shifts)."""
    h, w = images.shape[1:3]
    padded = np.pad(images, ((0, 0), (abs(ty),) * 2, (abs(tx),) * 2, (0, 0)), mode="reflect")
    return padded[:, abs(ty) - ty:abs(ty) - ty + h, abs(tx) - tx:abs(tx) - tx + w]


# ---------------------------------------------------------------------------------------------
# Colour, image-space filtering, cutout.

def apply_color(images, C):
    images = np.asarray(images, np.float64)
    if images.shape[-1] == 3:
        return images @ C[:3, :3].T + C[:3, 3]
    assert images.shape[-1] == 1
    row = C[:3, :].mean(axis=0)  # [4]
    return images * row[:3].sum() + row[3]


def imgfilter_bank():
    """4 x 43 band-pass bank, built like the reference (zero-stuff, low-pass, add high-pass)."""
    lo = np.asarray(SYM2)
    hi = lo * ((-1.0) ** np.arange(lo.size))
    lo2 = np.convolve(lo, lo[::-1]) / 2
    hi2 = np.convolve(hi, hi[::-1]) / 2
    bank = np.eye(4, 1)
    for i in range(1, 4):
        stuffed = np.zeros([bank.shape[0], bank.shape[1] * 2])
        stuffed[:, ::2] = bank
        stuffed = stuffed[:, :-1]
        bank = scipy.signal.convolve(stuffed, lo2[np.newaxis, :])
        start = (bank.shape[1] - hi2.size) // 2
        bank[i, start:start + hi2.size] += hi2
    return bank


def imgfilter_gains(q, bands=(1, 1, 1, 1), std=1.0):
    power = np.array([10, 1, 1, 1]) / 13
    g = np.ones(len(bands))
    for i, strength in enumerate(bands):
        t = np.ones(len(bands))
        t[i] = 2.0 ** (erfinv(q * 2 - 1) * std) if strength > 0 else 1.0
        t = t / np.sqrt(np.sum(power * t ** 2))
        g = g * t
    return g


def apply_imgfilter(images, q, bands=(1, 1, 1, 1), std=1.0):
    taps = imgfilter_gains(q, bands, std) @ imgfilter_bank()  # [43]
    p = taps.size // 2
    x = np.pad(np.asarray(images, np.float64), ((0, 0), (p, p), (p, p), (0, 0)), mode="reflect")
    x = _fir_axis(x, taps, axis=2, flip_filter=True)  # correlation (conv2d), horizontal
    return _fir_axis(x, taps, axis=1, flip_filter=True)


def cutout_mask(height, width, q, size=0.5):
    """[H, W] float mask, 0 inside the cutout square centred at (q, q)."""
    xs = (np.arange(width) + 0.5) / width
    ys = (np.arange(height) + 0.5) / height
    keep_x = np.abs(xs - q) >= size / 2
    keep_y = np.abs(ys - q) >= size / 2
    return np.logical_or(keep_x[None, :], keep_y[:, None]).astype(np.float64)


# ---------------------------------------------------------------------------------------------
# Whole pipe (no noise: its field is random even under debug_percentile).

def pipe(images, q, **kwargs):
    cfg = full_config(**kwargs)
    assert cfg["noise"] == 0
    images = np.asarray(images, np.float64)
    h, w, c = images.shape[1:]
    if any(cfg[k] > 0 for k in BLIT_NAMES + GEOM_NAMES):
        images = geometric(images, geom_matrix(cfg, q, h, w))
    if any(cfg[k] > 0 for k in COLOR_NAMES):
        images = apply_color(images, color_matrix(cfg, q, c))
    if cfg["imgfilter"] > 0:
        images = apply_imgfilter(images, q, cfg["imgfilter_bands"], cfg["imgfilter_std"])
    if cfg["cutout"] > 0:
        images = images * cutout_mask(h, w, q, cfg["cutout_size"])[None, :, :, None]
    return images
