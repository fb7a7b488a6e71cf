"""GGDR's feature-reconstruction loss (Lee et al., "Generator Knows What Discriminator Should
Learn in Unconditional GANs", ECCV 2022, eq. 3), as naver-ai/GGDR `loss_ggdr.py` computes it."""

import tensorflow as tf

COSINE_EPS = 1e-8  # torch.nn.functional.cosine_similarity's default eps


def cosine_similarity(x, y, axis=-1, eps=COSINE_EPS):
    """x.y / (max(||x||, eps) max(||y||, eps)) along `axis` (torch's cosine_similarity)."""
    x_norm = tf.maximum(tf.norm(x, axis=axis), eps)
    y_norm = tf.maximum(tf.norm(y, axis=axis), eps)
    return tf.reduce_sum(x * y, axis=axis) / (x_norm * y_norm)


def cosine_distance(x, y):
    """Per-sample 1 - mean over pixels of the channel cosine similarity of NHWC maps x and y.

    The batch mean of this is GGDR's `cosine_distance(x, y) = 1 - cos(x, y).mean()`.
    """
    cos = cosine_similarity(tf.cast(x, tf.float32), tf.cast(y, tf.float32))    # [N, H, W]
    return 1.0 - tf.reduce_mean(cos, axis=[1, 2])


def ggdr_loss(predictions, targets, resolutions, weight=10.0):
    """Per-sample GGDR loss: weight * sum_r cosine_distance(D_dec(x)[r], G_feat[r]) / |R|.

    Args:
        predictions: {resolution: [N, r, r, C]} D decoder maps on augmented generated images.
        targets: {resolution: [N, r, r, C]} G's features of the same images, augmented alike
            (constants for D).
        resolutions: The resolutions R the loss is taken at (`--ggdr_res`).
        weight: The loss weight (10, hard-coded in the reference).

    Returns:
        [N] losses; their batch mean is the reference's `get_ggdr_reg`.
    """
    resolutions = list(resolutions)
    total = 0.0
    for res in resolutions:
        total += weight * cosine_distance(predictions[res], targets[res]) / len(resolutions)
    return total
