"""Improved precision and recall (Kynkäänniemi et al. 2019) with k-NN manifold estimates."""

import numpy as np


def _as_features(features, name):
    features = np.asarray(features, np.float64)
    if features.ndim != 2 or features.shape[0] < 1:
        raise ValueError(f"{name} must be [N >= 1, D], got shape {features.shape}")
    return features


# Squared distances below this fraction of ||r||^2 + ||c||^2 are within the rounding error of
# the expansion ||r||^2 + ||c||^2 - 2 r.c (a dot product's error is at most D * eps * ||r|| ||c||,
# i.e. below 2^-40 for D <= 4096 in float64) and are set to exactly 0.
_ZERO_TOLERANCE = 2.0 ** -40


def _squared_distances(rows, rows_sq, cols, cols_sq):
    """||r - c||^2 [R, C] via ||r||^2 + ||c||^2 - 2 r.c, built in place in one [R, C] buffer.

    Values within rounding error of 0 become exactly 0, so that duplicated points are at
    distance 0 from each other whatever the blocking (otherwise a point could fall outside a
    zero-radius ball centred at its own duplicate).
    """
    dist = rows @ cols.T
    dist *= -2.0
    dist += (1.0 - _ZERO_TOLERANCE) * rows_sq[:, None]
    dist += (1.0 - _ZERO_TOLERANCE) * cols_sq[None, :]
    positive = dist > 0      # now dist = ||r - c||^2 - tolerance * (||r||^2 + ||c||^2)
    np.maximum(dist, 0.0, out=dist)
    np.add(dist, _ZERO_TOLERANCE * rows_sq[:, None], out=dist, where=positive)
    np.add(dist, _ZERO_TOLERANCE * cols_sq[None, :], out=dist, where=positive)
    return dist


def _kth_radii(manifold, manifold_sq, k, row_batch_size, col_batch_size):
    """Squared distance from each manifold point to its k-th smallest distance (self included).

    Keeps the k smallest distances per row while sweeping column batches (each block is
    partitioned in place), so memory is one [row_batch_size, col_batch_size] block plus
    [row_batch_size, 2k].
    """
    n = manifold.shape[0]
    radii = np.empty(n)
    for r0 in range(0, n, row_batch_size):
        rows, rows_sq = manifold[r0:r0 + row_batch_size], manifold_sq[r0:r0 + row_batch_size]
        best = np.full((rows.shape[0], 0), np.inf)
        for c0 in range(0, n, col_batch_size):
            dist = _squared_distances(rows, rows_sq, manifold[c0:c0 + col_batch_size],
                                      manifold_sq[c0:c0 + col_batch_size])
            if dist.shape[1] > k:
                dist.partition(k - 1, axis=1)
                dist = dist[:, :k]
            best = np.concatenate([best, dist], axis=1)
            if best.shape[1] > k:
                best = np.partition(best, k - 1, axis=1)[:, :k]
        radii[r0:r0 + rows.shape[0]] = best.max(axis=1)
    return radii


def _inside_manifold(probes, manifold, manifold_sq, radii, row_batch_size, col_batch_size):
    """Boolean [P]: probe within the k-NN radius of at least one manifold point."""
    probes_sq = np.einsum("ij,ij->i", probes, probes)
    inside = np.zeros(probes.shape[0], bool)
    for r0 in range(0, probes.shape[0], row_batch_size):
        rows, rows_sq = probes[r0:r0 + row_batch_size], probes_sq[r0:r0 + row_batch_size]
        hit = np.zeros(rows.shape[0], bool)
        for c0 in range(0, manifold.shape[0], col_batch_size):
            dist = _squared_distances(rows, rows_sq, manifold[c0:c0 + col_batch_size],
                                      manifold_sq[c0:c0 + col_batch_size])
            hit |= (dist <= radii[None, c0:c0 + col_batch_size]).any(axis=1)
        inside[r0:r0 + rows.shape[0]] = hit
    return inside


def _coverage(manifold, probes, nhood_size, row_batch_size, col_batch_size):
    manifold_sq = np.einsum("ij,ij->i", manifold, manifold)
    radii = _kth_radii(manifold, manifold_sq, nhood_size + 1, row_batch_size, col_batch_size)
    inside = _inside_manifold(probes, manifold, manifold_sq, radii, row_batch_size,
                              col_batch_size)
    return float(inside.mean())


def precision_recall(real_features, gen_features, nhood_size=3, row_batch_size=10000,
                     col_batch_size=10000):
    """Improved precision and recall of generated features against real ones.

    Kynkäänniemi et al. 2019, section 3: the manifold of a feature set Phi is approximated by
    the union of balls centred at each phi in Phi with radius NND_k(phi), the distance from phi
    to its k-th nearest neighbour in Phi, and

        f(phi, Phi) = 1 if ||phi - phi'|| <= NND_k(phi') for at least one phi' in Phi, else 0,
        precision = 1/|Phi_g| sum_{phi_g} f(phi_g, Phi_r),
        recall    = 1/|Phi_r| sum_{phi_r} f(phi_r, Phi_g).

    As in the StyleGAN2-ADA reference (`metrics/precision_recall.py`), NND_k is the
    (k + 1)-th smallest distance from phi to the points of Phi, because phi itself is at distance
    0, and the comparison is "<=" (a probe on the boundary of a ball is inside).

    Distances are squared Euclidean in float64 (the ordering, and therefore the result, equals
    that of the Euclidean distances), computed as ||a||^2 + ||b||^2 - 2 a.b in
    [row_batch_size, col_batch_size] blocks; values within that expansion's rounding error of 0
    (below 2^-40 (||a||^2 + ||b||^2)) are set to exactly 0, so duplicated points are reliably at
    distance 0 from each other. Peak memory beyond the features is about
    row_batch_size * col_batch_size * 10 bytes (1 GB at the defaults), independent of the set
    sizes. The batch sizes only change how the matrix products are blocked, i.e. at most the
    last bits of a distance, which could only flip a probe lying exactly on a ball's boundary.

    Args:
        real_features: Real features [N_r, D].
        gen_features: Generated features [N_g, D].
        nhood_size: k, the neighbourhood size (>= 1); each set must hold more than k points.
        row_batch_size: Rows (query points) per distance block.
        col_batch_size: Columns (manifold points) per distance block.

    Returns:
        (precision, recall) as floats in [0, 1].

    Raises:
        ValueError: For non-2-D inputs, mismatched feature dimensions, sets with <= nhood_size
            points or non-positive batch sizes.
    """
    real = _as_features(real_features, "real_features")
    gen = _as_features(gen_features, "gen_features")
    if real.shape[1] != gen.shape[1]:
        raise ValueError(f"feature dimensions differ: {real.shape[1]} vs {gen.shape[1]}")
    if nhood_size < 1:
        raise ValueError(f"nhood_size must be >= 1, got {nhood_size}")
    if min(real.shape[0], gen.shape[0]) <= nhood_size:
        raise ValueError(f"each set needs more than nhood_size={nhood_size} points, got "
                         f"{real.shape[0]} real and {gen.shape[0]} generated")
    if row_batch_size < 1 or col_batch_size < 1:
        raise ValueError(f"batch sizes must be >= 1, got {row_batch_size}, {col_batch_size}")
    precision = _coverage(real, gen, nhood_size, row_batch_size, col_batch_size)
    recall = _coverage(gen, real, nhood_size, row_batch_size, col_batch_size)
    return precision, recall
