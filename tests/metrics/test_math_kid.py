"""KID: exact agreement with a loop implementation of the reference formula, unbiasedness under
the null, and the analytic population MMD^2 of the cubic kernel for shifted Gaussians."""

import numpy as np
import pytest

from tfgan_fs.metrics.kid import kid


def _kernel(u, v, d):
    return (sum(float(p) * float(q) for p, q in zip(u, v)) / d + 1) ** 3


def _loop_kid(gen, real, num_subsets, max_subset_size, seed):
    """The reference's estimator written with explicit loops (slow; small inputs only)."""
    rng = np.random.default_rng(seed)
    d = gen.shape[1]
    m = min(gen.shape[0], real.shape[0], max_subset_size)
    total = 0.0
    for _ in range(num_subsets):
        x = gen[rng.choice(gen.shape[0], m, replace=False)]
        y = real[rng.choice(real.shape[0], m, replace=False)]
        same = sum(_kernel(x[i], x[j], d) + _kernel(y[i], y[j], d)
                   for i in range(m) for j in range(m) if i != j)
        cross = sum(_kernel(x[i], y[j], d) for i in range(m) for j in range(m))
        total += same / (m * (m - 1)) - 2 * cross / (m * m)
    return total / num_subsets


def _u_statistic(x, y):
    """Unbiased MMD^2 (Gretton et al. 2012, eq. 3) on full samples, written independently."""
    d = x.shape[1]
    m = x.shape[0]
    off = ~np.eye(m, dtype=bool)
    kxx = (x @ x.T / d + 1) ** 3
    kyy = (y @ y.T / d + 1) ** 3
    kxy = (x @ y.T / d + 1) ** 3
    return kxx[off].mean() + kyy[off].mean() - 2 * kxy.mean()


def _expected_kernel(a, sx, b, sy):
    """E[(x.y / d + 1)^3] for independent x ~ N(a, sx^2 I), y ~ N(b, sy^2 I).

    With u = x.y: given y, u ~ N(a.y, sx^2 |y|^2), and a.y ~ N(a.b, sy^2 |a|^2), so
    E u = a.b, E u^2 = (a.b)^2 + sy^2 |a|^2 + sx^2 (|b|^2 + d sy^2),
    E u^3 = (a.b)^3 + 3 (a.b) sy^2 |a|^2 + 3 sx^2 (a.b) (|b|^2 + (d + 2) sy^2).
    """
    d = a.shape[0]
    mu, tau2, bb = a @ b, sy ** 2 * (a @ a), b @ b
    eu2 = mu ** 2 + tau2 + sx ** 2 * (bb + d * sy ** 2)
    eu3 = mu ** 3 + 3 * mu * tau2 + 3 * sx ** 2 * mu * (bb + (d + 2) * sy ** 2)
    return eu3 / d ** 3 + 3 * eu2 / d ** 2 + 3 * mu / d + 1


def _population_mmd2(mean_p, mean_q, sigma=1.0):
    return (_expected_kernel(mean_p, sigma, mean_p, sigma)
            + _expected_kernel(mean_q, sigma, mean_q, sigma)
            - 2 * _expected_kernel(mean_p, sigma, mean_q, sigma))


def test_matches_loop_reference_formula():
    rng = np.random.default_rng(0)
    gen = rng.standard_normal((15, 5)) + 0.3
    real = rng.standard_normal((12, 5))
    for num_subsets, max_subset_size, seed in [(3, 10, 7), (2, 1000, 1), (4, 2, 3)]:
        expected = _loop_kid(gen, real, num_subsets, max_subset_size, seed)
        got = kid(gen, real, num_subsets=num_subsets, max_subset_size=max_subset_size, seed=seed)
        # Same subsets, sums in another order: float64 rounding differs by ~1e-15 relative.
        assert got == pytest.approx(expected, rel=1e-12, abs=1e-14)


