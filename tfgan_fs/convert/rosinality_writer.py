"""Writes tfgan_fs networks as a rosinality-format StyleGAN2 checkpoint (.pt), without torch.

The file is `{"g_ema": state_dict, "latent_avg": tensor}` plus `"g"` and `"d"` when given:
what rosinality's `convert_weight.py` writes, and what StyleGAN-NADA, CDC, e4e/pSp encoders
and StyleCLIP load with `Generator(size, style_dim, n_mlp, channel_multiplier).
load_state_dict(ckpt["g_ema"])`. Only networks rosinality's classes can express convert: no
conditioning, G with z_dim == w_dim, skip architecture, 3 channels, [1, 3, 3, 1] filters,
no conv clamping, and channels per resolution that rosinality's table yields for some
`channel_multiplier` (its fixed channel_max of 512; smaller channel counts are written as they
are and need a Generator built with a matching table). The mapping's lr multiplier is not
stored: rosinality's code uses `lr_mlp=0.01`, StyleGAN2-ADA's default too.
"""

import collections

import numpy as np

from tfgan_fs.convert import rosinality_layout as layout
from tfgan_fs.convert import torch_save
from tfgan_fs.convert.errors import ConversionError
from tfgan_fs.convert.weights import reference_state


def _check_generator(G):
    synthesis, mapping = G.synthesis, G.mapping
    problems = []
    if G.c_dim:
        problems.append(f"it is conditional (c_dim={G.c_dim})")
    if G.z_dim != G.w_dim:
        problems.append(f"z_dim {G.z_dim} != w_dim {G.w_dim}")
    if G.img_channels != 3:
        problems.append(f"{G.img_channels} image channels")
    if synthesis.architecture != "skip":
        problems.append(f"synthesis architecture {synthesis.architecture!r}")
    if tuple(synthesis.resample_filter) != layout.BLUR_TAPS:
        problems.append(f"resample filter {synthesis.resample_filter}")
    if synthesis.conv_clamp is not None:
        problems.append(f"conv_clamp={synthesis.conv_clamp}")
    if mapping.w_avg is None:
        problems.append("no w_avg")
    if problems:
        raise ConversionError("cannot write G as a rosinality generator: " + "; ".join(problems))


def generator_state_dict(G):
    """rosinality `Generator.state_dict()` of a tfgan_fs Generator (names in module order)."""
    _check_generator(G)
    ref = reference_state(G)
    size, n_mlp = G.img_resolution, G.mapping.num_layers
    state = {ros: layout.from_reference(kind, ref[name])
             for ros, name, kind in layout.generator_pairs(size, n_mlp)}
    state.update(layout.generator_blur_buffers(size))
    return collections.OrderedDict(state)


def discriminator_state_dict(D):
    """rosinality `Discriminator.state_dict()` of a tfgan_fs Discriminator; a D with MixDL's
    projection head gives MixDL's `Patch_Discriminator.state_dict()` (`sim_linear`). Patch
    heads are not written: the authors keep them in a separate `Extra` module that their
    checkpoints do not save."""
    problems = []
    if D.c_dim:
        problems.append(f"it is conditional (c_dim={D.c_dim})")
    if D.architecture != "resnet":
        problems.append(f"architecture {D.architecture!r} (rosinality's D is 'resnet')")
    if getattr(D, "decoder_res", 0):
        problems.append("it has GGDR's decoder")
    if D.b4.mbstd_group_size != 4 or D.b4.mbstd_num_channels != 1:
        problems.append("minibatch-std settings other than group 4, 1 channel")
    if problems:
        raise ConversionError("cannot write D as a rosinality discriminator: "
                              + "; ".join(problems))
    ref = reference_state(D)
    size = D.img_resolution
    state = {ros: layout.from_reference(kind, ref[name])
             for ros, name, kind in layout.discriminator_pairs(size, D.proj is not None)}
    state.update(layout.discriminator_blur_buffers(size))
    return collections.OrderedDict(state)


def channel_multiplier(G):
    """rosinality's `channel_multiplier` of G's channel table, or None when G's channels are not
    one of its tables (channel_max 512, channel_base 16384 * channel_multiplier)."""
    synthesis = G.synthesis
    base, cmax = synthesis.channel_base, synthesis.channel_max
    if cmax == 512 and base % 16384 == 0:
        return base // 16384
    return None


def write_rosinality(path, G_ema, G=None, D=None):
    """Writes {'g_ema', 'latent_avg'[, 'g'][, 'd']} to `path` (atomically); returns the path."""
    ckpt = {"g_ema": generator_state_dict(G_ema),
            "latent_avg": np.asarray(G_ema.mapping.w_avg.numpy(), np.float32)}
    if G is not None:
        ckpt["g"] = generator_state_dict(G)
    if D is not None:
        ckpt["d"] = discriminator_state_dict(D)
    return torch_save.save(ckpt, path)
