"""Set-level LPIPS statistics (diversity, nearest-training-image distance and few-shot
intra-cluster LPIPS) for any distance.

LPIPS itself (Zhang et al. 2018) is a network; here it is any callable
`distance_fn(img_a, img_b) -> [N]` returning one distance per aligned pair of image batches
(NHWC, float in [-1, 1]). Pairs are formed from index lists and evaluated `batch_size` pairs at
a time, so no function here materialises all N^2 image pairs. `pixel_distance` is a distance
that needs no network (the `pix_*` metrics).
"""

import warnings

import numpy as np
import tensorflow as tf


def _as_images(images, name):
    if not isinstance(images, tf.Tensor):
        images = np.asarray(images)
    if len(images.shape) < 1:
        raise ValueError(f"{name} must be a batch of images [N, H, W, C], got a scalar")
    return images


def _gather(images, idx):
    if isinstance(images, tf.Tensor):
        return tf.gather(images, idx)
    return images[idx]


def _num(images):
    return int(images.shape[0])


def _check_batch_size(batch_size):
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")


def _distances(distance_fn, images_a, idx_a, images_b, idx_b):
    """distance_fn on the aligned pairs (images_a[idx_a[k]], images_b[idx_b[k]]) as float64 [K]."""
    dist = np.asarray(distance_fn(_gather(images_a, idx_a), _gather(images_b, idx_b)),
                      np.float64).reshape(-1)
    if dist.shape[0] != len(idx_a):
        raise ValueError(f"distance_fn returned {dist.shape[0]} distances for {len(idx_a)} pairs")
    return dist


def _upper_pairs(members, batch_size):
    """Yields (i, j) index arrays, at most `batch_size` long, that together cover every pair
    (members[p], members[q]) with p < q exactly once, in row-major order."""
    buf_i, buf_j, count = [], [], 0
    for p in range(len(members) - 1):
        partners = members[p + 1:]
        start = 0
        while start < len(partners):
            take = min(batch_size - count, len(partners) - start)
            buf_i.append(np.full(take, members[p]))
            buf_j.append(partners[start:start + take])
            count += take
            start += take
            if count == batch_size:
                yield np.concatenate(buf_i), np.concatenate(buf_j)
                buf_i, buf_j, count = [], [], 0
    if count:
        yield np.concatenate(buf_i), np.concatenate(buf_j)


def _mean_pairwise(images, members, distance_fn, batch_size):
    total, count = 0.0, 0
    for idx_i, idx_j in _upper_pairs(members, batch_size):
        dist = _distances(distance_fn, images, idx_i, images, idx_j)
        total += dist.sum()
        count += dist.shape[0]
    return total / count


def mean_pairwise_distance(images, distance_fn, batch_size=64):
    """Mean distance over all unordered pairs, 2 / (N (N - 1)) sum_{i < j} d(x_i, x_j).

    The LPIPS diversity of a set of outputs: MixDL (Kong et al. 2022, `compute_lpips.py`)
    averages LPIPS over all pairs of generated samples; StarGAN v2 (Choi et al. 2020) averages
    it over the pairs of outputs generated for one input (then over inputs).

    Args:
        images: Images [N, H, W, C] (N >= 2), a NumPy array or a tensor.
        distance_fn: Callable (img_a [K, H, W, C], img_b [K, H, W, C]) -> distances [K].
        batch_size: Pairs per distance_fn call.

    Returns:
        The mean pairwise distance (float).

    Raises:
        ValueError: For N < 2, batch_size < 1 or a distance_fn returning the wrong length.
    """
    images = _as_images(images, "images")
    _check_batch_size(batch_size)
    if _num(images) < 2:
        raise ValueError(f"need at least 2 images, got {_num(images)}")
    return float(_mean_pairwise(images, np.arange(_num(images)), distance_fn, batch_size))


