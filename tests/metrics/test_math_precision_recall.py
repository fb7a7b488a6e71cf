"""Improved precision/recall on point clouds with known overlap, against a brute-force k-NN
implementation, and invariance to the distance-block sizes."""

import numpy as np
import pytest

from tfgan_fs.metrics.precision_recall import precision_recall

_CENTERS_2D = 50.0 * np.array([[1, 0], [0, 1], [-1, 0], [0, -1]])


def _brute_force(real, gen, k):
    """Full Euclidean distance matrices, k-th neighbour radius = sorted row[k] (row[0] = self)."""
    def coverage(manifold, probes):
        radii = np.sort(np.sqrt(((manifold[:, None] - manifold[None]) ** 2).sum(-1)), axis=1)[:, k]
        dist = np.sqrt(((probes[:, None] - manifold[None]) ** 2).sum(-1))
        return float((dist <= radii[None]).any(axis=1).mean())
    return coverage(real, gen), coverage(gen, real)


def _modes(rng, centers, per_mode):
    return np.concatenate([c + rng.standard_normal((per_mode, centers.shape[1])) for c in centers])


def test_identical_clouds():
    feats = np.random.default_rng(0).standard_normal((300, 16))
    assert precision_recall(feats, feats) == (1.0, 1.0)


def test_duplicated_points_are_at_distance_zero():
    # Each point 4 times: with k = 3 every radius is 0, so a probe is inside only if its
    # duplicate's distance comes out as exactly 0, whatever the order and the blocking (the
    # expansion ||a||^2 + ||b||^2 - 2 a.b alone gives +-rounding noise, worse with an offset).
    feats = np.random.default_rng(6).standard_normal((100, 512)) * 3 + 1000
    dup = np.repeat(feats, 4, axis=0)
    for rows, cols in [(10000, 10000), (150, 170)]:
        assert precision_recall(dup, dup[::-1], row_batch_size=rows, col_batch_size=cols) == (
            1.0, 1.0)
        assert precision_recall(dup, dup[:200], row_batch_size=rows, col_batch_size=cols) == (
            1.0, 0.5)


def test_disjoint_far_apart_clouds():
    rng = np.random.default_rng(1)
    real = rng.standard_normal((200, 8))
    gen = rng.standard_normal((150, 8)) + 100.0
    assert precision_recall(real, gen) == (0.0, 0.0)


def test_generator_covering_half_of_the_modes_exactly():
    # gen = the real points of modes 0 and 1: every gen point is a real point (precision 1); the
    # real points of modes 0, 1 are gen points, those of modes 2, 3 are ~70 away from any gen
    # point whose radius is O(1) (recall exactly 1/2).
    rng = np.random.default_rng(2)
    real = _modes(rng, 50.0 * np.eye(8)[:4], 100)
    assert precision_recall(real, real[:200]) == (1.0, 0.5)


def test_generator_covering_half_of_the_modes_sampled():
    # Fresh samples from 2 of 4 well-separated 2-D modes: precision ~ 1 (minus the tails outside
    # the k-NN balls), recall ~ 1/2 of what a generator covering all modes gets.
    rng = np.random.default_rng(3)
    real = _modes(rng, _CENTERS_2D, 500)
    precision, recall = precision_recall(real, _modes(rng, _CENTERS_2D[:2], 1000))
    _, recall_full = precision_recall(real, _modes(rng, _CENTERS_2D, 500))
    assert precision > 0.95
    assert recall <= 0.5
    assert recall == pytest.approx(recall_full / 2, abs=0.02)


@pytest.mark.parametrize("k", [1, 3, 5])
def test_matches_brute_force_knn(k):
    rng = np.random.default_rng(10 + k)
    real = rng.standard_normal((70, 5))
    gen = 1.3 * rng.standard_normal((55, 5)) + 0.4
    precision, recall = precision_recall(real, gen, nhood_size=k)
    assert (precision, recall) == _brute_force(real, gen, k)
    assert 0 < precision < 1 and 0 < recall < 1


def test_batch_size_invariance():
    rng = np.random.default_rng(4)
    real = rng.standard_normal((123, 6))
    gen = rng.standard_normal((97, 6)) * 1.2 + 0.2
    expected = precision_recall(real, gen)
    for rows, cols in [(1, 200), (200, 1), (7, 5), (50, 200), (10000, 13)]:
        assert precision_recall(real, gen, row_batch_size=rows, col_batch_size=cols) == expected


def test_float32_input_and_invalid_inputs():
    rng = np.random.default_rng(5)
    real, gen = rng.standard_normal((40, 4)), rng.standard_normal((30, 4))
    assert precision_recall(real.astype(np.float32), gen.astype(np.float32)) == _brute_force(
        real.astype(np.float32).astype(np.float64), gen.astype(np.float32).astype(np.float64), 3)
    with pytest.raises(ValueError, match="dimensions"):
        precision_recall(real, np.zeros((30, 5)))
    with pytest.raises(ValueError, match="nhood_size"):
        precision_recall(real[:3], gen)
    with pytest.raises(ValueError):
        precision_recall(real, gen, nhood_size=0)
    with pytest.raises(ValueError):
        precision_recall(real, gen, row_batch_size=0)
    with pytest.raises(ValueError):
        precision_recall(real.ravel(), gen)
