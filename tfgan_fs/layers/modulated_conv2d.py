"""Modulated / demodulated convolution (StyleGAN2, Karras et al. 2020, section 2.2, eq. 1-3)."""

import numpy as np
import tensorflow as tf

from tfgan_fs import ops


def modulated_conv2d(x, weight, styles, noise=None, up=1, down=1, padding=0,
                     resample_filter=None, demodulate=True, flip_weight=True, impl="auto"):
    """Convolves each sample with the weight modulated by its style vector.

    w'_ijk = s_i * w_ijk (eq. 1); with demodulation w''_ijk = w'_ijk / sqrt(sum_ik w'_ijk^2 + eps)
    (eq. 3). Executed without grouped convolutions, as NVlabs' "non-fused" path: scale the input
    activations by s, run one ordinary convolution for the whole batch, then scale the output by
    the demodulation coefficients. The coefficients are computed as
    rsqrt(s^2 @ sum_k(w^2) + eps), which equals eq. 3 without materialising per-sample weights.

    Args:
        x: Activations [N, H, W, I] (float16 in float16 blocks).
        weight: Convolution weight [k, k, I, O] (float32, or float64 in numerical tests).
        styles: Modulation coefficients [N, I].
        noise: Optional tensor broadcastable to the output, added after demodulation.
        up, down, padding, resample_filter, flip_weight: As in `tfgan_fs.ops.conv2d_resample`.
        demodulate: Apply weight demodulation.
        impl: Implementation of the resampling ops ('auto', 'ref' or 'custom').

    Returns:
        [N, H', W', O] tensor in the dtype of x.
    """
    kh, kw, in_channels, _ = weight.shape
    styles = tf.cast(styles, weight.dtype)  # style and demodulation math in the weights' dtype

    # Pre-normalize to avoid float16 overflow (the result is unchanged by demodulation).
    if x.dtype == tf.float16 and demodulate:
        weight = weight * (1.0 / np.sqrt(in_channels * kh * kw) / tf.reduce_max(
            tf.abs(weight), axis=[0, 1, 2], keepdims=True))
        styles = styles / tf.reduce_max(tf.abs(styles), axis=1, keepdims=True)

    dcoefs = None
    if demodulate:
        weight_sq = tf.reduce_sum(tf.square(weight), axis=[0, 1])  # [I, O]
        dcoefs = tf.math.rsqrt(tf.matmul(tf.square(styles), weight_sq) + 1e-8)  # [N, O]

    x = x * tf.cast(styles, x.dtype)[:, tf.newaxis, tf.newaxis, :]
    x = ops.conv2d_resample(x, tf.cast(weight, x.dtype), f=resample_filter, up=up, down=down,
                            padding=padding, flip_weight=flip_weight, impl=impl)
    if dcoefs is not None:
        x = x * tf.cast(dcoefs, x.dtype)[:, tf.newaxis, tf.newaxis, :]
    if noise is not None:
        x = x + tf.cast(noise, x.dtype)
    return x
