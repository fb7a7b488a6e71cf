"""Adversarial losses on discriminator logits (per-sample, shape [N])."""

import tensorflow as tf


def _per_sample(logits):
    return tf.reshape(logits, [-1])


def generator_ns_loss(fake_logits):
    """Non-saturating generator loss softplus(-D(G(z))) = -log sigmoid(D(G(z))).

    Goodfellow et al. 2014, section 3; the StyleGAN2 default.
    """
    return tf.nn.softplus(-_per_sample(fake_logits))


def discriminator_fake_loss(fake_logits):
    """Discriminator loss on generated images, softplus(D(G(z))) = -log(1 - sigmoid(D(G(z))))."""
    return tf.nn.softplus(_per_sample(fake_logits))


def discriminator_real_loss(real_logits):
    """Discriminator loss on real images, softplus(-D(x)) = -log sigmoid(D(x))."""
    return tf.nn.softplus(-_per_sample(real_logits))
