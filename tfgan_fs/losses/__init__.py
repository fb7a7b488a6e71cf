"""Pure loss functions on tensors: no state, no optimizers."""

from tfgan_fs.losses.adversarial import (discriminator_fake_loss, discriminator_real_loss,
                                         generator_ns_loss)
from tfgan_fs.losses.clip import (clip_directional_loss, clip_global_loss, image_direction,
                                     text_direction)
from tfgan_fs.losses.distance import (distance_kl, drop_diagonal, layer_row_similarities,
                                      pairwise_cosine)
from tfgan_fs.losses.ggdr import cosine_distance, cosine_similarity, ggdr_loss
from tfgan_fs.losses.penalties import path_length_penalty, path_lengths, r1_penalty

__all__ = ["clip_directional_loss", "clip_global_loss", "cosine_distance", "cosine_similarity", "discriminator_fake_loss",
           "discriminator_real_loss", "distance_kl", "drop_diagonal", "generator_ns_loss",
           "ggdr_loss", "image_direction", "layer_row_similarities", "pairwise_cosine", "path_length_penalty",
           "path_lengths", "r1_penalty", "text_direction"]
