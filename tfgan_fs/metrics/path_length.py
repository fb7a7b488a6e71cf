"""Perceptual path length pieces, without the networks.

Karras et al. 2019, "A Style-Based Generator Architecture for Generative Adversarial Networks",
section 4.1 ("Perceptual path length"), eq. 2 (l_Z, slerp in Z) and eq. 3 (l_W, lerp in W).

The interpolation helpers are TensorFlow so they can run inside a compiled generator step; the
final reduction is NumPy.
"""

import numpy as np
import tensorflow as tf


def _cast(x, dtype):
    """Casts to `dtype`, converting Python numbers via NumPy (float64) rather than float32."""
    return tf.cast(x if tf.is_tensor(x) else np.asarray(x), dtype)


def _normalize(x):
    return x / tf.norm(x, axis=-1, keepdims=True)


def slerp(a, b, t):
    """Spherical interpolation of a batch of vectors, as the StyleGAN2-ADA reference's `slerp`.

    The inputs are projected to the unit sphere and

        slerp(a, b; t) = a cos(t theta) + c sin(t theta),  theta = arccos(a.b),
        c = (b - (a.b) a) / ||b - (a.b) a||,

    renormalised to unit length. t = 0 gives a / ||a||, t = 1 gives b / ||b||. a.b is clipped
    to [-1, 1] before arccos so rounding cannot produce NaN (the reference does not clip; the
    results agree wherever the reference is finite). As in the reference, a and b must not be
    parallel (c is then 0 / 0).

    Args:
        a, b: Tensors [..., D] (e.g. latents z [N, D]).
        t: Interpolation parameter broadcastable to [..., 1] (e.g. [N, 1]); values outside
            [0, 1] extrapolate along the great circle (PPL uses t + epsilon).

    Returns:
        Unit vectors [..., D] in the dtype of `a`.
    """
    a = tf.convert_to_tensor(a)
    b = _cast(b, a.dtype)
    t = _cast(t, a.dtype)
    a = _normalize(a)
    b = _normalize(b)
    d = tf.reduce_sum(a * b, axis=-1, keepdims=True)
    p = t * tf.acos(tf.clip_by_value(d, -1.0, 1.0))
    c = _normalize(b - d * a)
    return _normalize(a * tf.cos(p) + c * tf.sin(p))


def lerp_latents(w0, w1, t, epsilon):
    """Endpoints of a PPL segment by linear interpolation in W (the reference's PPLSampler).

        wt0 = lerp(w0, w1; t),  wt1 = lerp(w0, w1; t + epsilon),  lerp(a, b; s) = a + s (b - a).

    For sampling='end' the reference uses t = 0, for sampling='full' t ~ U[0, 1).

    Args:
        w0, w1: Latents [N, ...] (e.g. broadcast W [N, num_ws, w_dim]).
        t: Per-sample interpolation parameters [N] (or a scalar, or already broadcastable to
            the shape of `w0`).
        epsilon: Segment length in t (the reference's default is 1e-4).

    Returns:
        (wt0, wt1), each with the shape and dtype of `w0`; wt1 - wt0 = epsilon (w1 - w0).
    """
    w0 = tf.convert_to_tensor(w0)
    w1 = _cast(w1, w0.dtype)
    t = _cast(t, w0.dtype)
    if t.shape.rank == 1:
        t = tf.reshape(t, [-1] + [1] * (w0.shape.rank - 1))
    delta = w1 - w0
    return w0 + t * delta, w0 + (t + _cast(epsilon, w0.dtype)) * delta


def ppl_from_distances(dist):
    """Perceptual path length from per-sample scaled distances, with outlier rejection.

    Each entry is one sample of d(G(w(t)), G(w(t + epsilon))) / epsilon^2, the squared
    LPIPS feature difference of Karras et al. 2019, eq. 2 and 3 (the term inside the
    expectation). As in the StyleGAN2-ADA reference (`metrics/perceptual_path_length.py`),
    values outside [lo, hi] are dropped, with lo = np.percentile(dist, 1, method='lower') and
    hi = np.percentile(dist, 99, method='higher') (`method` is NumPy's current name for the
    reference's deprecated `interpolation` argument), and the rest are averaged in float64.

    Args:
        dist: Scaled distances [N] (N >= 1; any shape is flattened).

    Returns:
        The PPL (float).

    Raises:
        ValueError: For an empty input or non-finite values.
    """
    dist = np.asarray(dist).reshape(-1)
    if dist.size == 0 or not np.all(np.isfinite(dist)):
        raise ValueError("dist must be a non-empty array of finite values")
    lo = np.percentile(dist, 1, method="lower")
    hi = np.percentile(dist, 99, method="higher")
    kept = dist[(dist >= lo) & (dist <= hi)]
    return float(np.mean(kept, dtype=np.float64))
