"""Losses on fixed inputs against hand-computed values; R1 and path length against finite
differences on tiny float64 networks (first and second order)."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from tfgan_fs import losses
from tfgan_fs.networks import Discriminator, Generator


def test_adversarial_losses_hand_computed():
    logits = tf.constant([[0.0], [1.0], [-2.0]])
    np.testing.assert_allclose(losses.generator_ns_loss(logits).numpy(),
                               [np.log(2), np.log1p(np.exp(-1)), np.log1p(np.exp(2))], rtol=1e-6)
    np.testing.assert_allclose(losses.discriminator_fake_loss(logits).numpy(),
                               [np.log(2), np.log1p(np.exp(1)), np.log1p(np.exp(-2))], rtol=1e-6)
    np.testing.assert_allclose(losses.discriminator_real_loss(logits).numpy(),
                               [np.log(2), np.log1p(np.exp(-1)), np.log1p(np.exp(2))], rtol=1e-6)


def test_path_length_penalty_hand_computed():
    lengths = tf.constant([1.0, 2.0, 3.0])
    penalty, new_mean = losses.path_length_penalty(lengths, tf.constant(0.5), 0.01)
    assert new_mean.numpy() == pytest.approx(0.5 + (2.0 - 0.5) * 0.01)
    np.testing.assert_allclose(penalty.numpy(), (np.array([1, 2, 3]) - 0.515) ** 2, rtol=1e-6)
    # An explicit (cross-replica) mean replaces the local one.
    _, mean2 = losses.path_length_penalty(lengths, tf.constant(0.5), 0.01, mean_length=4.0)
    assert mean2.numpy() == pytest.approx(0.5 + 3.5 * 0.01)


def test_r1_penalty_analytic_and_differentiable():
    # D(x) = a * sum(x^2) per sample: grad = 2 a x, penalty = 4 a^2 sum(x^2),
    # d penalty / d a = 8 a sum(x^2).
    a = tf.Variable(1.5)
    x = tf.constant(np.random.RandomState(0).randn(2, 3, 3, 2).astype(np.float32))
    with tf.GradientTape() as tape:
        penalty, logits = losses.r1_penalty(
            lambda img: a * tf.reduce_sum(tf.square(img), axis=[1, 2, 3])[:, None], x)
        total = tf.reduce_sum(penalty)
    sq = np.sum(x.numpy() ** 2, axis=(1, 2, 3))
    np.testing.assert_allclose(penalty.numpy(), 4 * 1.5 ** 2 * sq, rtol=1e-5)
    np.testing.assert_allclose(logits.numpy()[:, 0], 1.5 * sq, rtol=1e-5)
    np.testing.assert_allclose(tape.gradient(total, a).numpy(), 8 * 1.5 * sq.sum(), rtol=1e-5)


def test_path_lengths_analytic_linear_synthesis():
    # img = einsum(ws, M): J^T y = M y, length = sqrt(mean_k sum_d (M y)_kd^2).
    rs = np.random.RandomState(1)
    M = rs.randn(3, 4, 2 * 2 * 1)
    ws = tf.constant(rs.randn(2, 3, 4))
    y = tf.constant(rs.randn(2, 2, 2, 1))
    synth = lambda w: tf.reshape(tf.einsum("nkd,kde->ne", w, M), [-1, 2, 2, 1])  # noqa: E731
    lengths = losses.path_lengths(synth, ws, y).numpy()
    yf = y.numpy().reshape(2, 4)
    grad = np.einsum("kde,ne->nkd", M, yf)
    np.testing.assert_allclose(lengths, np.sqrt(np.mean(np.sum(grad ** 2, axis=2), axis=1)),
                               rtol=1e-10)


@pytest.fixture
def float64():
    """Builds Keras layers in float64 for the duration of a test."""
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy("float64")
    yield
    keras.config.set_dtype_policy(previous)


def _central_difference(fn, var, index, eps):
    original = var.numpy()
    values = []
    for sign in (1, -1):
        perturbed = original.copy()
        perturbed[index] += sign * eps
        var.assign(perturbed)
        values.append(float(fn()))
    var.assign(original)
    return (values[0] - values[1]) / (2 * eps)


def test_r1_matches_finite_differences_on_tiny_discriminator(float64):
    tf.random.set_seed(0)
    D = Discriminator(0, 8, 2, channel_base=64, channel_max=4,
                      epilogue_kwargs=dict(mbstd_group_size=2))
    x = tf.Variable(np.random.RandomState(2).randn(2, 8, 8, 2))

    def penalty():
        return tf.reduce_sum(losses.r1_penalty(lambda img: D(img), x.read_value())[0])

    # First order: the input gradient inside R1 equals finite differences of sum(D(x)).
    with tf.GradientTape() as tape:
        total = tf.reduce_sum(D(x))
    grad_x = tape.gradient(total, x).numpy()
    for index in [(0, 1, 2, 0), (1, 7, 0, 1), (0, 4, 4, 1)]:
        fd = _central_difference(lambda: tf.reduce_sum(D(x)), x, index, 1e-6)
        assert grad_x[index] == pytest.approx(fd, rel=1e-5, abs=1e-9)
    np.testing.assert_allclose(penalty().numpy(), np.sum(grad_x ** 2), rtol=1e-10)

    # Second order: d R1 / d weight equals finite differences of R1 in that weight.
    weight = D.blocks[0].conv0.weight
    with tf.GradientTape() as tape:
        value = penalty()
    analytic = tape.gradient(value, weight.value).numpy()
    for index in [(0, 0, 0, 0), (1, 2, 3, 1), (2, 1, 1, 3)]:
        fd = _central_difference(penalty, weight, index, 1e-6)
        assert analytic[index] == pytest.approx(fd, rel=1e-5, abs=1e-8)


def test_path_length_matches_finite_differences_on_tiny_generator(float64):
    tf.random.set_seed(1)
    G = Generator(8, 0, 6, 8, 1, mapping_kwargs=dict(num_layers=1),
                  synthesis_kwargs=dict(channel_base=64, channel_max=4))
    ws = tf.Variable(G.mapping(tf.constant(np.random.RandomState(3).randn(2, 8))))
    y = tf.constant(np.random.RandomState(4).randn(2, 8, 8, 1) / 8)
    synth = lambda w: G.synthesis(w, noise_mode="const")  # noqa: E731

    def mean_length():
        return tf.reduce_mean(losses.path_lengths(synth, ws.read_value(), y))

    # First order: J^T y equals finite differences of <g(w), y> in w.
    with tf.GradientTape() as tape:
        inner = tf.reduce_sum(synth(ws) * y)
    jty = tape.gradient(inner, ws).numpy()
    for index in [(0, 0, 0), (1, 3, 5), (0, 2, 2)]:
        fd = _central_difference(lambda: tf.reduce_sum(synth(ws) * y), ws, index, 1e-6)
        assert jty[index] == pytest.approx(fd, rel=1e-5, abs=1e-10)
    expected = np.sqrt(np.mean(np.sum(jty ** 2, axis=2), axis=1)).mean()
    assert float(mean_length()) == pytest.approx(expected, rel=1e-10)

    # Second order: d length / d weight equals finite differences.
    weight = G.synthesis.blocks[1].conv0.weight
    with tf.GradientTape() as tape:
        value = mean_length()
    analytic = tape.gradient(value, weight.value).numpy()
    for index in [(0, 0, 0, 0), (1, 2, 3, 1), (2, 1, 2, 3)]:
        fd = _central_difference(mean_length, weight, index, 1e-6)
        assert analytic[index] == pytest.approx(fd, rel=1e-5, abs=1e-9)
