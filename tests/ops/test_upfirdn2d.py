"""Tests for tfgan_fs.ops.upfirdn2d against an independent NumPy/SciPy reference."""

import numpy as np
import pytest
import scipy.signal
import tensorflow as tf

from ops_np_reference import jacobian_np, upfirdn2d_np
from tfgan_fs.ops import downsample2d, filter2d, setup_filter, upfirdn2d, upsample2d

_RNG = np.random.default_rng(1234)
FILTERS = {
    "2d_random": _RNG.uniform(-1.0, 1.0, size=[3, 4]),  # non-symmetric, fh=3, fw=4
    "sep9_random": _RNG.uniform(-1.0, 1.0, size=[9]),   # separable, >= 8 taps
    "sep3_random": _RNG.uniform(-1.0, 1.0, size=[3]),   # 1-D passed directly: separable
    "binomial4": np.outer([1, 3, 3, 1], [1, 3, 3, 1]) / 64.0,
    "none": None,
}
PADDINGS = [0, 3, [2, -1, 1, 3], [-1, 2, 3, 0]]  # negative = crop


def _padding_for(f, padding):
    """Raw padding for small filters; for long filters add the size-keeping padding."""
    if f is None or np.shape(f)[-1] <= 4:
        return padding
    n = np.shape(f)[-1]
    x0, x1, y0, y1 = (padding,) * 4 if np.isscalar(padding) else padding
    return [x0 + n // 2, x1 + (n - 1) // 2, y0 + n // 2, y1 + (n - 1) // 2]


def _rand(shape, seed=0, dtype=np.float64):
    return np.random.default_rng(seed).normal(size=shape).astype(dtype)


def _run(x, f, dtype=tf.float32, **kwargs):
    ft = None if f is None else tf.constant(f, tf.float32)
    return upfirdn2d(tf.constant(x, dtype), ft, **kwargs).numpy()


def _check(x, f, atol=1e-5, **kwargs):
    # The op casts the filter to float32 (as NVlabs does), so feed the reference the same taps.
    f32 = None if f is None else np.asarray(f, np.float32)
    expected = upfirdn2d_np(x, f32, **kwargs)
    got = _run(x, f, **kwargs)
    assert got.shape == expected.shape, (got.shape, expected.shape)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=atol)


@pytest.mark.parametrize("fname", list(FILTERS))
@pytest.mark.parametrize("down", [1, 2, 4])
@pytest.mark.parametrize("up", [1, 2, 4])
def test_forward_matches_numpy(up, down, fname):
    x = _rand([2, 7, 5, 3], seed=up * 10 + down)  # odd, non-square
    for i, padding in enumerate(PADDINGS):
        for flip_filter in (False, True):
            gain = 1 if (i + flip_filter) % 2 else 2.5
            _check(x, FILTERS[fname], up=up, down=down,
                   padding=_padding_for(FILTERS[fname], padding),
                   flip_filter=flip_filter, gain=gain)


@pytest.mark.parametrize("fname", ["2d_random", "sep9_random", "none"])
@pytest.mark.parametrize("up,down", [
    ([2, 1], 1), ([1, 4], 1), ([4, 2], [1, 2]), (1, [2, 1]), (1, [1, 4]), ([2, 1], [1, 2]),
    ([2, 4], [4, 2]), (2, [4, 1]),
])
def test_anisotropic_factors_match_numpy(up, down, fname):
    x = _rand([1, 6, 5, 2], seed=3)
    for padding in ([1, 2, 0, 3], [3, -1, 2, 2]):
        for flip_filter in (False, True):
            _check(x, FILTERS[fname], up=up, down=down,
                   padding=_padding_for(FILTERS[fname], padding),
                   flip_filter=flip_filter, gain=1.7)


