"""Independent NumPy/SciPy reference implementations for the tests in tests/ops.

Written from the NVlabs StyleGAN2-ADA definitions (zero insertion, pad/crop,
explicit 2-D convolution, subsampling), deliberately without sharing any code
with `tfgan_fs.ops`. Arrays are NHWC, float64.
"""

import numpy as np
import scipy.signal


def _pair(v):
    return (v, v) if np.isscalar(v) else tuple(v)


def _pad4(p):
    if np.isscalar(p):
        return p, p, p, p
    if len(p) == 2:
        return p[0], p[0], p[1], p[1]
    return tuple(p)


def upfirdn2d_np(x, f, up=1, down=1, padding=0, flip_filter=False, gain=1):
    """upfirdn2d on an NHWC array via zero insertion, np.pad, scipy convolve2d."""
    x = np.asarray(x, np.float64)
    ux, uy = _pair(up)
    dx, dy = _pair(down)
    x0, x1, y0, y1 = _pad4(padding)
    n, h, w, c = x.shape

    z = np.zeros([n, h * uy, w * ux, c])
    z[:, ::uy, ::ux, :] = x
    z = np.pad(z, [(0, 0), (max(y0, 0), max(y1, 0)), (max(x0, 0), max(x1, 0)), (0, 0)])
    z = z[:, max(-y0, 0): z.shape[1] - max(-y1, 0), max(-x0, 0): z.shape[2] - max(-x1, 0), :]

    if f is None:
        k = np.ones([1, 1])
    else:
        f = np.asarray(f, np.float64)
        k = np.outer(f, f) if f.ndim == 1 else f
    k = k * gain

    op = scipy.signal.correlate2d if flip_filter else scipy.signal.convolve2d
    out = np.stack([
        np.stack([op(z[i, :, :, j], k, mode="valid") for j in range(c)], axis=-1)
        for i in range(n)])
    return out[:, ::dy, ::dx, :]


def conv2d_np(x, w, flip_weight=True):
    """VALID 2-D conv of NHWC x with HWIO w; correlation if flip_weight (explicit taps)."""
    x = np.asarray(x, np.float64)
    w = np.asarray(w, np.float64)
    if not flip_weight:
        w = w[::-1, ::-1]
    kh, kw = w.shape[:2]
    n, h, wd, _ = x.shape
    ho, wo = h - kh + 1, wd - kw + 1
    y = np.zeros([n, ho, wo, w.shape[3]])
    for a in range(kh):
        for b in range(kw):
            y += np.einsum("nhwc,co->nhwo", x[:, a:a + ho, b:b + wo, :], w[a, b])
    return y


def conv2d_resample_np(x, w, f=None, up=1, down=1, padding=0, flip_weight=True,
                       flip_filter=False):
    """Generic conv2d_resample definition (NVlabs) built from the NumPy pieces above."""
    fw, fh = (1, 1) if f is None else (np.shape(f)[-1], np.shape(f)[0])
    px0, px1, py0, py1 = _pad4(padding)
    if up > 1:
        px0 += (fw + up - 1) // 2
        px1 += (fw - up) // 2
        py0 += (fh + up - 1) // 2
        py1 += (fh - up) // 2
    if down > 1:
        px0 += (fw - down + 1) // 2
        px1 += (fw - down) // 2
        py0 += (fh - down + 1) // 2
        py1 += (fh - down) // 2
    y = upfirdn2d_np(x, f if up > 1 else None, up=up, padding=[px0, px1, py0, py1],
                     gain=up ** 2, flip_filter=flip_filter)
    y = conv2d_np(y, w, flip_weight=flip_weight)
    if down > 1:
        y = upfirdn2d_np(y, f, down=down, flip_filter=flip_filter)
    return y


def jacobian_np(fn, x):
    """Dense Jacobian [out_size, in_size] of a linear NumPy function, column by column."""
    x = np.asarray(x, np.float64)
    cols = []
    for i in range(x.size):
        e = np.zeros(x.size)
        e[i] = 1.0
        cols.append(np.ravel(fn(e.reshape(x.shape))))
    return np.stack(cols, axis=1)
