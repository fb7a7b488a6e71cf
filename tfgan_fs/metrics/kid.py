"""Kernel Inception Distance (KID's math; Bińkowski et al. 2018, "Demystifying MMD GANs")."""

import numpy as np


def _as_features(features, name):
    features = np.asarray(features, np.float64)
    if features.ndim != 2 or features.shape[0] < 2:
        raise ValueError(f"{name} must be [N >= 2, D], got shape {features.shape}")
    return features


def kid(features1, features2, num_subsets=100, max_subset_size=1000, seed=0):
    """Unbiased MMD^2 with the cubic polynomial kernel, averaged over random subsets.

    With d the feature dimension, the kernel is k(x, y) = (x.y / d + 1)^3 (Bińkowski et al.
    2018, section 4 and appendix). For each subset, m = min(N1, N2, max_subset_size) rows
    X = {x_i} of `features1` and Y = {y_j} of `features2` are drawn without replacement and the
    unbiased U-statistic (Gretton et al. 2012, eq. 3)

        MMD_u^2 = 1/(m(m-1)) sum_{i != j} [k(x_i, x_j) + k(y_i, y_j)] - 2/m^2 sum_{i,j} k(x_i, y_j)

    is evaluated; KID is its mean over `num_subsets` subsets. This is the formula of the
    StyleGAN2-ADA reference (`metrics/kernel_inception_distance.py`, which calls the generated
    features x and the real ones y), computed in float64 and drawing the subsets from
    `numpy.random.default_rng(seed)` (the X indices, then the Y indices, for each subset in turn)
    instead of NumPy's global random state. The estimate is symmetric in the two sets: swapping
    them gives the same value whenever N1 == N2 (the same subsets are drawn).

    Args:
        features1: Features [N1, D], e.g. of generated images.
        features2: Features [N2, D], e.g. of real images.
        num_subsets: Number of random subsets to average over (>= 1).
        max_subset_size: Upper bound on the subset size m (>= 2).
        seed: Seed of the subset draws; the result is deterministic given the seed.

    Returns:
        The KID estimate (float). It is unbiased, so it can be slightly negative.

    Raises:
        ValueError: For non-2-D inputs, fewer than 2 samples in either set, mismatched feature
            dimensions or invalid `num_subsets` / `max_subset_size`.
    """
    x_all = _as_features(features1, "features1")
    y_all = _as_features(features2, "features2")
    if x_all.shape[1] != y_all.shape[1]:
        raise ValueError(f"feature dimensions differ: {x_all.shape[1]} vs {y_all.shape[1]}")
    if num_subsets < 1:
        raise ValueError(f"num_subsets must be >= 1, got {num_subsets}")
    if max_subset_size < 2:
        raise ValueError(f"max_subset_size must be >= 2, got {max_subset_size}")

    d = x_all.shape[1]
    m = min(x_all.shape[0], y_all.shape[0], int(max_subset_size))
    rng = np.random.default_rng(seed)
    total = 0.0
    for _ in range(num_subsets):
        x = x_all[rng.choice(x_all.shape[0], m, replace=False)]
        y = y_all[rng.choice(y_all.shape[0], m, replace=False)]
        a = (x @ x.T / d + 1) ** 3 + (y @ y.T / d + 1) ** 3
        b = (x @ y.T / d + 1) ** 3
        total += (a.sum() - np.trace(a)) / (m - 1) - b.sum() * 2 / m
    return float(total / num_subsets / m)