def test_convolution_vs_correlation_on_impulse():
    # A single impulse reproduces the filter (convolution) or its flip (correlation).
    f = FILTERS["2d_random"]
    x = np.zeros([1, 1, 1, 1])
    x[0, 0, 0, 0] = 1.0
    conv = _run(x, f, padding=[3, 3, 2, 2])[0, :, :, 0]
    corr = _run(x, f, padding=[3, 3, 2, 2], flip_filter=True)[0, :, :, 0]
    np.testing.assert_allclose(conv, f, rtol=1e-6)
    np.testing.assert_allclose(corr, f[::-1, ::-1], rtol=1e-6)


@pytest.mark.parametrize("up,down", [(1, 1), (2, 1), (1, 3), (3, 2)])
def test_separable_matches_scipy_upfirdn(up, down):
    # scipy.signal.upfirdn: zero insertion, full convolution, subsampling (1-D).
    taps = FILTERS["sep9_random"]
    x = _rand([1, 6, 7, 1], seed=9)
    t = np.asarray(taps, np.float32).astype(np.float64)
    expected = scipy.signal.upfirdn(t, x[0, :, :, 0], up=up, down=down, axis=1)
    expected = scipy.signal.upfirdn(t, expected, up=up, down=down, axis=0)
    n = len(taps)
    got = _run(x, taps, up=up, down=down, padding=[n - 1, n - up, n - 1, n - up])[0, :, :, 0]
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


def test_batch_and_channels_are_independent():
    x = _rand([3, 5, 6, 4], seed=5)
    f = FILTERS["2d_random"]
    full = _run(x, f, up=2, down=2, padding=1)
    for n in range(3):
        for c in range(4):
            single = _run(x[n:n + 1, :, :, c:c + 1], f, up=2, down=2, padding=1)
            np.testing.assert_allclose(full[n:n + 1, :, :, c:c + 1], single, rtol=1e-6)


@pytest.mark.parametrize("fname", ["2d_random", "sep9_random"])
def test_float16_forward(fname):
    x = _rand([2, 7, 5, 3], seed=7).astype(np.float16)
    f = FILTERS[fname]
    got = upfirdn2d(tf.constant(x), tf.constant(f, tf.float32), up=2, down=1, padding=[2, 1, 1, 2])
    assert got.dtype == tf.float16
    expected = upfirdn2d_np(x.astype(np.float64), np.asarray(f, np.float32), up=2,
                            padding=[2, 1, 1, 2])
    np.testing.assert_allclose(got.numpy().astype(np.float64), expected, rtol=2e-2, atol=2e-2)


def test_float64_forward():
    x = _rand([1, 5, 6, 2], seed=8)
    f = FILTERS["sep9_random"]
    got = upfirdn2d(tf.constant(x), tf.constant(f), up=2, down=2, padding=4, gain=3.0)
    assert got.dtype == tf.float64
    expected = upfirdn2d_np(x, f, up=2, down=2, padding=4, gain=3.0)
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-10, atol=1e-12)


# ---------------------------------------------------------------------------------------
# Helpers.

