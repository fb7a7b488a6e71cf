"""Inception Score on synthetic classifier outputs with known values; softmax stability."""

import math

import numpy as np
import pytest

from tfgan_fs.metrics.inception_score import inception_score, softmax


def _reference_formula(probs, num_splits):
    """The reference's loop (valid for strictly positive probabilities)."""
    n = probs.shape[0]
    scores = []
    for i in range(num_splits):
        part = probs[i * n // num_splits:(i + 1) * n // num_splits]
        kl = part * (np.log(part) - np.log(np.mean(part, axis=0, keepdims=True)))
        scores.append(np.exp(np.mean(np.sum(kl, axis=1))))
    return np.mean(scores), np.std(scores)


def test_uniform_predictions_give_one():
    mean, std = inception_score(np.full((100, 7), 1 / 7), num_splits=10)
    assert mean == pytest.approx(1.0, abs=1e-12) and std == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize("k", [2, 10, 300])
def test_confident_predictions_spread_evenly_give_k(k):
    # Each contiguous split of size 3k holds every class 3 times, so every split scores k.
    probs = np.eye(k)[np.arange(30 * k) % k]
    mean, std = inception_score(probs, num_splits=10)
    assert mean == pytest.approx(k, rel=1e-12) and std == pytest.approx(0.0, abs=1e-9)


def test_hand_computed_two_class_case():
    probs = np.array([[0.9, 0.1], [0.2, 0.8]])
    # p(y) = (0.55, 0.45)
    kl1 = 0.9 * math.log(0.9 / 0.55) + 0.1 * math.log(0.1 / 0.45)
    kl2 = 0.2 * math.log(0.2 / 0.55) + 0.8 * math.log(0.8 / 0.45)
    mean, std = inception_score(probs, num_splits=1)
    assert mean == pytest.approx(math.exp((kl1 + kl2) / 2), rel=1e-12)
    assert std == 0.0


def test_contiguous_splits():
    # N = 10, 3 splits -> rows [0, 3), [3, 6), [6, 10) (i N // S boundaries).
    eye = np.eye(3)
    probs = np.concatenate([eye[[0, 1, 2]],        # 3 classes evenly: IS 3
                            eye[[1, 1, 1]],        # one class: IS 1
                            eye[[0, 1, 0, 1]]])    # 2 classes evenly: IS 2
    mean, std = inception_score(probs, num_splits=3)
    assert mean == pytest.approx(2.0, rel=1e-12)
    assert std == pytest.approx(math.sqrt(2 / 3), rel=1e-12)   # population std of (3, 1, 2)


def test_matches_reference_formula_for_positive_probabilities():
    rng = np.random.default_rng(0)
    probs = softmax(3 * rng.standard_normal((1003, 20)))
    for splits in [1, 7, 10]:
        np.testing.assert_allclose(inception_score(probs, splits),
                                   _reference_formula(probs, splits), rtol=1e-12)


def test_softmax_is_stable_and_normalised():
    logits = np.array([[1000.0, 1001.0, 999.0], [-1000.0, -1000.0, -1000.0], [0.0, 1.0, 2.0]])
    probs = softmax(logits)
    assert np.all(np.isfinite(probs))
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-15)
    expected = np.exp([0.0, 1.0, 2.0]) / np.exp([0.0, 1.0, 2.0]).sum()
    np.testing.assert_allclose(probs[0], expected[[1, 2, 0]], rtol=1e-12)
    np.testing.assert_allclose(probs[1], 1 / 3, rtol=1e-15)
    np.testing.assert_allclose(probs[2], expected, rtol=1e-12)
    np.testing.assert_allclose(softmax(logits.T, axis=0), probs.T, rtol=1e-15)


def test_invalid_inputs():
    with pytest.raises(ValueError, match="softmax"):
        inception_score(np.random.default_rng(0).standard_normal((20, 5)))
    with pytest.raises(ValueError, match="num_splits"):
        inception_score(np.full((5, 2), 0.5), num_splits=6)
    with pytest.raises(ValueError):
        inception_score(np.full(5, 0.2))
