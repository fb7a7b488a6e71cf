"""Latent-walk videos: keyframe ws interpolated in W, a grid of walks per frame.

As stylegan3's `gen_video.py` (Karras et al. 2021): every tile of a gw x gh grid walks through
its own K keyframe ws; frame f sits at keyframe position x = f / w_frames, so keyframe k is frame
k * w_frames, and a looping walk of K keyframes has K * w_frames frames and returns to its start.
The interpolation is per coordinate of [num_ws, w_dim], `linear` or `cubic`. gen_video gets its
cubic from scipy's interp1d over the keyframes tiled five times; here the cubic is the spline
that tiling approaches: a periodic cubic spline through the keyframes (uniform knots) when
looping, a natural cubic spline (zero second derivative at both ends) when not. Both pass
through every keyframe exactly.

Several generators can walk together (StyleGAN-NADA's `generate_videos.py`: the source and each
adapted generator on the same latents, side by side): each gets the ws its own mapping gives
the same keyframe z, and each frame puts the generators' grids next to each other.
"""

import numpy as np
import tensorflow as tf

from tfgan_fs import images as image_io
from tfgan_fs.figures.comparison import as_rgb_if_mixed

KINDS = ("linear", "cubic")


def _spline_second_derivatives(y, loop):
    """M [K, ...] of a cubic spline with unit knot spacing through y [K, ...] (periodic when
    `loop`, else natural): M[k-1] + 4 M[k] + M[k+1] = 6 (y[k-1] - 2 y[k] + y[k+1])."""
    k = len(y)
    a = np.zeros([k, k])
    rhs = np.zeros_like(y, dtype=np.float64)
    for i in range(k):
        if not loop and i in (0, k - 1):
            a[i, i] = 1.0  # natural ends: M = 0
            continue
        a[i, i] = 4.0
        a[i, (i - 1) % k] += 1.0
        a[i, (i + 1) % k] += 1.0
        rhs[i] = 6.0 * (y[(i - 1) % k] - 2.0 * y[i] + y[(i + 1) % k])
    return np.linalg.solve(a, rhs.reshape(k, -1)).reshape(y.shape)


class KeyframeWalk:
    """ws at keyframe positions: keyframe k of ws [K, ...] sits at x = k.

    With `loop`, x is taken modulo K (position K is keyframe 0 again); without it x must be in
    [0, K - 1]. A looping cubic walk through 2 keyframes is linear (the periodic spline through
    two points). The spline is solved once, in float64.

    Args:
        ws: Keyframes [K, ...], K >= 2.
        kind: 'cubic' or 'linear'.
        loop: Periodic (looping) walk, else open (natural spline ends).
    """

    def __init__(self, ws, kind="cubic", loop=True):
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
        self.ws = np.asarray(ws, np.float64)
        if len(self.ws) < 2:
            raise ValueError(f"a walk needs at least 2 keyframes, got {len(self.ws)}")
        self.loop = loop
        self.m = None
        if kind == "cubic" and (len(self.ws) >= 3 or not loop):
            self.m = _spline_second_derivatives(self.ws, loop)

    def __call__(self, x):
        """ws [T, ...] float32 at positions x [T]."""
        num = len(self.ws)
        x = np.asarray(x, np.float64).reshape([-1])
        if self.loop:
            x = np.mod(x, num)
        elif x.min() < 0 or x.max() > num - 1:
            raise ValueError(f"positions must be in [0, {num - 1}] for an open walk")
        i = np.minimum(np.floor(x).astype(int), num - 1 if self.loop else num - 2)
        t = (x - i).reshape([-1] + [1] * (self.ws.ndim - 1))
        j = (i + 1) % num
        out = (1 - t) * self.ws[i] + t * self.ws[j]
        if self.m is not None:
            out += ((1 - t) ** 3 - (1 - t)) * self.m[i] / 6 + (t ** 3 - t) * self.m[j] / 6
        return out.astype(np.float32)