def mean_pairwise_distance_runs(images, num_runs, distance_fn, batch_size=64):
    """MixDL's repeated diversity: the mean pairwise distance of each of `num_runs` sample sets.

    MixDL's `compute_lpips.py` repeats its pairwise LPIPS `--n_run 5` times, each time on a
    random subset of a checkpoint's saved samples, and prints the mean and std of the runs.
    Here the runs are disjoint: `images` is split into `num_runs` consecutive groups of
    N = len(images) / num_runs images (independent draws from the generator), and run r is
    `mean_pairwise_distance(images[r N:(r + 1) N])`.

    Args:
        images: Images [num_runs * N, H, W, C] (N >= 2).
        num_runs: Number of runs (>= 1); must divide the number of images.
        distance_fn: Callable (img_a [K, H, W, C], img_b [K, H, W, C]) -> distances [K].
        batch_size: Pairs per distance_fn call.

    Returns:
        float64 array [num_runs]: each run's mean pairwise distance.
    """
    images = _as_images(images, "images")
    if num_runs < 1 or _num(images) % num_runs:
        raise ValueError(f"{_num(images)} images cannot be split into {num_runs} equal runs")
    per_run = _num(images) // num_runs
    return np.array([mean_pairwise_distance(_gather(images, np.arange(r * per_run,
                                                                      (r + 1) * per_run)),
                                            distance_fn, batch_size)
                     for r in range(num_runs)])


