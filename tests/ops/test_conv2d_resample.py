"""Tests for tfgan_fs.ops.conv2d_resample (every fast path and the fallback) against
the generic NVlabs definition written in NumPy, plus eager / tf.function / XLA agreement
of all ops."""

import numpy as np
import pytest
import tensorflow as tf

from ops_np_reference import conv2d_resample_np, jacobian_np
from tfgan_fs.ops import (bias_act, conv2d_resample, downsample2d, filter2d, setup_filter,
                          upfirdn2d, upsample2d)
from tfgan_fs.ops.conv2d_resample import _conv2d_resample_generic

_RNG = np.random.default_rng(99)
F_RANDOM = np.asarray(_RNG.uniform(0.1, 1.0, size=[3, 4]), np.float32).astype(np.float64)
F_BINOM = setup_filter([1, 3, 3, 1]).numpy().astype(np.float64)
F_SEP = np.asarray(_RNG.uniform(0.1, 1.0, size=[8]), np.float32).astype(np.float64)

# (name, kernel [kh, kw], up, down, padding) -- the name says which path NVlabs takes.
PATH_CASES = [
    ("plain", [3, 3], 1, 1, 1),
    ("plain", [3, 2], 1, 1, [2, 0]),
    ("plain", [1, 1], 1, 1, 0),
    ("fallback", [3, 3], 1, 1, [1, 0, 2, 1]),
    ("fallback", [2, 3], 1, 1, -1),
    ("1x1_down", [1, 1], 1, 2, 0),
    ("1x1_down", [1, 1], 1, 2, [1, 0, -1, 2]),
    ("1x1_up", [1, 1], 2, 1, 0),
    ("1x1_up", [1, 1], 2, 1, [1, 2, 0, -1]),
    ("down", [3, 3], 1, 2, 1),
    ("down", [2, 3], 1, 2, [0, 1, 2, -1]),
    ("up", [3, 3], 2, 1, 1),
    ("up", [3, 2], 2, 1, [2, 0, 1, 3]),
    ("up", [3, 3], 2, 1, -2),  # negative padding: cropped inside the transposed conv
    ("up_down", [3, 3], 2, 2, 1),
    ("up_down", [1, 1], 2, 2, 0),
]


def _rand(shape, seed):
    return np.random.default_rng(seed).normal(size=shape)


def _ids(cases):
    return [f"{c[0]}-k{c[1][0]}x{c[1][1]}-up{c[2]}-down{c[3]}-p{c[4]}".replace(" ", "")
            for c in cases]


@pytest.mark.parametrize("case", PATH_CASES, ids=_ids(PATH_CASES))
def test_forward_matches_numpy(case):
    _, (kh, kw), up, down, padding = case
    x = _rand([2, 5, 6, 3], seed=1)
    w = _rand([kh, kw, 3, 4], seed=2)
    for f in (F_RANDOM, F_BINOM, F_SEP, None):
        for flip_weight in (True, False):
            flip_filter = flip_weight is False and f is F_RANDOM
            kwargs = dict(up=up, down=down, padding=padding, flip_weight=flip_weight,
                          flip_filter=flip_filter)
            expected = conv2d_resample_np(x, w, f, **kwargs)
            ft = None if f is None else tf.constant(f)
            got = conv2d_resample(tf.constant(x), tf.constant(w), ft, **kwargs).numpy()
            assert got.shape == expected.shape, (got.shape, expected.shape)
            np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize("up,down,padding", [(1, 1, [1, 0, 2, 1]), (2, 1, 1), (1, 2, [0, 1, 1, 0]),
                                             (2, 2, 0)])
def test_generic_fallback_matches_numpy(up, down, padding):
    # The fallback is only reached for up == down == 1; check the function on its own too.
    x = _rand([1, 5, 4, 2], seed=3)
    w = _rand([3, 3, 2, 3], seed=4)
    for flip_weight in (True, False):
        expected = conv2d_resample_np(x, w, F_RANDOM, up=up, down=down, padding=padding,
                                      flip_weight=flip_weight, flip_filter=True)
        fw, fh = 4, 3
        px0, px1, py0, py1 = (padding,) * 4 if np.isscalar(padding) else padding
        if up > 1:
            px0, px1 = px0 + (fw + up - 1) // 2, px1 + (fw - up) // 2
            py0, py1 = py0 + (fh + up - 1) // 2, py1 + (fh - up) // 2
        if down > 1:
            px0, px1 = px0 + (fw - down + 1) // 2, px1 + (fw - down) // 2
            py0, py1 = py0 + (fh - down + 1) // 2, py1 + (fh - down) // 2
        got = _conv2d_resample_generic(tf.constant(x), tf.constant(w), tf.constant(F_RANDOM), up,
                                       down, (px0, px1, py0, py1), flip_weight, True).numpy()
        np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-10)