def num_walk_frames(num_keyframes, w_frames, loop=True):
    """Frames of a walk: K * w_frames looping, (K - 1) * w_frames + 1 open."""
    return num_keyframes * w_frames if loop else (num_keyframes - 1) * w_frames + 1


def iter_walk_frames(generators, keyframe_ws, grid=(1, 1), w_frames=60, kind="cubic",
                     loop=True, batch=16, noise_mode="const", progress=None):
    """Yields the frames of a latent-walk video one at a time (uint8 [gh H, n gw W, C]).

    Args:
        generators: One generator or a list (side by side, left to right); all with one
            resolution (see `tfgan_fs.figures.comparison.check_compatible`).
        keyframe_ws: For each generator, ws [gh * gw, K, num_ws, w_dim] (tile-major: row by
            row), e.g. `walk_keyframe_ws`; one array for one generator.
        grid: (gw, gh) tiles.
        w_frames: Frames from one keyframe to the next (>= 1).
        kind: 'cubic' or 'linear' interpolation in W.
        loop: Return to the first keyframe (K * w_frames frames), else stop on the last.
        batch: Images synthesised per call.
        noise_mode: Synthesis noise ('const' keeps it still while w moves).
        progress: Optional wrapper of the frame index range, e.g. `tqdm.tqdm`.
    """
    if not isinstance(generators, (list, tuple)):
        generators, keyframe_ws = [generators], [keyframe_ws]
    if len(keyframe_ws) != len(generators):
        raise ValueError(f"{len(generators)} generators but {len(keyframe_ws)} keyframe ws")
    gw, gh = grid
    if w_frames < 1:
        raise ValueError(f"w_frames must be >= 1, got {w_frames}")
    if batch < 1:
        raise ValueError(f"batch must be >= 1, got {batch}")
    walks = []
    for G, ws in zip(generators, keyframe_ws):
        ws = np.asarray(ws, np.float32)
        if ws.ndim != 4 or len(ws) != gw * gh or ws.shape[2:] != (G.num_ws, G.w_dim):
            raise ValueError(f"keyframe ws must have shape [{gw * gh}, K, {G.num_ws}, "
                             f"{G.w_dim}] (gw * gh tiles), got {list(ws.shape)}")
        walks.append([KeyframeWalk(tile, kind, loop) for tile in ws])
    num_keyframes = len(walks[0][0].ws)
    synthesize = [tf.function(lambda w, G=G: G.synthesis(w, noise_mode=noise_mode))
                  for G in generators]
    frames = range(num_walk_frames(num_keyframes, w_frames, loop))
    for f in (progress(frames) if progress else frames):
        parts = []
        for fn, tile_walks in zip(synthesize, walks):
            w = np.stack([walk([f / w_frames])[0] for walk in tile_walks])
            imgs = np.concatenate([image_io.to_uint8(fn(tf.constant(w[i:i + batch])))
                                   for i in range(0, len(w), batch)])
            parts.append(image_io.make_grid(imgs, gw))
        yield np.concatenate(as_rgb_if_mixed(parts), axis=1)


def walk_keyframe_ws(G, z, c=None, truncation_psi=1.0, truncation_cutoff=None):
    """ws [T, K, num_ws, w_dim] of keyframe latents z [T, K, z_dim] (labels c [c_dim] or None,
    one label for all), through G's mapping with the given truncation."""
    z = np.asarray(z, np.float32)
    if z.ndim != 3 or z.shape[2] != G.z_dim:
        raise ValueError(f"z must have shape [tiles, keyframes, {G.z_dim}], got {list(z.shape)}")
    flat = z.reshape([-1, G.z_dim])
    labels = np.zeros([len(flat), G.c_dim], np.float32)
    if c is not None:
        labels[:] = np.asarray(c, np.float32).reshape([1, G.c_dim])
    ws = G.mapping(tf.constant(flat), tf.constant(labels), truncation_psi=truncation_psi,
                   truncation_cutoff=truncation_cutoff)
    return np.asarray(tf.cast(ws, tf.float32)).reshape(z.shape[:2] + (G.num_ws, G.w_dim))
