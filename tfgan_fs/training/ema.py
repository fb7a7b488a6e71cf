"""Exponential moving averages of networks (Karras et al. 2018): the update the loop runs with
the decay its method gives (`Method.ema_beta`)."""

import tensorflow as tf


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
