"""Set-level LPIPS statistics with a stand-in distance (mean squared difference) against
brute-force loops; batch-size invariance; intra-cluster LPIPS on hand-built clusters; MixDL's
repeated runs and nearest-training-image distance; the pixel distance; mean and std."""

import itertools
import statistics
import warnings

import numpy as np
import pytest
import tensorflow as tf

from tfgan_fs.metrics.lpips_sets import (intra_cluster_distance, intra_cluster_distances,
                                         mean_and_std, mean_pairwise_distance,
                                         mean_pairwise_distance_runs, nearest_distances,
                                         pairwise_distance_matrix, pixel_distance)


class _MeanSquaredDistance:
    """Stand-in for LPIPS: per-pair mean squared difference; records the batch sizes it sees."""

    def __init__(self):
        self.batch_sizes = []

    def __call__(self, a, b):
        assert a.shape == b.shape and len(a.shape) == 4
        self.batch_sizes.append(a.shape[0])
        return np.mean((np.asarray(a, np.float64) - np.asarray(b, np.float64)) ** 2, axis=(1, 2, 3))


def _msd(a, b):
    return float(np.mean((a.astype(np.float64) - b) ** 2))


def _images(n, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, (n, 4, 3, 2)).astype(np.float32)


def _constant_images(values):
    return np.stack([np.full((4, 4, 3), v, np.float32) for v in values])


def test_mean_pairwise_distance_matches_loops_and_batch_sizes():
    images = _images(13)
    expected = np.mean([_msd(images[i], images[j])
                        for i, j in itertools.combinations(range(13), 2)])
    for batch_size in [1, 5, 64, 78, 1000]:
        fn = _MeanSquaredDistance()
        got = mean_pairwise_distance(images, fn, batch_size=batch_size)
        assert got == pytest.approx(expected, rel=1e-12)
        assert max(fn.batch_sizes) <= batch_size
        assert sum(fn.batch_sizes) == 13 * 12 // 2   # every unordered pair once


def test_mean_pairwise_distance_tensor_input_and_tf_distance():
    images = _images(6, seed=1)

    def fn(a, b):
        return tf.reduce_mean(tf.square(a - b), axis=[1, 2, 3])

    expected = mean_pairwise_distance(images, _MeanSquaredDistance(), batch_size=4)
    assert mean_pairwise_distance(tf.constant(images), fn, batch_size=4) == pytest.approx(
        expected, rel=1e-6)
    with pytest.raises(ValueError):
        mean_pairwise_distance(images[:1], fn)
    with pytest.raises(ValueError):
        mean_pairwise_distance(images, fn, batch_size=0)
    with pytest.raises(ValueError, match="distances"):
        mean_pairwise_distance(images, lambda a, b: np.zeros(1), batch_size=4)


def test_pairwise_distance_matrix_matches_loops():
    a, b = _images(7, seed=2), _images(5, seed=3)
    expected = np.array([[_msd(x, y) for y in b] for x in a])
    for batch_size in [1, 4, 35, 64]:
        fn = _MeanSquaredDistance()
        got = pairwise_distance_matrix(a, b, fn, batch_size=batch_size)
        assert got.shape == (7, 5)
        np.testing.assert_allclose(got, expected, rtol=1e-12)
        assert max(fn.batch_sizes) <= batch_size


def test_intra_cluster_hand_built():
    centers = _constant_images([-0.8, 0.0, 0.8])
    # Cluster 0: -0.9, -0.8, -0.7 -> pair distances 0.01, 0.04, 0.01 -> 0.02.
    # Cluster 1: a single member -> skipped.  Cluster 2: 0.7, 0.9 -> 0.04.
    samples = _constant_images([-0.9, 0.7, -0.8, 0.05, 0.9, -0.7])
    per_cluster = intra_cluster_distances(samples, centers, _MeanSquaredDistance(), batch_size=2)
    np.testing.assert_allclose(per_cluster, [0.02, np.nan, 0.04], rtol=1e-6)
    assert intra_cluster_distance(samples, centers, _MeanSquaredDistance()) == pytest.approx(
        0.03, rel=1e-6)


def test_intra_cluster_ties_go_to_the_lower_center():
    centers = _constant_images([-0.5, 0.5])
    samples = _constant_images([0.0, 0.0, 0.0])
    np.testing.assert_allclose(intra_cluster_distances(samples, centers, _MeanSquaredDistance()),
                               [0.0, np.nan])


def test_intra_cluster_all_skipped_warns_and_returns_nan():
    centers = _constant_images([-0.5, 0.5])
    samples = _constant_images([-0.4, 0.4])
    with pytest.warns(RuntimeWarning, match="no cluster"):
        value = intra_cluster_distance(samples, centers, _MeanSquaredDistance())
    assert np.isnan(value)


