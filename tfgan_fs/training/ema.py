"""Exponential moving average of generator weights (Karras et al. 2018; StyleGAN2-ADA loop)."""

import tensorflow as tf


def ema_beta(batch_size, ema_kimg, ema_rampup, cur_nimg):
    """Per-step EMA decay for a half-life of `ema_kimg` thousand images.

    beta = 0.5 ** (batch_size / ema_nimg) with ema_nimg = ema_kimg * 1000, capped at
    cur_nimg * ema_rampup during the ramp-up (NVlabs training_loop.py). With batch 32 and a
    10 kimg half-life beta = 0.997784.
    """
    ema_nimg = ema_kimg * 1000
    if ema_rampup is not None:
        ema_nimg = min(ema_nimg, cur_nimg * ema_rampup)
    return 0.5 ** (batch_size / max(ema_nimg, 1e-8))


def make_ema_update(pairs, is_buffer):
    """Returns a `tf.function(beta)` that updates every (source, target) model pair.

    Parameters move as target <- source + (target - source) * beta; buffers (`is_buffer(v)`,
    e.g. the w_avg tracker and the constant noise) are copied.

    Args:
        pairs: List of (source, target) Keras models with identical variable structure.
        is_buffer: Predicate on a source variable.
    """
    variables = []
    for source, target in pairs:
        if len(source.weights) != len(target.weights):
            raise ValueError(f"EMA pair {source.name}/{target.name} has different variables")
        for src, dst in zip(source.weights, target.weights):
            if tuple(src.shape) != tuple(dst.shape):
                raise ValueError(f"EMA pair mismatch: {src.path} {src.shape} vs "
                                 f"{dst.path} {dst.shape}")
            variables.append((src, dst, is_buffer(src)))

    @tf.function(input_signature=[tf.TensorSpec([], tf.float32)])
    def update(beta):
        for src, dst, buffer in variables:
            if buffer:
                dst.assign(src)
            else:
                dst.assign(src + (dst - src) * tf.cast(beta, dst.dtype))

    return update
