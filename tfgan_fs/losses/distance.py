"""Similarity-distribution losses of the few-shot methods: MixDL (Kong et al., ECCV 2022) and
CDC (Ojha et al., CVPR 2021).

Both turn a row of similarities into a distribution with a softmax and match it to a target
distribution with PyTorch's `nn.KLDivLoss()(log q, p)`, whose default reduction 'mean' averages
p * (log p - log q) over *all* entries (not over rows: that would be 'batchmean'):

    distance_kl(t, s) = mean_ij softmax(t)_ij (log softmax(t)_ij - log softmax(s)_ij)

MixDL: t = the Dirichlet mixing coefficients alpha (a softmax on top of probabilities, as the
reference), s = cosine similarities of each mixed sample's features to the anchors' features.
CDC: t = similarities among the source generator's features, s = those of the adapted one, each
sample's similarity to itself dropped (`exclude_self`) before the softmax.
"""

import tensorflow as tf

from tfgan_fs.losses.ggdr import COSINE_EPS

__all__ = ["distance_kl", "drop_diagonal", "layer_row_similarities", "pairwise_cosine"]


def pairwise_cosine(a, b, eps=COSINE_EPS):
    """[N, M] cosine similarities of the flattened rows of a [N, ...] and b [M, ...].

    Norms are clamped at `eps` each, as torch's `cosine_similarity`.
    """
    a = tf.reshape(tf.cast(a, tf.float32), [tf.shape(a)[0], -1])
    b = tf.reshape(tf.cast(b, tf.float32), [tf.shape(b)[0], -1])
    a = a / tf.maximum(tf.norm(a, axis=1, keepdims=True), eps)
    b = b / tf.maximum(tf.norm(b, axis=1, keepdims=True), eps)
    return tf.matmul(a, b, transpose_b=True)


def layer_row_similarities(layers_a, layers_b, layer_of_row):
    """[N, M]: row i = cosine similarities of a's row i to every row of b, both taken from the
    layer `layer_of_row[i]` (both references draw a random G layer per row).

    Args:
        layers_a: List of [N, ...] feature maps, one per layer.
        layers_b: List of [M, ...] feature maps, the same layers.
        layer_of_row: [N] int layer indices.
    """
    per_layer = tf.stack([pairwise_cosine(a, b) for a, b in zip(layers_a, layers_b)])
    rows = tf.range(tf.shape(layer_of_row)[0])
    return tf.gather_nd(per_layer, tf.stack([tf.cast(layer_of_row, tf.int32), rows], axis=1))


def drop_diagonal(x):
    """[N, N] -> [N, N - 1]: row i without its entry i (CDC's similarity matrices)."""
    n = x.shape[0] if x.shape[0] is not None else tf.shape(x)[0]
    keep = tf.logical_not(tf.eye(n, dtype=tf.bool))
    return tf.reshape(tf.boolean_mask(x, keep), [n, n - 1])


def distance_kl(target_logits, sims, exclude_self=False):
    """KL(softmax(target) || softmax(sims)) per entry, averaged over all entries (a scalar).

    Args:
        target_logits: [N, M] target logits (MixDL: alpha; CDC: source similarities).
        sims: [N, M] similarities of the network being trained.
        exclude_self: Drop the diagonal of both (square) matrices before the softmax (CDC).

    Returns:
        Scalar `nn.KLDivLoss(reduction='mean')(log_softmax(sims), softmax(target))`.
    """
    target_logits = tf.cast(target_logits, tf.float32)
    sims = tf.cast(sims, tf.float32)
    if exclude_self:
        target_logits, sims = drop_diagonal(target_logits), drop_diagonal(sims)
    p = tf.nn.softmax(target_logits, axis=1)
    log_p = tf.nn.log_softmax(target_logits, axis=1)
    log_q = tf.nn.log_softmax(sims, axis=1)
    return tf.reduce_mean(p * (log_p - log_q))