def pairwise_distance_matrix(images_a, images_b, distance_fn, batch_size=64):
    """All cross distances D[i, j] = d(a_i, b_j).

    Args:
        images_a: Images [Na, H, W, C].
        images_b: Images [Nb, H, W, C].
        distance_fn: Callable (img_a [K, H, W, C], img_b [K, H, W, C]) -> distances [K].
        batch_size: Pairs per distance_fn call.

    Returns:
        float64 array [Na, Nb].
    """
    images_a = _as_images(images_a, "images_a")
    images_b = _as_images(images_b, "images_b")
    _check_batch_size(batch_size)
    num_a, num_b = _num(images_a), _num(images_b)
    out = np.empty(num_a * num_b)
    for start in range(0, out.shape[0], batch_size):
        flat = np.arange(start, min(start + batch_size, out.shape[0]))
        out[flat] = _distances(distance_fn, images_a, flat // num_b, images_b, flat % num_b)
    return out.reshape(num_a, num_b)


def nearest_distances(samples, references, distance_fn, batch_size=64):
    """Distance of each sample to its nearest reference, min_j d(s_i, r_j).

    With generated samples and the training images this is MixDL's `nn_lpips.py` memorisation
    check (its mean over samples): a generator that copies its training images scores ~0.

    Args:
        samples: Images [N, H, W, C].
        references: Images [M, H, W, C] (M >= 1).
        distance_fn: Callable (img_a [K, H, W, C], img_b [K, H, W, C]) -> distances [K].
        batch_size: Pairs per distance_fn call.

    Returns:
        float64 array [N].
    """
    references = _as_images(references, "references")
    if _num(references) < 1:
        raise ValueError("need at least one reference image")
    return pairwise_distance_matrix(samples, references, distance_fn, batch_size).min(axis=1)


def pixel_distance(img_a, img_b):
    """Mean squared pixel difference of each aligned pair, mean over H, W, C of (a - b)^2.

    A distance for the set statistics that needs no network weights: for images in [-1, 1] it
    lies in [0, 4]. Unlike LPIPS it is not perceptual (a one-pixel shift of a sharp edge is
    far), so `pix_*` values only compare runs on the same data, not with published LPIPS.

    Args:
        img_a: Images [K, H, W, C] (NumPy or tensors).
        img_b: Images [K, H, W, C].

    Returns:
        float64 NumPy array [K].
    """
    diff = np.asarray(img_a, np.float64) - np.asarray(img_b, np.float64)
    return np.mean(np.square(diff), axis=tuple(range(1, diff.ndim)))


def intra_cluster_distances(samples, centers, distance_fn, batch_size=64, max_cluster_size=None,
                            seed=0):
    """Per-cluster mean pairwise distance after assigning samples to their nearest center.

    Ojha et al. 2021 (CDC, "Few-shot Image Generation via Cross-domain Correspondence"),
    intra-cluster LPIPS: each generated sample is assigned to the training image (cluster
    center) at the lowest distance (ties go to the lower center index), and for each cluster
    the mean distance over all unordered pairs of its members is taken. CDC's `feat_cluster.py`
    uses at most 50 random members per cluster; pass `max_cluster_size=50` for that (members
    are then drawn without replacement from `numpy.random.default_rng(seed)`, cluster by
    cluster).

    Args:
        samples: Generated images [N, H, W, C].
        centers: Training images (cluster centers) [C, H, W, C].
        distance_fn: Callable (img_a [K, H, W, C], img_b [K, H, W, C]) -> distances [K].
        batch_size: Pairs per distance_fn call.
        max_cluster_size: If set (>= 2), clusters with more members are subsampled to this many.
        seed: Seed of the subsampling.

    Returns:
        float64 array [C]: each cluster's mean pairwise distance, NaN for clusters with fewer
        than 2 members (no pairs).
    """
    samples = _as_images(samples, "samples")
    centers = _as_images(centers, "centers")
    if max_cluster_size is not None and max_cluster_size < 2:
        raise ValueError(f"max_cluster_size must be None or >= 2, got {max_cluster_size}")
    if _num(centers) < 1:
        raise ValueError("need at least one center")
    assignment = np.argmin(pairwise_distance_matrix(samples, centers, distance_fn, batch_size),
                           axis=1)
    rng = np.random.default_rng(seed)
    result = np.full(_num(centers), np.nan)
    for cluster in range(_num(centers)):
        members = np.flatnonzero(assignment == cluster)
        if max_cluster_size is not None and len(members) > max_cluster_size:
            members = np.sort(rng.choice(members, max_cluster_size, replace=False))
        if len(members) >= 2:
            result[cluster] = _mean_pairwise(samples, members, distance_fn, batch_size)
    return result


def intra_cluster_distance(samples, centers, distance_fn, batch_size=64, max_cluster_size=None,
                           seed=0):
    """Intra-cluster LPIPS (CDC, Ojha et al. 2021): mean over clusters of the per-cluster mean
    pairwise distance (see `intra_cluster_distances`).

    Clusters with fewer than 2 members have no pairs and are skipped (CDC's `feat_cluster.py`
    likewise ignores its NaN clusters). If every cluster is skipped, returns NaN and emits a
    RuntimeWarning. CDC also prints the std over the kept clusters:
    `mean_and_std(intra_cluster_distances(...))`.

    Args:
        samples: Generated images [N, H, W, C].
        centers: Training images (cluster centers) [C, H, W, C].
        distance_fn: Callable (img_a [K, H, W, C], img_b [K, H, W, C]) -> distances [K].
        batch_size: Pairs per distance_fn call.
        max_cluster_size: If set (>= 2), clusters with more members are subsampled to this many
            (CDC uses 50).
        seed: Seed of the subsampling.

    Returns:
        The mean over non-skipped clusters (float), or NaN.
    """
    per_cluster = intra_cluster_distances(samples, centers, distance_fn, batch_size,
                                          max_cluster_size, seed)
    valid = per_cluster[~np.isnan(per_cluster)]
    if valid.size == 0:
        warnings.warn("intra_cluster_distance: no cluster has >= 2 members; returning nan",
                      RuntimeWarning, stacklevel=2)
        return float("nan")
    return float(valid.mean())


def mean_and_std(values):
    """(mean, sample standard deviation) of the non-NaN values.

    The std has N - 1 in the denominator, as MixDL's (`statistics.stdev` over its runs) and
    CDC's (`torch.std` over its clusters). NaN where undefined: the mean of no values, the std
    of fewer than 2.

    Args:
        values: Numbers, NaN for missing ones (e.g. `intra_cluster_distances`' skipped clusters).

    Returns:
        (float, float).
    """
    values = np.asarray(values, np.float64).reshape(-1)
    values = values[~np.isnan(values)]
    mean = float(values.mean()) if values.size else float("nan")
    std = float(values.std(ddof=1)) if values.size >= 2 else float("nan")
    return mean, std
