"""AugmentPipe randomness: noise strength, per-sample gating probabilities, seed determinism."""

import numpy as np
import pytest
import scipy.special
import tensorflow as tf

from tfgan_fs.augment import AugmentPipe, augpipe_kwargs

N = 4000  # samples for the gating statistics: sigma of a fraction <= sqrt(0.25 / N) = 0.0079


def _images(shape, seed=0, low=-1.0):
    return np.random.default_rng(seed).uniform(low, 1, shape).astype(np.float32)


def _seed(a, b=0):
    return tf.constant([a, b], tf.int64)


def _assert_fraction(changed, expected):
    changed = np.asarray(changed)
    sigma = np.sqrt(expected * (1 - expected) / changed.size)
    assert abs(changed.mean() - expected) < 4 * sigma, (changed.mean(), expected)


# -- Noise ------------------------------------------------------------------------------------

@pytest.mark.parametrize("q", [0.3, 0.6, 0.9])
def test_noise_std_at_debug_percentile(q):
    x = _images([1, 256, 256, 3])
    out = AugmentPipe(noise=1)(tf.constant(x), seed=_seed(1), debug_percentile=q).numpy()
    d = (out - x).astype(np.float64)
    sigma = scipy.special.erfinv(q) * 0.1
    assert d.std() == pytest.approx(sigma, rel=0.02)
    assert abs(d.mean()) < 4 * sigma / np.sqrt(d.size)
    # Gaussian field: about 68.3 % of values within one sigma.
    assert np.mean(np.abs(d) < sigma) == pytest.approx(0.6827, abs=0.01)


def test_noise_std_scales_with_noise_std():
    x = _images([1, 128, 128, 3])
    out = AugmentPipe(noise=1, noise_std=0.3)(tf.constant(x), seed=_seed(2),
                                             debug_percentile=0.5).numpy()
    assert (out - x).std() == pytest.approx(scipy.special.erfinv(0.5) * 0.3, rel=0.03)


# -- Gating -----------------------------------------------------------------------------------

def _changed(pipe, x, seed, threshold=0.0):
    out = pipe(tf.constant(x), seed=_seed(seed)).numpy()
    return np.abs(out - x).reshape(len(x), -1).max(axis=1) > threshold


@pytest.mark.parametrize("multiplier,p,expected", [(1, 0.3, 0.3), (0.5, 0.6, 0.3), (1, 1.0, 1.0)])
def test_brightness_gate(multiplier, p, expected):
    x = _images([N, 4, 4, 3])
    pipe = AugmentPipe(brightness=multiplier, initial_p=p)
    changed = _changed(pipe, x, 3)
    if expected == 1.0:
        assert changed.all()
    else:
        _assert_fraction(changed, expected)


def test_gates_of_different_calls_are_independent():
    x = _images([N, 4, 4, 1])
    pipe = AugmentPipe(contrast=1, initial_p=0.5)
    a, b = _changed(pipe, x, 10), _changed(pipe, x, 11)
    _assert_fraction(a & b, 0.25)


def test_rotate_gate_pre_or_post():
    # Pre- and post-rotation each fire with p_rot = 1 - sqrt(1 - p): P(pre OR post) = p.
    x = _images([N, 8, 8, 1])
    pipe = AugmentPipe(rotate=1, initial_p=0.4)
    changed = _changed(pipe, x, 4, threshold=1e-3)  # unrotated samples: resampling round trip
    _assert_fraction(changed, 0.4)


def test_xflip_and_rotate90_gates():
    x = _images([N, 4, 4, 1])
    _assert_fraction(_changed(AugmentPipe(xflip=1, initial_p=1.0), x, 5), 0.5)   # i = floor(2U)
    _assert_fraction(_changed(AugmentPipe(xflip=1, initial_p=0.5), x, 6), 0.25)
    _assert_fraction(_changed(AugmentPipe(rotate90=1, initial_p=1.0), x, 7), 0.75)


def test_cutout_and_noise_gates():
    x = _images([N, 8, 8, 1], low=0.1)  # no zeros in the input
    out = AugmentPipe(cutout=1, initial_p=0.3)(tf.constant(x), seed=_seed(8)).numpy()
    _assert_fraction((out == 0).reshape(N, -1).any(axis=1), 0.3)
    _assert_fraction(_changed(AugmentPipe(noise=1, initial_p=0.7), x, 9), 0.7)


def test_imgfilter_band_gates():
    # Each band fires with imgfilter * p * band_strength; the sample is unchanged only if no band
    # fires: P(changed) = 1 - (1 - 0.5 * 0.8)(1 - 0.5 * 0.2) = 0.46.
    x = _images([N // 2, 24, 24, 1])
    pipe = AugmentPipe(imgfilter=1, imgfilter_bands=[0.8, 0.2, 0, 0], initial_p=0.5)
    _assert_fraction(_changed(pipe, x, 12, threshold=1e-5), 0.46)


# -- Seeds ------------------------------------------------------------------------------------

def test_same_seed_same_output_different_seed_different_output():
    x = _images([4, 32, 32, 3])
    pipe = AugmentPipe(**augpipe_kwargs("bgcfnc"), initial_p=0.8)
    a = pipe(tf.constant(x), seed=_seed(42, 1)).numpy()
    b = pipe(tf.constant(x), seed=_seed(42, 1)).numpy()
    c = pipe(tf.constant(x), seed=_seed(42, 2)).numpy()
    assert a.tobytes() == b.tobytes()
    assert not np.allclose(a, c)
    # Per-sample draws: samples of one call are augmented differently.
    y = np.repeat(x[:1], 4, axis=0)
    d = pipe(tf.constant(y), seed=_seed(42, 1)).numpy()
    assert not np.allclose(d[0], d[1])


def test_seed_in_tf_function_matches_eager():
    x = _images([2, 32, 32, 3])
    pipe = AugmentPipe(**augpipe_kwargs("bgcfnc"), initial_p=0.8)
    eager = pipe(tf.constant(x), seed=_seed(5, 6)).numpy()
    graph = tf.function(lambda im, s: pipe(im, seed=s))(tf.constant(x), _seed(5, 6)).numpy()
    np.testing.assert_allclose(graph, eager, rtol=0, atol=1e-5)


def test_dynamic_batch_in_tf_function():
    x = _images([3, 32, 32, 3])
    f = _images([3, 16, 16, 2], seed=1)
    pipe = AugmentPipe(**augpipe_kwargs("bgcfnc"), initial_p=0.6)
    eager_out, eager_feats = pipe(tf.constant(x), seed=_seed(1, 2), features=[tf.constant(f)])
    fn = tf.function(lambda im, ft, s: pipe(im, seed=s, features=[ft]), input_signature=[
        tf.TensorSpec([None, 32, 32, 3]), tf.TensorSpec([None, 16, 16, 2]),
        tf.TensorSpec([2], tf.int64)])
    out, feats = fn(tf.constant(x), tf.constant(f), _seed(1, 2))
    np.testing.assert_allclose(out.numpy(), eager_out.numpy(), rtol=0, atol=1e-5)
    np.testing.assert_allclose(feats[0].numpy(), eager_feats[0].numpy(), rtol=0, atol=1e-5)
