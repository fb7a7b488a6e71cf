"""Fréchet distance against closed forms for Gaussians and a direct scipy.linalg.sqrtm
computation; feature_statistics against NumPy."""

import numpy as np
import pytest
import scipy.linalg

from tfgan_fs.metrics.frechet import feature_statistics, frechet_distance


def _random_spd(rng, d, scale=1.0):
    a = rng.standard_normal((d, d))
    return scale * (a @ a.T / d + 0.1 * np.eye(d))


def _random_rotation(rng, d):
    q, r = np.linalg.qr(rng.standard_normal((d, d)))
    return q * np.sign(np.diag(r))


def test_one_dimensional_closed_form():
    # d^2 = (m1 - m2)^2 + s1 + s2 - 2 sqrt(s1 s2) for variances s1, s2.
    for m1, m2, s1, s2 in [(0.0, 0.0, 1.0, 1.0), (1.5, -0.5, 2.0, 0.5), (3.0, 3.0, 4.0, 9.0),
                           (0.0, 1.0, 0.0, 2.0)]:
        expected = (m1 - m2) ** 2 + s1 + s2 - 2 * np.sqrt(s1 * s2)
        assert frechet_distance([m1], [[s1]], [m2], [[s2]]) == pytest.approx(expected, abs=1e-12)
    # Scalars are accepted as 1-D.
    assert frechet_distance(1.0, 4.0, 0.0, 1.0) == pytest.approx(1 + 4 + 1 - 2 * 2)


def test_diagonal_covariances_sum_over_dimensions():
    rng = np.random.default_rng(0)
    mu1, mu2 = rng.standard_normal(6), rng.standard_normal(6)
    v1, v2 = rng.uniform(0.1, 3, 6), rng.uniform(0.1, 3, 6)
    expected = np.sum((mu1 - mu2) ** 2 + v1 + v2 - 2 * np.sqrt(v1 * v2))
    assert frechet_distance(mu1, np.diag(v1), mu2, np.diag(v2)) == pytest.approx(expected,
                                                                                 rel=1e-12)


def test_commuting_covariances():
    # sigma_k = Q diag(l_k) Q^T share eigenvectors, so Tr((s1 s2)^(1/2)) = sum sqrt(l1 l2).
    rng = np.random.default_rng(1)
    d = 7
    q = _random_rotation(rng, d)
    l1, l2 = rng.uniform(0.05, 5, d), rng.uniform(0.05, 5, d)
    s1, s2 = (q * l1) @ q.T, (q * l2) @ q.T
    mu1, mu2 = rng.standard_normal(d), rng.standard_normal(d)
    expected = np.sum((mu1 - mu2) ** 2) + l1.sum() + l2.sum() - 2 * np.sum(np.sqrt(l1 * l2))
    assert frechet_distance(mu1, s1, mu2, s2) == pytest.approx(expected, rel=1e-10)


@pytest.mark.parametrize("d", [2, 5, 16, 64])
def test_matches_scipy_sqrtm_on_random_spd(d):
    rng = np.random.default_rng(d)
    s1, s2 = _random_spd(rng, d), _random_spd(rng, d, scale=2.5)
    mu1, mu2 = rng.standard_normal(d), rng.standard_normal(d)
    covmean = scipy.linalg.sqrtm(s1 @ s2)
    expected = np.sum((mu1 - mu2) ** 2) + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean).real
    assert frechet_distance(mu1, s1, mu2, s2) == pytest.approx(expected, rel=1e-8, abs=1e-10)


def test_identical_statistics_give_zero_and_symmetry():
    rng = np.random.default_rng(2)
    for d in [1, 3, 32]:
        mu, s = rng.standard_normal(d), _random_spd(rng, d)
        assert abs(frechet_distance(mu, s, mu, s)) < 1e-9 * np.trace(s)
        mu2, s2 = rng.standard_normal(d), _random_spd(rng, d)
        assert frechet_distance(mu, s, mu2, s2) == pytest.approx(
            frechet_distance(mu2, s2, mu, s), rel=1e-9)


def test_rank_deficient_covariance():
    # Fewer samples than dimensions: singular covariances; equal ones leave only the mean term.
    rng = np.random.default_rng(3)
    feats = rng.standard_normal((5, 12))
    mu, s = feature_statistics(feats)
    assert np.linalg.matrix_rank(s) == 4
    shift = rng.standard_normal(12)
    # Zero eigenvalues come out as +-1e-16 and enter through square roots, so the trace term is
    # only accurate to ~sqrt(machine epsilon) relative to Tr(sigma).
    assert frechet_distance(mu, s, mu + shift, s) == pytest.approx(shift @ shift,
                                                                   abs=1e-6 * np.trace(s))


def test_feature_statistics_matches_numpy():
    rng = np.random.default_rng(4)
    feats = rng.standard_normal((50, 6)).astype(np.float32) * 3 + 1
    mu, sigma = feature_statistics(feats)
    assert mu.dtype == np.float64 and sigma.dtype == np.float64
    f64 = feats.astype(np.float64)
    np.testing.assert_allclose(mu, f64.mean(axis=0), rtol=1e-12)
    centered = f64 - f64.mean(axis=0)
    np.testing.assert_allclose(sigma, centered.T @ centered / (len(f64) - 1), rtol=1e-12)


def test_fid_of_samples_approaches_population_value():
    # Two large Gaussian samples: the plug-in estimate is close to the 1-D closed form.
    rng = np.random.default_rng(5)
    a = rng.normal(0.0, 1.0, (200_000, 1))
    b = rng.normal(1.0, 2.0, (200_000, 1))
    value = frechet_distance(*feature_statistics(a), *feature_statistics(b))
    assert value == pytest.approx(1 + 1 + 4 - 2 * 2, abs=0.03)


def test_invalid_shapes():
    with pytest.raises(ValueError):
        feature_statistics(np.zeros((1, 3)))
    with pytest.raises(ValueError):
        feature_statistics(np.zeros(5))
    with pytest.raises(ValueError):
        frechet_distance(np.zeros(2), np.eye(2), np.zeros(3), np.eye(3))
    with pytest.raises(ValueError):
        frechet_distance(np.zeros(2), np.eye(3), np.zeros(2), np.eye(3))
