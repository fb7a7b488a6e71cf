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


def checked_finite(x, name):
    """Returns `x` after checking that every value is finite."""
    return tf.debugging.assert_all_finite(x, message=f"{name} must be finite (not NaN or inf)")


def checked_finite_scalar(x, name):
    """Returns `x` after checking that it is a scalar (shape []) and finite."""
    return checked_finite(tf.ensure_shape(x, [], name=f"check_{name}_shape"), name)


def checked_images(x, name, size, max_batch, batch_like=None, tolerance=0.0):
    """Returns float images `x` after checking shape [N, size, size, 3], N, and values.

    Values must be finite and in [-1 - tolerance, 1 + tolerance] (uint8 pixels u map to
    u / 127.5 - 1); the message names the input and the range.
    """
    x = checked_finite(checked_batch(x, name, [size, size, 3], max_batch, batch_like), name)
    low, high = -1.0 - tolerance, 1.0 + tolerance
    message = (f"{name}: values must be in [-1, 1] (within {tolerance:g}; uint8 pixels u as "
               f"u / 127.5 - 1)")
    # tf.debugging.Assert rather than assert_less_equal & co.: their text "Condition x <= y"
    # would misname the inputs, which are called x and y here too.
    low_x, high_x = tf.reduce_min(x), tf.reduce_max(x)
    checks = [tf.debugging.Assert(
        tf.logical_and(low_x >= tf.constant(low, x.dtype), high_x <= tf.constant(high, x.dtype)),
        [message, f"got {name} in", low_x, "..", high_x])]
    with tf.control_dependencies(checks):
        return tf.identity(x)


def checked_indices(y, name, num_values, max_batch, batch_like=None, what="index"):
    """Returns integer `y` [N] after checking its shape, N, and 0 <= y < num_values."""
    y = checked_batch(y, name, [], max_batch, batch_like)
    message = f"{name}: every {what} must be in [0, {num_values}) (0 <= {name} < {num_values})"
    valid = tf.logical_and(y >= 0, y < tf.constant(num_values, y.dtype))
    checks = [tf.debugging.Assert(tf.reduce_all(valid), [message, f"got {name} =", y],
                                  summarize=max_batch)]
    with tf.control_dependencies(checks):
        return tf.identity(y)
