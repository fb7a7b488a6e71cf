"""Fréchet distance between Gaussians fitted to feature sets (FID's math, Heusel et al. 2017)."""

import numpy as np


def feature_statistics(features):
    """Mean [D] and covariance [D, D] (unbiased, as numpy.cov) of features [N, D]."""
    features = np.asarray(features, np.float64)
    if features.ndim != 2 or features.shape[0] < 2:
        raise ValueError(f"features must be [N >= 2, D], got shape {features.shape}")
    return features.mean(axis=0), np.cov(features, rowvar=False)


def frechet_distance(mu1, sigma1, mu2, sigma2):
    """d^2 = ||mu1 - mu2||^2 + Tr(sigma1 + sigma2 - 2 (sigma1 sigma2)^(1/2)).

    Tr((sigma1 sigma2)^(1/2)) is computed as the sum of the square roots of the eigenvalues of
    the symmetric matrix sigma1^(1/2) sigma2 sigma1^(1/2), which has the same spectrum as
    sigma1 sigma2 and avoids a non-symmetric matrix square root.

    Args:
        mu1, mu2: Means [D].
        sigma1, sigma2: Covariances [D, D] (symmetric positive semi-definite).

    Returns:
        The squared Fréchet distance (float).
    """
    mu1 = np.atleast_1d(np.asarray(mu1, np.float64))
    mu2 = np.atleast_1d(np.asarray(mu2, np.float64))
    sigma1 = np.atleast_2d(np.asarray(sigma1, np.float64))
    sigma2 = np.atleast_2d(np.asarray(sigma2, np.float64))
    if mu1.shape != mu2.shape or sigma1.shape != sigma2.shape or sigma1.shape != mu1.shape * 2:
        raise ValueError(f"shape mismatch: mu {mu1.shape} / {mu2.shape}, sigma {sigma1.shape} / "
                         f"{sigma2.shape}")
    eigvals, eigvecs = np.linalg.eigh((sigma1 + sigma1.T) / 2)
    sqrt_sigma1 = (eigvecs * np.sqrt(np.clip(eigvals, 0, None))) @ eigvecs.T
    middle = sqrt_sigma1 @ sigma2 @ sqrt_sigma1
    trace_sqrt = np.sum(np.sqrt(np.clip(np.linalg.eigvalsh((middle + middle.T) / 2), 0, None)))
    diff = mu1 - mu2
    return float(diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2 * trace_sqrt)
