"""Layers against NumPy re-derivations of the StyleGAN2 equations, plus serialization."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from tfgan_fs import layers

SQRT2 = np.sqrt(2.0)


def np_lrelu(x, alpha=0.2):
    return np.where(x >= 0, x, x * alpha)


def np_conv2d_same(x, w):
    """Correlation of NHWC x with HWIO w, 'same' zero padding (odd kernels)."""
    kh, kw = w.shape[:2]
    p = kh // 2
    xp = np.pad(x, [(0, 0), (p, p), (p, p), (0, 0)])
    n, h, wd, _ = x.shape
    out = np.zeros([n, h, wd, w.shape[3]])
    for i in range(kh):
        for j in range(kw):
            out += np.einsum("nhwc,co->nhwo", xp[:, i:i + h, j:j + wd], w[i, j])
    return out


def test_equalized_dense_matches_formula():
    layer = layers.EqualizedDense(5, 3, activation="lrelu", lr_multiplier=0.01, bias_init=0.5)
    x = np.random.RandomState(0).randn(4, 5).astype(np.float32)
    w = layer.weight.numpy()
    b = layer.bias.numpy()
    # Weights start as N(0, 1/lr_multiplier^2) and are used scaled by lr/sqrt(in).
    assert abs(np.std(layers.EqualizedDense(64, 64, lr_multiplier=0.01).weight.numpy()) - 100) < 10
    expected = np_lrelu(x @ (w * 0.01 / np.sqrt(5)) + b * 0.01) * SQRT2
    np.testing.assert_allclose(layer(x).numpy(), expected, rtol=1e-5, atol=1e-6)


def test_equalized_conv2d_matches_formula_with_clamp():
    layer = layers.EqualizedConv2D(3, 4, kernel_size=3, activation="lrelu", conv_clamp=0.5)
    layer.bias.assign(np.linspace(-1, 1, 4))
    x = np.random.RandomState(1).randn(2, 5, 5, 3).astype(np.float32)
    w = layer.weight.numpy() / np.sqrt(3 * 9)
    pre = np_conv2d_same(x, w) + layer.bias.numpy()
    expected = np.clip(np_lrelu(pre) * SQRT2, -0.5, 0.5)
    np.testing.assert_allclose(layer(x).numpy(), expected, rtol=1e-5, atol=1e-5)
    # gain scales both the activation gain and the clamp.
    expected2 = np.clip(np_lrelu(pre) * SQRT2 * 0.5, -0.25, 0.25)
    np.testing.assert_allclose(layer(x, gain=0.5).numpy(), expected2, rtol=1e-5, atol=1e-5)


def test_equalized_conv2d_down_and_up_shapes():
    x = tf.random.normal([2, 8, 8, 3])
    assert layers.EqualizedConv2D(3, 5, 3, down=2)(x).shape == (2, 4, 4, 5)
    assert layers.EqualizedConv2D(3, 5, 1, down=2, use_bias=False)(x).shape == (2, 4, 4, 5)
    assert layers.EqualizedConv2D(3, 5, 3, up=2)(x).shape == (2, 16, 16, 5)


@pytest.mark.parametrize("demodulate", [True, False])
def test_modulated_conv2d_matches_per_sample_weights(demodulate):
    rs = np.random.RandomState(2)
    x = rs.randn(3, 6, 6, 4).astype(np.float32)
    w = rs.randn(3, 3, 4, 5).astype(np.float32)
    s = rs.randn(3, 4).astype(np.float32)
    noise = rs.randn(3, 6, 6, 1).astype(np.float32)
    out = layers.modulated_conv2d(tf.constant(x), tf.constant(w), tf.constant(s), noise=noise,
                                  padding=1, demodulate=demodulate).numpy()
    expected = []
    for n in range(3):
        wn = w * s[n][None, None, :, None]                                     # eq. 1
        if demodulate:
            wn = wn / np.sqrt(np.sum(wn ** 2, axis=(0, 1, 2), keepdims=True) + 1e-8)  # eq. 3
        expected.append(np_conv2d_same(x[n:n + 1], wn)[0] + noise[n])
    np.testing.assert_allclose(out, np.stack(expected), rtol=1e-4, atol=1e-4)


def test_modulated_conv2d_float16_prenormalisation_keeps_result():
    rs = np.random.RandomState(3)
    x = rs.randn(2, 4, 4, 8).astype(np.float32)
    w = (rs.randn(3, 3, 8, 8) * 50).astype(np.float32)
    s = (rs.randn(2, 8) * 30).astype(np.float32)
    ref = layers.modulated_conv2d(tf.constant(x), tf.constant(w), tf.constant(s), padding=1)
    half = layers.modulated_conv2d(tf.constant(x, tf.float16), tf.constant(w), tf.constant(s),
                                   padding=1)
    assert half.dtype == tf.float16
    assert np.all(np.isfinite(half.numpy()))
    np.testing.assert_allclose(half.numpy().astype(np.float32), ref.numpy(), atol=0.05, rtol=0.02)


def np_minibatch_std(x, group_size, num_channels):
    n, h, w, c = x.shape
    g = min(group_size, n)
    groups = n // g
    out = np.zeros([n, h, w, num_channels])
    for j in range(groups):
        members = slice(j * g, (j + 1) * g)  # consecutive groups: sample i in group i // G
        for f in range(num_channels):
            part = x[members, ..., f * (c // num_channels):(f + 1) * (c // num_channels)]
            std = np.sqrt(part.var(axis=0) + 1e-8).mean()
            out[members, :, :, f] = std
    return np.concatenate([x, out], axis=-1)


@pytest.mark.parametrize("group_size,num_channels,n", [(4, 1, 8), (2, 2, 6), (4, 1, 2)])
def test_minibatch_std_matches_numpy(group_size, num_channels, n):
    x = np.random.RandomState(4).randn(n, 3, 3, 4).astype(np.float32)
    out = layers.MinibatchStd(group_size, num_channels)(x).numpy()
    np.testing.assert_allclose(out, np_minibatch_std(x, group_size, num_channels), rtol=1e-5,
                               atol=1e-6)


def test_synthesis_layer_noise_modes():
    layer = layers.SynthesisLayer(4, 6, w_dim=8, resolution=8, up=2)
    x = tf.random.normal([2, 4, 4, 4])
    w = tf.random.normal([2, 8])
    assert layer(x, w, noise_mode="none").shape == (2, 8, 8, 6)
    # noise_strength starts at 0, so every mode agrees until it is trained.
    np.testing.assert_allclose(layer(x, w, noise_mode="random").numpy(),
                               layer(x, w, noise_mode="none").numpy())
    layer.noise_strength.assign(0.7)
    none = layer(x, w, noise_mode="none").numpy()
    const = layer(x, w, noise_mode="const").numpy()
    assert not np.allclose(none, const)
    seed = tf.constant([3, 4], tf.int64)
    a = layer(x, w, noise_mode="random", noise_seed=seed).numpy()
    b = layer(x, w, noise_mode="random", noise_seed=seed).numpy()
    np.testing.assert_array_equal(a, b)
    c = layer(x, w, noise_mode="random", noise_seed=tf.constant([3, 5], tf.int64)).numpy()
    assert not np.allclose(a, c)
    with pytest.raises(ValueError, match="noise_mode"):
        layer(x, w, noise_mode="bogus")


def test_to_rgb_is_modulated_1x1_without_demodulation():
    layer = layers.ToRGB(4, 3, w_dim=5)
    layer.bias.assign([0.1, -0.2, 0.3])
    x = np.random.RandomState(5).randn(2, 3, 3, 4).astype(np.float32)
    w = np.random.RandomState(6).randn(2, 5).astype(np.float32)
    a = layer.affine
    styles = (w @ (a.weight.numpy() / np.sqrt(5)) + a.bias.numpy()) / np.sqrt(4)
    kernel = layer.weight.numpy()[0, 0]
    expected = np.einsum("nhwi,io,ni->nhwo", x, kernel, styles) + layer.bias.numpy()
    np.testing.assert_allclose(layer(x, w).numpy(), expected, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("make_layer,args", [
    (lambda: layers.EqualizedDense(4, 3, activation="relu", lr_multiplier=0.1),
     lambda: (tf.random.normal([2, 4]),)),
    (lambda: layers.EqualizedConv2D(3, 2, 3, down=2, conv_clamp=8.0),
     lambda: (tf.random.normal([2, 8, 8, 3]),)),
    (lambda: layers.SynthesisLayer(3, 2, w_dim=4, resolution=8, up=2),
     lambda: (tf.random.normal([2, 4, 4, 3]), tf.random.normal([2, 4]))),
    (lambda: layers.ToRGB(3, 1, w_dim=4), lambda: (tf.random.normal([2, 4, 4, 3]),
                                                 tf.random.normal([2, 4]))),
    (lambda: layers.MinibatchStd(2, 1), lambda: (tf.random.normal([4, 4, 4, 3]),)),
])
def test_layer_serialization_round_trip(make_layer, args):
    layer = make_layer()
    inputs = args()
    kwargs = {"noise_mode": "const"} if isinstance(layer, layers.SynthesisLayer) else {}
    config = keras.saving.serialize_keras_object(layer)
    clone = keras.saving.deserialize_keras_object(config)
    assert type(clone) is type(layer)
    assert clone.get_config() == layer.get_config()
    for dst, src in zip(clone.weights, layer.weights):
        dst.assign(src)
    np.testing.assert_allclose(clone(*inputs, **kwargs).numpy(), layer(*inputs, **kwargs).numpy())
