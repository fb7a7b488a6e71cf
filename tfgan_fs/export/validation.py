"""Checks of serving requests that run inside the exported graph.

A loaded signature (and TF Serving) checks input dtypes but not shapes, so shapes are checked
at run time with `tf.ensure_shape` (its error names the input and the expected shape, e.g.
"Shape of tensor z [2,8] is not compatible with expected shape [?,512]") and value constraints
with `tf.debugging` assertions whose messages name the input and the constraint.
"""

import tensorflow as tf


def checked_batch(x, name, feature_shape, max_batch, batch_like=None):
    """Returns `x` after checking its shape [N, *feature_shape] and 1 <= N <= max_batch.

    Args:
        x: The input tensor.
        name: Its signature name, for messages.
        feature_shape: Expected shape after the batch axis.
        max_batch: Largest batch the export accepts.
        batch_like: (tensor, name) whose batch size `x` must have, or None.
    """
    x = tf.ensure_shape(x, [None] + list(feature_shape), name=f"check_{name}_shape")
    batch = tf.shape(x)[0]
    checks = [
        tf.debugging.assert_less_equal(
            batch, max_batch,
            message=f"{name}: batch size must be <= {max_batch} (--max_batch of this export)"),
        tf.debugging.assert_greater_equal(
            batch, 1, message=f"{name}: batch size must be >= 1"),
    ]
    if batch_like is not None:
        other, other_name = batch_like
        checks.append(tf.debugging.assert_equal(
            batch, tf.shape(other)[0],
            message=f"{name}: batch size must equal the batch size of {other_name}"))
    with tf.control_dependencies(checks):
        return tf.identity(x)


def checked_finite_scalar(x, name):
    """Returns `x` after checking that it is a scalar (shape []) and finite."""
    x = tf.ensure_shape(x, [], name=f"check_{name}_shape")
    return tf.debugging.assert_all_finite(x, message=f"{name} must be finite (not NaN or inf)")
