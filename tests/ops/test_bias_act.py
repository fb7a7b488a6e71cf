"""Tests for tfgan_fs.ops.bias_act against NumPy formulas and analytic derivatives."""

import math

import numpy as np
import pytest
import tensorflow as tf

from tfgan_fs.ops import ACTIVATIONS, bias_act

SELU_SCALE = 1.0507009873554804934193349852946
SELU_ALPHA = 1.6732632423543772848170429916717


def _sig(z):
    return 1.0 / (1.0 + np.exp(-z))


# name -> (f, f', f'') in NumPy, all taking (z, alpha).
NP_ACTS = {
    "linear": (lambda z, a: z, lambda z, a: np.ones_like(z), lambda z, a: np.zeros_like(z)),
    "relu": (lambda z, a: np.maximum(z, 0), lambda z, a: (z > 0).astype(z.dtype),
             lambda z, a: np.zeros_like(z)),
    "lrelu": (lambda z, a: np.where(z >= 0, z, a * z), lambda z, a: np.where(z > 0, 1.0, a),
              lambda z, a: np.zeros_like(z)),
    "tanh": (lambda z, a: np.tanh(z), lambda z, a: 1 - np.tanh(z) ** 2,
             lambda z, a: -2 * np.tanh(z) * (1 - np.tanh(z) ** 2)),
    "sigmoid": (lambda z, a: _sig(z), lambda z, a: _sig(z) * (1 - _sig(z)),
                lambda z, a: _sig(z) * (1 - _sig(z)) * (1 - 2 * _sig(z))),
    "elu": (lambda z, a: np.where(z > 0, z, np.expm1(z)),
            lambda z, a: np.where(z > 0, 1.0, np.exp(z)),
            lambda z, a: np.where(z > 0, 0.0, np.exp(z))),
    "selu": (lambda z, a: SELU_SCALE * np.where(z > 0, z, SELU_ALPHA * np.expm1(z)),
             lambda z, a: SELU_SCALE * np.where(z > 0, 1.0, SELU_ALPHA * np.exp(z)),
             lambda z, a: SELU_SCALE * np.where(z > 0, 0.0, SELU_ALPHA * np.exp(z))),
    "softplus": (lambda z, a: np.log1p(np.exp(z)), lambda z, a: _sig(z),
                 lambda z, a: _sig(z) * (1 - _sig(z))),
    "swish": (lambda z, a: z * _sig(z), lambda z, a: _sig(z) + z * _sig(z) * (1 - _sig(z)),
              lambda z, a: _sig(z) * (1 - _sig(z)) * (2 + z * (1 - 2 * _sig(z)))),
}
DEFAULT_GAINS = {"linear": 1, "relu": math.sqrt(2), "lrelu": math.sqrt(2), "tanh": 1,
                 "sigmoid": 1, "elu": 1, "selu": 1, "softplus": 1, "swish": math.sqrt(2)}


def _rand(shape, seed):
    v = np.random.default_rng(seed).normal(size=shape)
    return np.where(np.abs(v) < 1e-3, 0.5, v)  # stay away from the kinks at 0


def test_activation_table():
    assert set(ACTIVATIONS) == set(NP_ACTS)
    for name, gain in DEFAULT_GAINS.items():
        assert ACTIVATIONS[name].def_gain == pytest.approx(gain)
    assert ACTIVATIONS["lrelu"].def_alpha == pytest.approx(0.2)
    with pytest.raises(TypeError):
        ACTIVATIONS["relu"] = ACTIVATIONS["linear"]  # read-only mapping
    with pytest.raises(Exception):
        ACTIVATIONS["relu"].def_gain = 1.0  # frozen dataclass


@pytest.mark.parametrize("act", list(NP_ACTS))
def test_forward_default_parameters(act):
    x = _rand([2, 3, 4, 5], seed=1) * 2
    b = _rand([5], seed=2)
    got = bias_act(tf.constant(x, tf.float32), tf.constant(b, tf.float32), act=act).numpy()
    alpha = 0.2 if act == "lrelu" else 0.0
    expected = NP_ACTS[act][0](x + b, alpha) * DEFAULT_GAINS[act]
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("act", ["lrelu", "relu", "swish", "tanh"])
def test_forward_custom_alpha_gain_clamp(act):
    x = _rand([4, 6], seed=3) * 3
    for alpha, gain, clamp in [(0.1, 1.0, None), (0.5, 2.5, 1.0), (0.3, 0.7, 0.0)]:
        got = bias_act(tf.constant(x), act=act, alpha=alpha, gain=gain, clamp=clamp).numpy()
        a = alpha if act == "lrelu" else 0.0
        expected = NP_ACTS[act][0](x, a) * gain
        if clamp is not None:
            expected = np.clip(expected, -clamp, clamp)
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


def test_negative_clamp_disables_clamping_and_b_none():
    x = _rand([3, 4], seed=4) * 10
    np.testing.assert_allclose(bias_act(tf.constant(x), clamp=-1).numpy(), x)
    np.testing.assert_allclose(bias_act(tf.constant(x)).numpy(), x)


