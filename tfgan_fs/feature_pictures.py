"""Pictures of feature maps: G's features and GGDR's decoder predictions projected to RGB.

GGDR (Lee et al. 2022) trains D's decoder to predict the *direction* of G's feature vector at
every pixel (a cosine loss), so each pixel's channel vector is L2-normalised first. A PCA fitted
on G's normalised features gives three axes; G's features and D's predictions are both projected
onto them and scaled with the same per-axis range (the 1st-99th percentile of G's projection),
so that a decoder that predicts G's features well shows the same colours as G. The reference's
`tools/visualize_gfeat.py` clusters the same normalised vectors with cosine k-means instead.
"""

import numpy as np

from tfgan_fs import images as image_io


def normalize_pixels(features, eps=1e-8):
    """Divides every pixel's channel vector of [N, h, w, C] features by its L2 norm."""
    features = np.asarray(features, np.float64)
    return features / np.maximum(np.linalg.norm(features, axis=-1, keepdims=True), eps)


def fit_pca(features, components=3):
    """Mean [C] and the top `components` principal axes [C, k] of per-pixel vectors."""
    x = normalize_pixels(features).reshape(-1, features.shape[-1])
    mean = x.mean(axis=0)
    _, _, vt = np.linalg.svd(x - mean, full_matrices=False)
    axes = vt[:components].T
    if axes.shape[1] < components:  # fewer channels than components: pad with zero axes
        axes = np.pad(axes, [(0, 0), (0, components - axes.shape[1])])
    return mean, axes


def project(features, mean, axes):
    """[N, h, w, C] features -> [N, h, w, k] coordinates on the PCA axes."""
    return (normalize_pixels(features) - mean) @ axes


def to_rgb(coords, low, high):
    """Maps PCA coordinates to uint8 RGB with the per-axis range [low, high]."""
    scaled = (coords - low) / np.maximum(high - low, 1e-8)
    return np.clip(np.rint(scaled * 255), 0, 255).astype(np.uint8)


def upscale_nearest(images, size):
    """Nearest-neighbour upscaling of [N, h, w, C] to [N, size, size, C] (size a multiple of h)."""
    factor = size // images.shape[1]
    return np.repeat(np.repeat(images, factor, axis=1), factor, axis=2)


def feature_picture(images_uint8, g_features, d_predictions=None, min_tile=128):
    """One picture: a row of images, a row of G's features and (GGDR) a row of D's predictions.

    Args:
        images_uint8: [N, H, W, C] generated images.
        g_features: [N, h, w, C'] G's features at one resolution.
        d_predictions: Optional [N, h, w, C'] decoder predictions of the same features.
        min_tile: Small images are enlarged (nearest neighbour, an integer factor) to tiles of
            at least this size, so that 8x8 feature maps stay visible.

    Returns:
        uint8 [rows * T, N * T, 3] with T = H times the enlargement factor.
    """
    images_uint8 = np.asarray(images_uint8)
    factor = max(1, -(-min_tile // images_uint8.shape[1]))
    images_uint8 = upscale_nearest(images_uint8, images_uint8.shape[1] * factor)
    n, size = images_uint8.shape[0], images_uint8.shape[1]
    if images_uint8.shape[-1] == 1:
        images_uint8 = np.repeat(images_uint8, 3, axis=-1)
    mean, axes = fit_pca(g_features)
    g_coords = project(g_features, mean, axes)
    low = np.percentile(g_coords.reshape(-1, 3), 1, axis=0)
    high = np.percentile(g_coords.reshape(-1, 3), 99, axis=0)
    rows = [images_uint8, upscale_nearest(to_rgb(g_coords, low, high), size)]
    if d_predictions is not None:
        d_coords = project(d_predictions, mean, axes)
        rows.append(upscale_nearest(to_rgb(d_coords, low, high), size))
    return image_io.make_grid(np.concatenate(rows), n)