def test_intra_cluster_subsampling():
    centers = _constant_images([0.0, 5.0])
    values = np.linspace(-0.5, 0.5, 10)
    samples = _constant_images(values)
    every_subset = {round(np.mean([(values[i] - values[j]) ** 2
                                   for i, j in itertools.combinations(subset, 2)]), 6)
                    for subset in itertools.combinations(range(10), 4)}
    results = set()
    for seed in range(5):
        value = intra_cluster_distance(samples, centers, _MeanSquaredDistance(),
                                       max_cluster_size=4, seed=seed)
        assert round(value, 6) in every_subset
        assert value == intra_cluster_distance(samples, centers, _MeanSquaredDistance(),
                                               max_cluster_size=4, seed=seed)
        results.add(value)
    assert len(results) > 1
    # A bound at or above the cluster size changes nothing.
    assert intra_cluster_distance(samples, centers, _MeanSquaredDistance(),
                                  max_cluster_size=10) == pytest.approx(
        mean_pairwise_distance(samples, _MeanSquaredDistance()), rel=1e-12)
    with pytest.raises(ValueError):
        intra_cluster_distance(samples, centers, _MeanSquaredDistance(), max_cluster_size=1)


def test_intra_cluster_matches_brute_force_on_random_sets():
    samples, centers = _images(40, seed=4), _images(4, seed=5)
    dist = np.array([[_msd(s, c) for c in centers] for s in samples])
    assignment = dist.argmin(axis=1)
    expected = []
    for cluster in range(4):
        members = np.flatnonzero(assignment == cluster)
        pairs = [_msd(samples[i], samples[j]) for i, j in itertools.combinations(members, 2)]
        if pairs:
            expected.append(np.mean(pairs))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for batch_size in [3, 64]:
            assert intra_cluster_distance(samples, centers, _MeanSquaredDistance(),
                                          batch_size=batch_size) == pytest.approx(
                np.mean(expected), rel=1e-12)


def test_mean_pairwise_distance_runs_are_consecutive_groups():
    images = _images(15, seed=6)
    expected = [np.mean([_msd(images[5 * r + i], images[5 * r + j])
                         for i, j in itertools.combinations(range(5), 2)]) for r in range(3)]
    for batch_size in [1, 4, 64]:
        fn = _MeanSquaredDistance()
        got = mean_pairwise_distance_runs(images, 3, fn, batch_size=batch_size)
        np.testing.assert_allclose(got, expected, rtol=1e-12)
        assert sum(fn.batch_sizes) == 3 * 10   # pairs within runs only
    np.testing.assert_allclose(mean_pairwise_distance_runs(images, 1, _MeanSquaredDistance()),
                               [mean_pairwise_distance(images, _MeanSquaredDistance())])
    with pytest.raises(ValueError, match="equal runs"):
        mean_pairwise_distance_runs(images, 4, _MeanSquaredDistance())
    with pytest.raises(ValueError, match="at least 2"):
        mean_pairwise_distance_runs(images, 15, _MeanSquaredDistance())


def test_nearest_distances_match_loops():
    samples, references = _images(9, seed=7), _images(4, seed=8)
    expected = [min(_msd(s, r) for r in references) for s in samples]
    for batch_size in [1, 5, 64]:
        fn = _MeanSquaredDistance()
        got = nearest_distances(samples, references, fn, batch_size=batch_size)
        np.testing.assert_allclose(got, expected, rtol=1e-12)
        assert max(fn.batch_sizes) <= batch_size
    # A copy of a reference is at distance 0 (memorisation).
    copies = np.concatenate([references[2:3], samples[:2]])
    assert nearest_distances(copies, references, _MeanSquaredDistance())[0] == 0.0
    with pytest.raises(ValueError, match="reference"):
        nearest_distances(samples, references[:0], _MeanSquaredDistance())


def test_pixel_distance_is_the_mean_squared_difference():
    a, b = _images(6, seed=9), _images(6, seed=10)
    expected = [_msd(x, y) for x, y in zip(a, b)]
    np.testing.assert_allclose(pixel_distance(a, b), expected, rtol=1e-12)
    np.testing.assert_allclose(pixel_distance(tf.constant(a), tf.constant(b)), expected,
                               rtol=1e-12)
    ones = np.ones((2, 3, 3, 3), np.float32)
    np.testing.assert_array_equal(pixel_distance(-ones, ones), [4.0, 4.0])   # the maximum
    np.testing.assert_array_equal(pixel_distance(ones, ones), [0.0, 0.0])
    # As a set distance it gives the same statistics as the stand-in.
    assert mean_pairwise_distance(a, pixel_distance, batch_size=4) == pytest.approx(
        mean_pairwise_distance(a, _MeanSquaredDistance()), rel=1e-12)


def test_mean_and_std_as_mixdl_and_cdc_print_them():
    values = [0.3, 0.5, float("nan"), 0.4, 0.9]
    mean, std = mean_and_std(values)
    assert mean == pytest.approx(statistics.mean([0.3, 0.5, 0.4, 0.9]), rel=1e-12)
    assert std == pytest.approx(statistics.stdev([0.3, 0.5, 0.4, 0.9]), rel=1e-12)
    assert mean_and_std(np.array([0.25]))[0] == 0.25 and np.isnan(mean_and_std([0.25])[1])
    assert all(np.isnan(mean_and_std([float("nan")])))
