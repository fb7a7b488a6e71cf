"""Gradient penalties that differentiate through gradients (second-order autodiff)."""

import tensorflow as tf


def r1_penalty(d_fn, real_img):
    """R1 regulariser ||grad_x D(x)||^2 per sample (Mescheder et al. 2018, eq. 9).

    The gradient is taken inside an inner tape so that an enclosing tape can differentiate the
    penalty w.r.t. D's weights.

    Args:
        d_fn: Callable mapping images [N, H, W, C] to logits [N, 1] (augmentation included).
        real_img: Real images [N, H, W, C] (float32).

    Returns:
        (penalty [N], logits) where logits are D's outputs on `real_img`.
    """
    with tf.GradientTape(watch_accessed_variables=False) as tape:
        tape.watch(real_img)
        logits = d_fn(real_img)
        total = tf.reduce_sum(tf.cast(logits, real_img.dtype))
    grads = tape.gradient(total, real_img)
    return tf.reduce_sum(tf.square(grads), axis=[1, 2, 3]), logits


def path_lengths(synthesis_fn, ws, pl_noise):
    """Per-sample Jacobian norms ||J_w^T y|| for the path-length regulariser.

    StyleGAN2 (Karras et al. 2020), eq. 4: y ~ N(0, I) / sqrt(H * W), J_w^T y = grad_w <g(w), y>,
    and the length is sqrt(mean over the ws of the squared norm over w_dim).

    Args:
        synthesis_fn: Callable mapping ws [N, num_ws, w_dim] to images [N, H, W, C].
        ws: Latents [N, num_ws, w_dim].
        pl_noise: Projection noise with the image shape, already divided by sqrt(H * W).

    Returns:
        Path lengths [N].
    """
    with tf.GradientTape(watch_accessed_variables=False) as tape:
        tape.watch(ws)
        img = synthesis_fn(ws)
        total = tf.reduce_sum(tf.cast(img, pl_noise.dtype) * pl_noise)
    grads = tape.gradient(total, ws)
    return tf.sqrt(tf.reduce_mean(tf.reduce_sum(tf.square(grads), axis=2), axis=1))


def path_length_penalty(pl_lengths, pl_mean, pl_decay, mean_length=None):
    """(pl_lengths - a)^2 with a <- lerp(pl_mean, mean(pl_lengths), pl_decay).

    `pl_mean` is the running mean of the lengths before this step; the returned new mean keeps
    its dependence on this batch's lengths (as the reference implementation does), the caller
    stores it.

    Args:
        pl_lengths: Path lengths [N].
        pl_mean: Running mean before this step (scalar).
        pl_decay: Decay of the running mean (0.01).
        mean_length: Mean of the lengths over the whole batch; defaults to mean(pl_lengths)
            (pass the cross-replica mean under a distribution strategy).

    Returns:
        (penalty [N], new_pl_mean scalar).
    """
    if mean_length is None:
        mean_length = tf.reduce_mean(pl_lengths)
    new_mean = pl_mean + (mean_length - pl_mean) * pl_decay
    return tf.square(pl_lengths - new_mean), new_mean
