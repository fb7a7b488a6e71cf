"""Linear interpolation in W between keyframe latents, as frames and as one picture.

A few-shot generator that has memorised its training images has a "stair-like" latent space
(MixDL, Kong et al. 2022): walking from one latent to another, the image stays on one training
image and then jumps to the next, instead of changing smoothly. These pictures show it.

Each keyframe latent z_k (with its label c_k) is mapped once, w_k = G.mapping(z_k, c_k) with
the given truncation; the frames between consecutive keyframes are G.synthesis of
lerp(w_a, w_b, t) = w_a + t * (w_b - w_a), taken for all num_ws at once (with truncation_cutoff
the ws differ per layer; each is interpolated), with constant noise. No label is interpolated:
the ws already carry them.
"""

import numpy as np
import tensorflow as tf

from tfgan_fs import images as image_io


def keyframe_ws(G, z, c=None, truncation_psi=1.0, truncation_cutoff=None):
    """ws [K, num_ws, w_dim] (float32) of the keyframe latents z [K, z_dim] and labels c [K, c_dim].

    `c` may be None for an unconditional G (zeros [K, 0] are passed).
    """
    z = np.asarray(z, np.float32)
    if z.ndim != 2 or z.shape[1] != G.z_dim:
        raise ValueError(f"z must have shape [K, {G.z_dim}], got {list(z.shape)}")
    c = np.zeros([len(z), G.c_dim], np.float32) if c is None else np.asarray(c, np.float32)
    if c.shape != (len(z), G.c_dim):
        raise ValueError(f"c must have shape [{len(z)}, {G.c_dim}], got {list(c.shape)}")
    ws = G.mapping(tf.constant(z), tf.constant(c), truncation_psi=truncation_psi,
                   truncation_cutoff=truncation_cutoff)
    return np.asarray(tf.cast(ws, tf.float32))


def lerp_ws(ws, t):
    """Interpolates from each w to the next: ws [K, ...] and t [T] -> [K - 1, T, ...].

    Row k holds ws[k] + t * (ws[k + 1] - ws[k]) for every t (float32 arithmetic).
    """
    ws = np.asarray(ws, np.float32)
    t = np.asarray(t, np.float32).reshape([1, -1] + [1] * (ws.ndim - 1))
    a, b = ws[:-1, np.newaxis], ws[1:, np.newaxis]
    return a + t * (b - a)


def synthesize(G, ws, batch=16):
    """uint8 images [N, H, W, C] of ws [N, num_ws, w_dim], constant noise, `batch` at a time."""
    if batch < 1:
        raise ValueError(f"batch must be >= 1, got {batch}")
    ws = np.asarray(ws, np.float32)
    outputs = [image_io.to_uint8(tf.cast(G.synthesis(tf.constant(ws[i:i + batch]),
                                                      noise_mode="const"), tf.float32))
               for i in range(0, len(ws), batch)]
    return np.concatenate(outputs)


def _check_keyframes(z, steps, min_steps):
    if len(z) < 2:
        raise ValueError(f"interpolation needs at least 2 keyframe latents, got {len(z)}")
    if steps < min_steps:
        raise ValueError(f"steps must be >= {min_steps}, got {steps}")


def w_interpolation_frames(G, z, c=None, steps=12, truncation_psi=1.0, truncation_cutoff=None,
                           loop=True, batch=16):
    """Frames of a walk in W through the keyframes z [K, z_dim] (labels c [K, c_dim] or None).

    Each segment from keyframe k to the next has `steps` frames at t = 0, 1/steps, ...,
    (steps - 1)/steps; its end is the next segment's first frame. With `loop` the walk goes on
    from the last keyframe back to the first, giving K * steps frames that repeat seamlessly
    (an animation); without it the last keyframe closes the walk: (K - 1) * steps + 1 frames.
    Frame k * steps is keyframe k's own image in either case.

    Args:
        G: A `tfgan_fs.networks.Generator` (anything with z_dim, c_dim, mapping and synthesis).
        z: Keyframe latents [K, z_dim], K >= 2.
        c: Labels [K, c_dim], or None for an unconditional G.
        steps: Frames per segment (>= 1).
        truncation_psi: Truncation of the keyframes' ws (1 = none).
        truncation_cutoff: Truncate only the first N ws (None = all).
        loop: Return from the last keyframe to the first.
        batch: Images synthesised per call.

    Returns:
        uint8 [F, H, W, C] frames.
    """
    z = np.asarray(z, np.float32)
    _check_keyframes(z, steps, 1)
    ws = keyframe_ws(G, z, c, truncation_psi, truncation_cutoff)
    if loop:
        ws = np.concatenate([ws, ws[:1]])
    walk = lerp_ws(ws, np.arange(steps) / steps).reshape((-1,) + ws.shape[1:])
    if not loop:
        walk = np.concatenate([walk, ws[-1:]])
    return synthesize(G, walk, batch)


def interpolation_grid(G, z, c=None, steps=8, truncation_psi=1.0, truncation_cutoff=None,
                       batch=16):
    """One picture of the interpolations between consecutive keyframes z [K, z_dim].

    Row k goes from keyframe k (first column) to keyframe k + 1 (last column) in `steps`
    columns at t = 0, 1/(steps - 1), ..., 1, so K keyframes give K - 1 rows. Arguments as
    `w_interpolation_frames` (c: labels [K, c_dim] or None; steps >= 2).

    Returns:
        uint8 [(K - 1) * H, steps * W, C].
    """
    z = np.asarray(z, np.float32)
    _check_keyframes(z, steps, 2)
    ws = keyframe_ws(G, z, c, truncation_psi, truncation_cutoff)
    walk = lerp_ws(ws, np.linspace(0, 1, steps)).reshape((-1,) + ws.shape[1:])
    return image_io.make_grid(synthesize(G, walk, batch), steps)