def test_deterministic_symmetric_and_subset_size_clamped():
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal((40, 6)), rng.standard_normal((40, 6)) + 0.5
    assert kid(a, b, num_subsets=5, seed=3) == kid(a, b, num_subsets=5, seed=3)
    # With m = 20 < 40 the seed picks the subsets, so another seed gives another estimate (1.22
    # and 0.84 here: a difference far beyond rounding).
    assert kid(a, b, num_subsets=5, max_subset_size=20, seed=3) != pytest.approx(
        kid(a, b, num_subsets=5, max_subset_size=20, seed=4), rel=0.05)
    # With m = N every subset is the whole set in another order: the seed only changes the
    # summation order, hence the last bits (float64 sums of 40^2 kernel values up to ~30:
    # rel=1e-10 is thousands of times their rounding error).
    assert kid(a, b, num_subsets=5, seed=4) == pytest.approx(kid(a, b, num_subsets=5, seed=3),
                                                             rel=1e-10)
    # Equal sizes: swapping the sets gives the same subsets, and the formula is symmetric (up to
    # the summation order of x @ y.T versus y @ x.T: ~1e-15 relative).
    assert kid(b, a, num_subsets=5, seed=3) == pytest.approx(kid(a, b, num_subsets=5, seed=3),
                                                             rel=1e-12)
    # m = min(N1, N2, max_subset_size): any max_subset_size >= 40 gives the same m, hence the same
    # draws and the same arithmetic in the same order (bit-identical).
    assert kid(a, b, num_subsets=5, max_subset_size=40) == kid(a, b, num_subsets=5)
    # float32 input is promoted to float64.
    assert kid(a.astype(np.float32), b, num_subsets=2) == pytest.approx(
        kid(a.astype(np.float32).astype(np.float64), b, num_subsets=2), rel=1e-12)


def test_analytic_kernel_expectation_matches_monte_carlo():
    # Guards the closed form used below with an independent Monte Carlo estimate.
    rng = np.random.default_rng(2)
    a, b = np.array([0.5, -1.0, 2.0]), np.array([1.0, 0.3, -0.7])
    n = 1_000_000
    x = a + 1.3 * rng.standard_normal((n, 3))
    y = b + 0.6 * rng.standard_normal((n, 3))
    values = (np.einsum("ij,ij->i", x, y) / 3 + 1) ** 3
    assert _expected_kernel(a, 1.3, b, 0.6) == pytest.approx(
        values.mean(), abs=5 * values.std() / np.sqrt(n))


def test_unbiased_under_the_null():
    # Same distribution: E[KID] = 0. The mean over repetitions must be within 4 standard errors
    # of 0, and the spread of the subset-averaged estimate lies between that of the full-sample
    # U-statistic (m = 50) and of a single half-size one (m = 25).
    rng = np.random.default_rng(3)
    reps, n, d = 300, 50, 8
    estimates, u_full, u_half = [], [], []
    for rep in range(reps):
        x, y = rng.standard_normal((n, d)), rng.standard_normal((n, d))
        estimates.append(kid(x, y, num_subsets=10, max_subset_size=25, seed=rep))
        u_full.append(_u_statistic(x, y))
        x2, y2 = rng.standard_normal((n // 2, d)), rng.standard_normal((n // 2, d))
        u_half.append(_u_statistic(x2, y2))
    estimates = np.array(estimates)
    assert abs(estimates.mean()) < 4 * estimates.std() / np.sqrt(reps)
    assert 0.8 * np.std(u_full) < estimates.std() < 1.2 * np.std(u_half)
    # Sanity of the comparison itself: a degenerate U-statistic's spread scales ~1/m.
    assert 1.5 < np.std(u_half) / np.std(u_full) < 2.7


def test_shifted_gaussians_give_population_mmd2():
    rng = np.random.default_rng(4)
    d = 4
    mean_q = np.array([0.8, -0.4, 0.0, 0.3])
    truth = _population_mmd2(np.zeros(d), mean_q)
    assert truth > 0.05
    reps = 100
    estimates = np.array([
        kid(rng.standard_normal((200, d)) + mean_q, rng.standard_normal((200, d)),
            num_subsets=10, max_subset_size=100, seed=rep) for rep in range(reps)])
    assert abs(estimates.mean() - truth) < 4 * estimates.std() / np.sqrt(reps)
    assert estimates.mean() == pytest.approx(truth, rel=0.05)


def test_invalid_inputs():
    a = np.zeros((10, 3))
    with pytest.raises(ValueError, match="dimensions"):
        kid(a, np.zeros((10, 4)))
    with pytest.raises(ValueError, match="N >= 2"):
        kid(np.zeros((1, 3)), a)
    with pytest.raises(ValueError, match="N >= 2"):
        kid(a, np.zeros((1, 3)))
    with pytest.raises(ValueError):
        kid(np.zeros(10), a)
    with pytest.raises(ValueError):
        kid(a, a, num_subsets=0)
    with pytest.raises(ValueError):
        kid(a, a, max_subset_size=1)
