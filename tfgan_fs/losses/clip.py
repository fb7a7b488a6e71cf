"""CLIP-space losses of StyleGAN-NADA (Gal et al., SIGGRAPH 2022), on given embeddings.

With image embeddings E_I and text embeddings E_T of a CLIP model (rinongal/StyleGAN-nada
`criteria/clip_loss.py`; reference/fewshot.md section 3.2):

- text direction   dT = n(mean_t(n(E_T(target_t)) - n(E_T(source_t)))) over the 79 templates t;
- image direction  dT = n(mean_i n(E_I(style_i)) - mean_j n(E_I(G(w_j)))) (`--style_img_dir`);
- directional loss L_dir = mean_b(1 - cos(n(n(E_I(G_train(w_b))) - n(E_I(G_frozen(w_b)))), dT));
- global loss      L_glob = mean_bt(1 - cos(E_I(img_b), E_T(text_t))) (CLIP's logits / 100).

n(x) = x / ||x||, without an epsilon as the reference (an embedding is never zero; the edit
direction is zero only for identical images, which `clip_directional_loss` handles as the
reference does: the trainable image is re-encoded with +1e-6).
"""

import tensorflow as tf

__all__ = ["clip_directional_loss", "clip_global_loss", "cosine_to", "image_direction",
           "l2_normalize", "text_direction"]

COSINE_EPS = 1e-8  # torch.nn.CosineSimilarity's eps
IDENTICAL_IMAGE_OFFSET = 1e-6  # added to the trainable image when the edit direction is zero


def l2_normalize(x):
    """x / ||x|| over the last axis (no epsilon, as the reference)."""
    return x / tf.norm(x, axis=-1, keepdims=True)


def cosine_to(x, y):
    """torch's `CosineSimilarity(dim=-1)`: x.y / max(||x|| ||y||, eps), broadcasting."""
    dot = tf.reduce_sum(x * y, axis=-1)
    norms = tf.norm(x, axis=-1) * tf.norm(y, axis=-1)
    return dot / tf.maximum(norms, COSINE_EPS)


def text_direction(source_embeddings, target_embeddings):
    """[1, D] n(mean_t(n(target_t) - n(source_t))) of [T, D] template embeddings."""
    delta = l2_normalize(target_embeddings) - l2_normalize(source_embeddings)
    return l2_normalize(tf.reduce_mean(delta, axis=0, keepdims=True))


def image_direction(generated_embeddings, style_embeddings):
    """[1, D] n(mean n(style) - mean n(generated)): the target of `--style_img_dir`."""
    target = tf.reduce_mean(l2_normalize(style_embeddings), axis=0, keepdims=True)
    source = tf.reduce_mean(l2_normalize(generated_embeddings), axis=0, keepdims=True)
    return l2_normalize(target - source)


def clip_directional_loss(emb_trainable, emb_frozen, direction, emb_trainable_shifted=None):
    """mean_b(1 - cos(n(n(emb_trainable) - n(emb_frozen)), direction)).

    Args:
        emb_trainable: [B, D] CLIP embeddings of the adapted generator's images.
        emb_frozen: [B, D] embeddings of the frozen generator's images (same w).
        direction: [1, D] unit target direction (`text_direction` or `image_direction`).
        emb_trainable_shifted: Optional callable returning the embeddings of the adapted
            images + 1e-6, used (only evaluated) when the edit direction sums to exactly zero,
            as the reference does for identical images.

    Returns:
        Scalar loss.
    """
    frozen = l2_normalize(emb_frozen)
    edit = l2_normalize(emb_trainable) - frozen
    if emb_trainable_shifted is not None:
        edit = tf.cond(tf.equal(tf.reduce_sum(edit), 0.0),
                       lambda: l2_normalize(emb_trainable_shifted()) - frozen,
                       lambda: edit)
    edit = l2_normalize(edit)
    return tf.reduce_mean(1.0 - cosine_to(edit, direction))


def clip_global_loss(emb_images, emb_texts):
    """mean over images b and texts t of 1 - cos(emb_images[b], emb_texts[t]) ([B, D], [T, D]):
    the reference's `1 - logits_per_image / 100` with CLIP's logit scale of 100."""
    sims = tf.matmul(l2_normalize(emb_images), l2_normalize(emb_texts), transpose_b=True)
    return tf.reduce_mean(1.0 - sims)
