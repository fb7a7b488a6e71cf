"""Drawing helpers of the built-in procedural datasets (`builtin:shapes`, `builtin:faces`)."""

import numpy as np


def hsv_to_rgb(h, s, v):
    """Vectorized HSV -> RGB; inputs [N] in [0, 1], output [N, 3]."""
    i = np.floor(h * 6.0).astype(np.int64) % 6
    f = h * 6.0 - np.floor(h * 6.0)
    p, q, t = v * (1 - s), v * (1 - f * s), v * (1 - (1 - f) * s)
    table = np.stack([
        np.stack([v, t, p], -1), np.stack([q, v, p], -1), np.stack([p, v, t], -1),
        np.stack([p, q, v], -1), np.stack([t, p, v], -1), np.stack([v, p, q], -1)], 0)
    return table[i, np.arange(len(h))]


def coverage(sdf):
    """Pixel coverage of a shape from its signed distance in pixels (negative inside): an
    analytic anti-aliasing that looks like box-filtered supersampling."""
    return np.clip(0.5 - sdf, 0.0, 1.0)


def background(x, y, grad_angle):
    """Blend weight t of a linear gradient from colour 0 to colour 1 along `grad_angle` [N], at
    pixel centres x [1, 1, R], y [1, R, 1] in units of the image side."""
    ga = grad_angle.astype(np.float32)[:, None, None]
    return ((x - 0.5) * np.cos(ga) + (y - 0.5) * np.sin(ga)) * float(np.sqrt(0.5)) + 0.5
