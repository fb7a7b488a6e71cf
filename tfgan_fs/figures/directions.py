"""Edits in W along a direction, and directions from a PCA of W (GANSpace).

GANSpace (Harkonen et al., NeurIPS 2020): the principal components of the ws of many sampled z
are directions along which images change in interpretable ways (pose, colour, shape), without
any labels. `pca_directions` returns the top components, unit length and orthogonal, with the
standard deviation of W along each. An edit moves every w (all layers, or a layer range) by
strength * sigma along a unit direction, sigma the spread of the sampled ws along it, so
strengths are in standard deviations as in GANSpace's sliders.
"""

import numpy as np
import tensorflow as tf

PCA_SEED = 0
NPY_MAGIC = b"\x93NUMPY"


def sample_ws(G, num_samples, seed=PCA_SEED, c=None, batch=1000):
    """ws [num_samples, w_dim] (float64) of z = RandomState(seed).randn(num_samples, z_dim)
    through G's mapping (no truncation; labels c [c_dim] or None, one for all)."""
    if num_samples < 2:
        raise ValueError(f"num_samples must be >= 2, got {num_samples}")
    z = np.random.RandomState(seed).randn(num_samples, G.z_dim).astype(np.float32)
    label = np.zeros([1, G.c_dim], np.float32) if c is None else \
        np.asarray(c, np.float32).reshape([1, G.c_dim])
    out = []
    for i in range(0, num_samples, batch):
        chunk = z[i:i + batch]
        ws = G.mapping(tf.constant(chunk), tf.constant(np.repeat(label, len(chunk), 0)))
        out.append(np.asarray(tf.cast(ws[:, 0], tf.float64)))
    return np.concatenate(out)


def pca_directions(ws, num):
    """The top `num` principal directions of samples ws [N, w_dim].

    Returns:
        (directions, sigmas, mean): directions [num, w_dim] float32, orthonormal rows ordered
        by decreasing variance (the sign of each made so that its largest coordinate is
        positive, for reproducible files); sigmas [num], the standard deviation of ws along each;
        mean [w_dim].
    """
    ws = np.asarray(ws, np.float64)
    if not 1 <= num <= ws.shape[1]:
        raise ValueError(f"the number of directions must be in [1, {ws.shape[1]}] (w_dim), "
                         f"got {num}")
    mean = ws.mean(axis=0)
    _, s, vt = np.linalg.svd(ws - mean, full_matrices=False)
    directions = vt[:num]
    signs = np.sign(directions[np.arange(num), np.argmax(np.abs(directions), axis=1)])
    directions = directions * signs[:, np.newaxis]
    sigmas = s[:num] / np.sqrt(len(ws) - 1)
    return directions.astype(np.float32), sigmas.astype(np.float32), mean.astype(np.float32)


def direction_sigma(ws, direction):
    """Standard deviation of samples ws [N, w_dim] along a direction [w_dim] (made unit)."""
    direction = unit(direction)
    return float(np.std(np.asarray(ws, np.float64) @ direction, ddof=1))


def unit(direction):
    """direction / |direction| (float64); a zero vector is an error."""
    direction = np.asarray(direction, np.float64).reshape([-1])
    norm = np.linalg.norm(direction)
    if not norm > 0:
        raise ValueError("the direction is the zero vector")
    return direction / norm


def edit_ws(ws, direction, strengths, layers=None):
    """ws [N, num_ws, w_dim] moved along `direction` [w_dim] by each strength (in the units of
    the direction's length) at the layer indices `layers` (default all).

    Returns:
        [S, N, num_ws, w_dim] float32: row s is ws + strengths[s] * direction at those layers.
    """
    ws = np.asarray(ws, np.float32)
    direction = np.asarray(direction, np.float32).reshape([-1])
    if direction.shape[0] != ws.shape[-1]:
        raise ValueError(f"the direction has {direction.shape[0]} coordinates, the ws w_dim "
                         f"{ws.shape[-1]}")
    mask = np.zeros([ws.shape[1], 1], np.float32)
    mask[slice(None) if layers is None else list(layers)] = 1
    strengths = np.asarray(strengths, np.float32).reshape([-1, 1, 1, 1])
    return ws[np.newaxis] + strengths * mask * direction


def load_direction(path, w_dim, index=0):
    """Direction [w_dim] float32 from an .npy of [w_dim] or [num, w_dim] (row `index`), as
    `pca_directions` files are written.

    Raises:
        ValueError: Unreadable file, wrong shape or index (names the file).
    """
    try:
        with open(path, "rb") as f:
            magic = f.read(len(NPY_MAGIC))
        if magic != NPY_MAGIC:
            raise ValueError("not an .npy file (give an .npy of [w_dim] or [num, w_dim], e.g. "
                             "pca_directions.npy)")
        array = np.load(path, allow_pickle=False)
    except (OSError, EOFError, ValueError) as err:
        raise ValueError(f"cannot read '{path}' as an .npy array: {err}") from err
    if array.ndim == 1:
        array = array[np.newaxis]
    if array.ndim != 2 or array.shape[1] != w_dim:
        raise ValueError(f"'{path}' holds an array of shape {list(array.shape)}; the network "
                         f"needs [{w_dim}] or [num, {w_dim}] (w_dim {w_dim})")
    if not 0 <= index < len(array):
        raise ValueError(f"'{path}' holds {len(array)} directions: index {index} is not one")
    return unit(array[index]).astype(np.float32)