def test_image_smaller_than_kernel_raises():
    with pytest.raises(ValueError, match="smaller than the kernel"):
        conv2d_resample(tf.zeros([1, 4, 2, 1]), tf.zeros([3, 3, 1, 1]))
    with pytest.raises(ValueError, match="smaller than the kernel"):
        conv2d_resample(tf.zeros([1, 4, 4, 1]), tf.zeros([3, 3, 1, 1]), padding=[-1, -1, 0, 0])


def test_output_shapes_of_stylegan2_layers():
    f = setup_filter([1, 3, 3, 1])
    x = tf.zeros([2, 8, 8, 5])
    w = tf.zeros([3, 3, 5, 7])
    assert conv2d_resample(x, w, f, padding=1).shape == (2, 8, 8, 7)
    assert conv2d_resample(x, w, f, up=2, padding=1).shape == (2, 16, 16, 7)
    assert conv2d_resample(x, w, f, down=2, padding=1).shape == (2, 4, 4, 7)
    assert conv2d_resample(x, tf.zeros([1, 1, 5, 7]), f, down=2).shape == (2, 4, 4, 7)


def test_float32_and_float16():
    x = _rand([1, 6, 6, 3], seed=5)
    w = _rand([3, 3, 3, 2], seed=6)
    expected = conv2d_resample_np(x, w, F_BINOM, up=2, padding=1)
    for dtype, tol in ((tf.float32, 1e-4), (tf.float16, 5e-2)):
        got = conv2d_resample(tf.constant(x, dtype), tf.constant(w, dtype), tf.constant(F_BINOM),
                              up=2, padding=1)
        assert got.dtype == dtype
        np.testing.assert_allclose(got.numpy().astype(np.float64), expected, rtol=tol, atol=tol)


# ---------------------------------------------------------------------------------------
# Gradients w.r.t. x and w (float64).

GRAD_CASES = [c for c in PATH_CASES if c[4] != -2][::2] + [PATH_CASES[13]]


@pytest.mark.parametrize("case", GRAD_CASES, ids=_ids(GRAD_CASES))
def test_first_order_gradients_are_numpy_adjoints(case):
    _, (kh, kw), up, down, padding = case
    x = _rand([1, 5, 5, 2], seed=7)
    w = _rand([kh, kw, 2, 2], seed=8)
    kwargs = dict(f=F_RANDOM, up=up, down=down, padding=padding, flip_weight=False)
    y_np = conv2d_resample_np(x, w, **kwargs)
    r = _rand(y_np.shape, seed=9)
    jx = jacobian_np(lambda v: conv2d_resample_np(v, w, **kwargs), x)
    jw = jacobian_np(lambda v: conv2d_resample_np(x, v, **kwargs), w)

    xt, wt = tf.constant(x), tf.constant(w)
    with tf.GradientTape() as tape:
        tape.watch([xt, wt])
        loss = tf.reduce_sum(r * conv2d_resample(xt, wt, tf.constant(F_RANDOM), up=up, down=down,
                                                 padding=padding, flip_weight=False))
    gx, gw = tape.gradient(loss, [xt, wt])
    np.testing.assert_allclose(gx.numpy().ravel(), jx.T @ r.ravel(), rtol=1e-9, atol=1e-11)
    np.testing.assert_allclose(gw.numpy().ravel(), jw.T @ r.ravel(), rtol=1e-9, atol=1e-11)


@pytest.mark.parametrize("case", GRAD_CASES, ids=_ids(GRAD_CASES))
def test_second_order_gradients_finite_differences(case):
    # R(x, w) = |dL/dx|^2 + |dL/dw|^2 with L = sum(r * tanh(conv(x, w))): compare the
    # autodiff gradient of R with central differences of R along random directions.
    _, (kh, kw), up, down, padding = case
    x = tf.constant(_rand([1, 4, 5, 2], seed=10))
    w = tf.constant(_rand([kh, kw, 2, 2], seed=11) * 0.5)
    f = tf.constant(F_BINOM)
    conv = lambda a, b: conv2d_resample(a, b, f, up=up, down=down, padding=padding)  # noqa: E731
    r = tf.constant(_rand(conv(x, w).shape, seed=12))

    def penalty(a, b):
        with tf.GradientTape() as tape:
            tape.watch([a, b])
            loss = tf.reduce_sum(r * tf.tanh(conv(a, b)))
        ga, gb = tape.gradient(loss, [a, b])
        return tf.reduce_sum(tf.square(ga)) + tf.reduce_sum(tf.square(gb))

    with tf.GradientTape() as tape:
        tape.watch([x, w])
        value = penalty(x, w)
    hx, hw = tape.gradient(value, [x, w])
    eps = 1e-5
    for seed in (13, 14):
        vx = tf.constant(_rand(x.shape, seed=seed))
        vw = tf.constant(_rand(w.shape, seed=seed + 100))
        for dx, dw in ((vx, 0 * vw), (0 * vx, vw)):
            numeric = (penalty(x + eps * dx, w + eps * dw) - penalty(x - eps * dx, w - eps * dw))
            numeric = numeric.numpy() / (2 * eps)
            analytic = tf.reduce_sum(hx * dx).numpy() + tf.reduce_sum(hw * dw).numpy()
            np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-8)