def test_filter2d_matches_numpy_and_keeps_shape():
    for fname in ("2d_random", "binomial4", "sep9_random", "sep3_random"):
        f = FILTERS[fname]
        fw, fh = np.shape(f)[-1], np.shape(f)[0]
        x = _rand([2, 7, 5, 3], seed=11)
        got = filter2d(tf.constant(x, tf.float32), tf.constant(f, tf.float32), gain=2.0).numpy()
        assert got.shape == x.shape
        expected = upfirdn2d_np(x, np.float32(f), gain=2.0,
                                padding=[fw // 2, (fw - 1) // 2, fh // 2, (fh - 1) // 2])
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)
        got = filter2d(tf.constant(x, tf.float32), tf.constant(f, tf.float32),
                       padding=[1, -1, 2, 0], flip_filter=True).numpy()
        assert got.shape == (2, 9, 5, 3)


def test_filter2d_centers_odd_filter():
    f = np.arange(1.0, 10.0).reshape(3, 3)
    x = np.zeros([1, 5, 5, 1])
    x[0, 2, 2, 0] = 1.0
    got = filter2d(tf.constant(x, tf.float32), tf.constant(f, tf.float32)).numpy()[0, :, :, 0]
    expected = np.zeros([5, 5])
    expected[1:4, 1:4] = f
    np.testing.assert_allclose(got, expected, rtol=1e-6)


@pytest.mark.parametrize("up", [2, 4, [2, 1]])
@pytest.mark.parametrize("fname", ["binomial4", "sep9_random", "2d_random"])
def test_upsample2d(up, fname):
    f = FILTERS[fname]
    fw, fh = np.shape(f)[-1], np.shape(f)[0]
    ux, uy = (up, up) if np.isscalar(up) else up
    x = _rand([2, 5, 3, 2], seed=12)
    got = upsample2d(tf.constant(x, tf.float32), tf.constant(f, tf.float32), up=up).numpy()
    assert got.shape == (2, 5 * uy, 3 * ux, 2)
    p = [(fw + ux - 1) // 2, (fw - ux) // 2, (fh + uy - 1) // 2, (fh - uy) // 2]
    expected = upfirdn2d_np(x, np.float32(f), up=up, padding=p, gain=ux * uy)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)
    got = upsample2d(tf.constant(x, tf.float32), tf.constant(f, tf.float32), up=up,
                     padding=[1, 0, -1, 2]).numpy()
    assert got.shape == (2, 5 * uy + 1, 3 * ux + 1, 2)


@pytest.mark.parametrize("down", [2, 4, [1, 2]])
@pytest.mark.parametrize("fname", ["binomial4", "sep9_random", "2d_random"])
def test_downsample2d(down, fname):
    f = FILTERS[fname]
    fw, fh = np.shape(f)[-1], np.shape(f)[0]
    dx, dy = (down, down) if np.isscalar(down) else down
    x = _rand([2, 8, 16, 2], seed=13)
    got = downsample2d(tf.constant(x, tf.float32), tf.constant(f, tf.float32), down=down).numpy()
    assert got.shape == (2, 8 // dy, 16 // dx, 2)
    p = [(fw - dx + 1) // 2, (fw - dx) // 2, (fh - dy + 1) // 2, (fh - dy) // 2]
    expected = upfirdn2d_np(x, np.float32(f), down=down, padding=p)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


def test_resampling_preserves_dc():
    # Normalized low-pass filters keep a constant image constant away from the borders.
    f = setup_filter([1, 3, 3, 1])
    x = tf.fill([1, 8, 8, 1], 3.0)
    up = upsample2d(x, f).numpy()[0, 2:-2, 2:-2, 0]
    down = downsample2d(x, f).numpy()[0, 1:-1, 1:-1, 0]
    np.testing.assert_allclose(up, 3.0, rtol=1e-6)
    np.testing.assert_allclose(down, 3.0, rtol=1e-6)


def test_identity_filter_helpers():
    x = _rand([1, 4, 6, 2], seed=14)
    xt = tf.constant(x, tf.float32)
    np.testing.assert_allclose(filter2d(xt, None).numpy(), x, rtol=1e-6)
    np.testing.assert_allclose(downsample2d(xt, None).numpy(), x[:, ::2, ::2], rtol=1e-6)
    up = upsample2d(xt, None, gain=0.25).numpy()  # gain * 4 compensates for the zeros
    expected = np.zeros([1, 8, 12, 2])
    expected[:, 1::2, 1::2] = x  # NVlabs padding for a 1-tap filter: [1, -1] per axis
    np.testing.assert_allclose(up, expected, rtol=1e-6)


# ---------------------------------------------------------------------------------------
# Gradients (float64).

GRAD_CASES = [
    dict(f="2d_random", up=2, down=1, padding=[2, 1, 1, 2], flip_filter=False, gain=1.5),
    dict(f="2d_random", up=1, down=2, padding=[3, -1, 2, 1], flip_filter=True, gain=1),
    dict(f="sep9_random", up=2, down=2, padding=4, flip_filter=False, gain=2),
    dict(f="sep3_random", up=[1, 2], down=[2, 1], padding=[1, 2, 2, 1], flip_filter=True, gain=1),
    dict(f="none", up=2, down=[1, 2], padding=[0, 1, -1, 1], flip_filter=False, gain=3),
]


def _case(case):
    case = dict(case)
    f = FILTERS[case.pop("f")]
    return (None if f is None else np.asarray(f, np.float32).astype(np.float64)), case


@pytest.mark.parametrize("case", GRAD_CASES)
def test_first_order_gradient_is_numpy_adjoint(case):
    f, kw = _case(case)
    x = _rand([2, 5, 4, 2], seed=21)
    jac = jacobian_np(lambda v: upfirdn2d_np(v, f, **kw), x)
    y_shape = upfirdn2d_np(x, f, **kw).shape
    r = _rand(y_shape, seed=22)
    xt = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        y = upfirdn2d(xt, None if f is None else tf.constant(f), **kw)
        loss = tf.reduce_sum(y * r)
    grad = tape.gradient(loss, xt).numpy()
    np.testing.assert_allclose(grad.ravel(), jac.T @ r.ravel(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("case", GRAD_CASES)
def test_second_order_gradient_r1_pattern(case):
    # L = sum(r * tanh(A x)), g = dL/dx, R = sum(g^2); dR/dx has a closed form in A.
    f, kw = _case(case)
    x = _rand([1, 5, 4, 2], seed=31)
    jac = jacobian_np(lambda v: upfirdn2d_np(v, f, **kw), x)
    y = jac @ x.ravel()
    r = _rand(upfirdn2d_np(x, f, **kw).shape, seed=32).ravel()
    sech2 = 1.0 - np.tanh(y) ** 2
    g = jac.T @ (r * sech2)
    expected = 2.0 * jac.T @ (r * (-2.0 * np.tanh(y) * sech2) * (jac @ g))

    xt = tf.constant(x)
    ft = None if f is None else tf.constant(f)
    rt = tf.constant(r.reshape(upfirdn2d_np(x, f, **kw).shape))
    with tf.GradientTape() as outer:
        outer.watch(xt)
        with tf.GradientTape() as inner:
            inner.watch(xt)
            loss = tf.reduce_sum(rt * tf.tanh(upfirdn2d(xt, ft, **kw)))
        gt = inner.gradient(loss, xt)
        penalty = tf.reduce_sum(tf.square(gt))
    got = outer.gradient(penalty, xt).numpy()
    np.testing.assert_allclose(gt.numpy().ravel(), g, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(got.ravel(), expected, rtol=1e-8, atol=1e-11)


def test_second_order_gradient_finite_differences():
    f = tf.constant(np.asarray(FILTERS["2d_random"], np.float32).astype(np.float64))
    x = tf.constant(_rand([1, 4, 3, 2], seed=41))
    r = tf.constant(_rand([1, 5, 3, 2], seed=42))

    def first_grad(v):
        with tf.GradientTape() as tape:
            tape.watch(v)
            loss = tf.reduce_sum(r * tf.tanh(upfirdn2d(v, f, up=2, down=2, padding=[2, 1, 1, 2])))
        return tape.gradient(loss, v)

    theoretical, numerical = tf.test.compute_gradient(first_grad, [x], delta=1e-5)
    np.testing.assert_allclose(theoretical[0], numerical[0], rtol=1e-5, atol=1e-7)


def test_image_smaller_than_filter_raises():
    with pytest.raises(ValueError, match="smaller than the filter"):
        upfirdn2d(tf.zeros([1, 3, 5, 1]), tf.ones([4, 4]))
