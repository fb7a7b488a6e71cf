"""AugmentPipe gradients: first order and second order (R1 needs it) against finite differences.

For a fixed seed the pipe is affine in the images (geometric resampling, colour matrix, linear
filter, additive noise, cutout mask), so central differences in float64 are exact up to
rounding and the tolerances can be tight.
"""

import numpy as np
import tensorflow as tf

from tfgan_fs.augment import AugmentPipe

SEED = tf.constant([17, 4], tf.int64)
PIPE_KWARGS = dict(xflip=1, rotate90=1, xint=1, scale=1, rotate=1, aniso=1, xfrac=1,
                   brightness=1, contrast=1, lumaflip=1, hue=1, saturation=1, imgfilter=1,
                   noise=1, cutout=1)
SHAPE = [2, 24, 24, 3]


def _pipe():
    return AugmentPipe(**PIPE_KWARGS, initial_p=1.0)


def _rand(shape, seed):
    return np.random.default_rng(seed).normal(size=shape)


def test_pipe_supports_float64():
    x = tf.constant(_rand(SHAPE, 0))
    y = _pipe()(x, seed=SEED)
    assert y.dtype == tf.float64 and y.shape == x.shape
    y32 = _pipe()(tf.cast(x, tf.float32), seed=SEED)
    np.testing.assert_allclose(y.numpy(), y32.numpy(), rtol=0, atol=1e-4)


def test_first_order_gradient_matches_finite_differences():
    pipe = _pipe()
    x = tf.constant(_rand(SHAPE, 1))
    r = tf.constant(_rand(SHAPE, 2))

    def f(images):
        return tf.reduce_sum(pipe(images, seed=SEED) * r)

    with tf.GradientTape() as tape:
        tape.watch(x)
        loss = f(x)
    grad = tape.gradient(loss, x).numpy()
    assert np.isfinite(grad).all() and np.abs(grad).max() > 0

    eps = 1e-3
    directions = [_rand(SHAPE, 10 + k) for k in range(4)]
    for idx in [(0, 0, 0, 0), (1, 12, 7, 2), (0, 23, 23, 1)]:  # single pixels, incl. corners
        d = np.zeros(SHAPE)
        d[idx] = 1
        directions.append(d)
    for d in directions:
        fd = (f(x + eps * d) - f(x - eps * d)).numpy() / (2 * eps)
        analytic = np.sum(grad * d)
        np.testing.assert_allclose(analytic, fd, rtol=1e-7, atol=1e-9)


def test_second_order_gradient_matches_finite_differences():
    """d/dw sum(g^2), g = d/dx sum(pipe(x)^2 * w): differentiates through the backward pass."""
    pipe = _pipe()
    x = tf.constant(_rand(SHAPE, 3))

    def g_norm(w):
        with tf.GradientTape() as inner:
            inner.watch(x)
            loss = tf.reduce_sum(tf.square(pipe(x, seed=SEED)) * w)
        g = inner.gradient(loss, x)
        return tf.reduce_sum(tf.square(g))

    w = tf.constant(_rand(SHAPE, 4))
    with tf.GradientTape() as outer:
        outer.watch(w)
        value = g_norm(w)
    dw = outer.gradient(value, w)
    assert dw is not None
    dw = dw.numpy()
    assert np.isfinite(dw).all() and np.abs(dw).max() > 0

    eps = 1e-3
    for k in range(3):
        d = _rand(SHAPE, 20 + k)
        fd = (g_norm(w + eps * d) - g_norm(w - eps * d)).numpy() / (2 * eps)
        np.testing.assert_allclose(np.sum(dw * d), fd, rtol=1e-7)


def test_gradients_inside_tf_function():
    pipe = _pipe()
    x = tf.constant(_rand(SHAPE, 5), tf.float32)
    r = tf.constant(_rand(SHAPE, 6), tf.float32)

    def grads(images):
        with tf.GradientTape() as tape:
            tape.watch(images)
            loss = tf.reduce_sum(pipe(images, seed=SEED) * r)
        return tape.gradient(loss, images)

    eager = grads(x).numpy()
    graph = tf.function(grads)(x).numpy()
    assert np.isfinite(graph).all() and np.abs(graph).max() > 0
    np.testing.assert_allclose(graph, eager, rtol=0, atol=1e-5)


def test_gradient_through_identity_branch_at_p0():
    """With p = 0 the gradient flows through the identity branch of the cond."""
    pipe = AugmentPipe(**PIPE_KWARGS, initial_p=0.0)
    x = tf.constant(_rand(SHAPE, 7))
    r = tf.constant(_rand(SHAPE, 8))
    with tf.GradientTape() as tape:
        tape.watch(x)
        loss = tf.reduce_sum(pipe(x, seed=SEED) * r)
    np.testing.assert_array_equal(tape.gradient(loss, x).numpy(), r.numpy())