def test_second_order_full_finite_difference_jacobian():
    x = tf.constant(_rand([1, 3, 3, 1], seed=15))
    w = tf.constant(_rand([3, 3, 1, 2], seed=16))
    f = tf.constant(F_RANDOM)
    r = tf.constant(_rand([1, 6, 6, 2], seed=17))

    def grads(a, b):
        with tf.GradientTape() as tape:
            tape.watch([a, b])
            loss = tf.reduce_sum(r * tf.tanh(conv2d_resample(a, b, f, up=2, padding=1)))
        ga, gb = tape.gradient(loss, [a, b])
        return tf.concat([tf.reshape(ga, [-1]), tf.reshape(gb, [-1])], axis=0)

    theoretical, numerical = tf.test.compute_gradient(grads, [x, w], delta=1e-5)
    for t, n in zip(theoretical, numerical):
        np.testing.assert_allclose(t, n, rtol=1e-5, atol=1e-7)


# ---------------------------------------------------------------------------------------
# Eager vs tf.function vs XLA for all ops.

def _all_ops(x, w, b):
    f2 = tf.constant(F_RANDOM, tf.float32)
    fs = setup_filter(np.arange(1.0, 9.0))
    outs = [
        upfirdn2d(x, f2, up=[2, 1], down=[1, 2], padding=[1, 2, 0, 1], flip_filter=True, gain=2),
        upfirdn2d(x, fs, up=2, down=[2, 1], padding=[4, 3, 3, 4]),
        upfirdn2d(x, None, up=[1, 2], down=2, padding=[-1, 1, 0, 0]),
        filter2d(x, fs),
        upsample2d(x, f2),
        downsample2d(x, fs, down=[1, 2]),
        bias_act(x, b, act="lrelu", clamp=0.5),
        bias_act(x, b, act="swish"),
    ]
    fb = setup_filter([1, 3, 3, 1])
    for up, down, padding, k in ((1, 1, 1, 3), (1, 1, [1, 0, 0, 1], 3), (2, 1, 1, 3),
                                 (1, 2, 1, 3), (2, 2, -1, 3), (2, 1, 0, 1), (1, 2, 0, 1)):
        outs.append(conv2d_resample(x, w[:k, :k], fb, up=up, down=down, padding=padding,
                                    flip_weight=(k == 3)))
    with tf.GradientTape() as outer:
        outer.watch(x)
        with tf.GradientTape() as inner:
            inner.watch(x)
            y = conv2d_resample(x, w, fb, up=2, padding=1)
            y = bias_act(y, b, act="lrelu")
            y = upfirdn2d(y, fs, down=2, padding=3)
            loss = tf.reduce_sum(tf.square(y))
        g = inner.gradient(loss, x)
        penalty = tf.reduce_sum(tf.square(g))
    outs += [g, outer.gradient(penalty, x)]
    return outs


def test_eager_function_and_xla_agree():
    x = tf.constant(_rand([2, 6, 5, 3], seed=18), tf.float32)
    w = tf.constant(_rand([3, 3, 3, 3], seed=19), tf.float32)
    b = tf.constant(_rand([3], seed=20), tf.float32)
    eager = _all_ops(x, w, b)
    graph = tf.function(_all_ops)(x, w, b)
    xla = tf.function(_all_ops, jit_compile=True)(x, w, b)
    assert len(eager) == len(graph) == len(xla)
    for i, (e, g, j) in enumerate(zip(eager, graph, xla)):
        np.testing.assert_allclose(g.numpy(), e.numpy(), rtol=1e-5, atol=1e-5, err_msg=str(i))
        np.testing.assert_allclose(j.numpy(), e.numpy(), rtol=1e-4, atol=1e-4, err_msg=str(i))


def test_dynamic_shapes_in_tf_function():
    spec = tf.TensorSpec([None, None, None, 3], tf.float32)
    fs = setup_filter(np.arange(1.0, 9.0))
    fb = setup_filter([1, 3, 3, 1])
    w = tf.constant(_rand([3, 3, 3, 2], seed=21), tf.float32)

    def fn(x):
        return (upfirdn2d(x, fs, up=[2, 1], down=[1, 2], padding=4),
                upfirdn2d(x, fb, down=[2, 1], padding=[1, 2, 2, 1]),
                conv2d_resample(x, w, fb, up=2, padding=1),
                conv2d_resample(x, w, fb, down=2, padding=1))

    x = tf.constant(_rand([2, 6, 7, 3], seed=22), tf.float32)
    dynamic = tf.function(fn, input_signature=[spec])(x)
    for d, e in zip(dynamic, fn(x)):
        np.testing.assert_allclose(d.numpy(), e.numpy(), rtol=1e-6, atol=1e-6)
