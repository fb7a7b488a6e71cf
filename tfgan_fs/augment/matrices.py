"""Batched homogeneous transformation matrices for the augmentation pipe (float32).

Each element of a matrix is either a Python number or a tensor of shape [N]; the result has
shape [N, R, C]. 2-D matrices act on (x, y, 1) pixel coordinates (centred on the image), 3-D
ones on (r, g, b, 1) colours. The `_inv` variants are the exact inverses.
"""

import tensorflow as tf


def matrix(rows, batch_size):
    """Stacks rows of numbers / [N] tensors into an [N, R, C] float32 tensor."""
    elems = [tf.broadcast_to(tf.cast(e, tf.float32), [batch_size]) for row in rows for e in row]
    return tf.reshape(tf.stack(elems, axis=-1), [batch_size, len(rows), len(rows[0])])


def identity(size, batch_size):
    return tf.eye(size, batch_shape=[batch_size])


def translate2d(tx, ty, n):
    return matrix([[1, 0, tx], [0, 1, ty], [0, 0, 1]], n)


def translate2d_inv(tx, ty, n):
    return translate2d(-tx, -ty, n)


def scale2d(sx, sy, n):
    return matrix([[sx, 0, 0], [0, sy, 0], [0, 0, 1]], n)


def scale2d_inv(sx, sy, n):
    return scale2d(1 / sx, 1 / sy, n)


def rotate2d(cos, sin, n):
    """Rotation by the angle whose cosine and sine are given (exact for multiples of 90)."""
    return matrix([[cos, -sin, 0], [sin, cos, 0], [0, 0, 1]], n)


def rotate2d_inv(cos, sin, n):
    return rotate2d(cos, -sin, n)


def translate3d(tx, ty, tz, n):
    return matrix([[1, 0, 0, tx], [0, 1, 0, ty], [0, 0, 1, tz], [0, 0, 0, 1]], n)


def scale3d(sx, sy, sz, n):
    return matrix([[sx, 0, 0, 0], [0, sy, 0, 0], [0, 0, sz, 0], [0, 0, 0, 1]], n)


def rotate3d(v, theta, n):
    """Rotation by `theta` [N] about the unit axis v (3 numbers), Rodrigues' formula."""
    vx, vy, vz = v
    s, c = tf.sin(theta), tf.cos(theta)
    cc = 1 - c
    return matrix([[vx * vx * cc + c, vx * vy * cc - vz * s, vx * vz * cc + vy * s, 0],
                   [vy * vx * cc + vz * s, vy * vy * cc + c, vy * vz * cc - vx * s, 0],
                   [vz * vx * cc - vy * s, vz * vy * cc + vx * s, vz * vz * cc + c, 0],
                   [0, 0, 0, 1]], n)