def test_tensor_gain_and_clamp():
    x = _rand([3, 4], seed=15) * 3
    got = bias_act(tf.constant(x), act="relu", gain=tf.constant(2.0, tf.float32),
                   clamp=tf.constant(1.5, tf.float64)).numpy()
    np.testing.assert_allclose(got, np.clip(np.maximum(x, 0) * 2.0, -1.5, 1.5), rtol=1e-12)
    with pytest.raises(ValueError, match="gain must be"):
        bias_act(tf.constant(x), gain="2")


def test_bias_axis():
    x = _rand([2, 3, 4, 5], seed=5)
    b3 = _rand([3], seed=6)
    got = bias_act(tf.constant(x), tf.constant(b3), axis=1).numpy()
    np.testing.assert_allclose(got, x + b3[None, :, None, None], rtol=1e-12)
    b5 = _rand([5], seed=7)
    for axis in (-1, 3):
        got = bias_act(tf.constant(x), tf.constant(b5), axis=axis, act="relu", gain=1).numpy()
        np.testing.assert_allclose(got, np.maximum(x + b5, 0), rtol=1e-12)
    got = bias_act(tf.constant(x), tf.constant(b3), axis=-3).numpy()
    np.testing.assert_allclose(got, x + b3[None, :, None, None], rtol=1e-12)


def test_bias_cast_to_x_dtype_and_float16():
    x = _rand([2, 4, 4, 3], seed=8).astype(np.float16)
    b = _rand([3], seed=9).astype(np.float32)
    got = bias_act(tf.constant(x), tf.constant(b), act="lrelu", clamp=1.5)
    assert got.dtype == tf.float16
    z = x.astype(np.float64) + b
    expected = np.clip(np.where(z >= 0, z, 0.2 * z) * math.sqrt(2), -1.5, 1.5)
    np.testing.assert_allclose(got.numpy().astype(np.float64), expected, rtol=1e-2, atol=1e-2)


@pytest.mark.parametrize("kwargs,match", [
    (dict(act="gelu"), "valid names: linear, relu, lrelu"),
    (dict(b=np.zeros([4])), "b has 4 elements"),
    (dict(b=np.zeros([3]), axis=5), "out of range"),
    (dict(b=np.zeros([3, 1])), "1-D"),
])
def test_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        bias_act(tf.zeros([2, 3]), **kwargs)


@pytest.mark.parametrize("dtype", [tf.float64, tf.float32])
@pytest.mark.parametrize("act", list(NP_ACTS))
def test_first_and_second_derivatives(act, dtype):
    # y = gain * act(x + b);  L = sum(r * y);  R = sum((dL/dx)^2) (the R1 pattern).
    x = _rand([2, 3, 4], seed=10)
    b = _rand([3], seed=11) * 0.3
    r = _rand([2, 3, 4], seed=12)
    gain, alpha = 1.3, 0.25
    f, d1, d2 = NP_ACTS[act]
    a = alpha if act == "lrelu" else 0.0
    z = x + b[None, :, None]
    g = r * gain * d1(z, a)
    dr = 2 * g * r * gain * d2(z, a)

    xt, bt, rt = tf.constant(x, dtype), tf.constant(b, dtype), tf.constant(r, dtype)
    tol = dict(rtol=1e-9, atol=1e-12) if dtype == tf.float64 else dict(rtol=1e-4, atol=1e-5)
    with tf.GradientTape(persistent=True) as outer:
        outer.watch([xt, bt])
        with tf.GradientTape() as inner:
            inner.watch([xt, bt])
            loss = tf.reduce_sum(rt * bias_act(xt, bt, axis=1, act=act, alpha=alpha, gain=gain))
        gx, gb = inner.gradient(loss, [xt, bt])
        penalty = tf.reduce_sum(tf.square(gx))
    hx, hb = outer.gradient(penalty, [xt, bt], unconnected_gradients="zero")

    np.testing.assert_allclose(gx.numpy(), g, **tol)
    np.testing.assert_allclose(gb.numpy(), g.sum(axis=(0, 2)), **tol)
    np.testing.assert_allclose(hx.numpy(), dr, **tol)
    np.testing.assert_allclose(hb.numpy(), dr.sum(axis=(0, 2)), **tol)


@pytest.mark.parametrize("act", ["lrelu", "softplus", "swish"])
def test_second_derivative_finite_differences(act):
    x = tf.constant(_rand([2, 5], seed=13))
    b = tf.constant(_rand([5], seed=14))

    def first_grad(v):
        with tf.GradientTape() as tape:
            tape.watch(v)
            loss = tf.reduce_sum(tf.sin(bias_act(v, b, act=act)))
        return tape.gradient(loss, v)

    theoretical, numerical = tf.test.compute_gradient(first_grad, [x], delta=1e-6)
    np.testing.assert_allclose(theoretical[0], numerical[0], rtol=1e-5, atol=1e-6)


def test_clamp_gradient_is_zero_where_clamped():
    x = tf.constant(np.linspace(-3.0, 3.0, 13))
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = bias_act(x, act="lrelu", clamp=1.0)
    grad = tape.gradient(y, x).numpy()
    pre = np.where(x.numpy() >= 0, x.numpy(), 0.2 * x.numpy()) * math.sqrt(2)
    clamped = np.abs(pre) > 1.0
    assert clamped.any() and (~clamped).any()
    np.testing.assert_array_equal(grad[clamped], 0.0)
    assert np.all(grad[~clamped] != 0.0)
