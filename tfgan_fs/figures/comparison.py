"""Several generators on the same latents: the figure of every domain-adaptation paper.

StyleGAN-NADA (Gal et al. 2022, `generate_videos.py` and its figures) and CDC (Ojha et al. 2021)
show the source generator and each adapted one side by side, fed the same z: an adapted
generator keeps the source's latent space, so a z names "the same" image in every domain. Each
generator maps z through its own mapping (an adapted mapping is usually the frozen source one),
with the same truncation. The generators must share resolution and z_dim (and c_dim).
"""

import numpy as np
import tensorflow as tf

from tfgan_fs import images as image_io


def check_compatible(generators, names=None):
    """Raises ValueError unless all generators share img_resolution, z_dim and c_dim.

    Args:
        generators: The generators, the first is the reference.
        names: Their names in the message (e.g. the --network paths), default #0, #1, ...
    """
    names = names or [f"#{i}" for i in range(len(generators))]
    first = generators[0]
    for name, G in zip(names[1:], generators[1:]):
        for attr, what in (("img_resolution", "resolution"), ("z_dim", "z_dim"),
                           ("c_dim", "c_dim")):
            a, b = getattr(first, attr), getattr(G, attr)
            if a != b:
                raise ValueError(f"{name} has {what} {b}, but {names[0]} has {a}: networks "
                                 f"shown side by side on the same latents need one {what}")


def as_rgb_if_mixed(images):
    """uint8 images [..., C]: grey ones repeated to RGB when any is RGB, so they tile."""
    if len({img.shape[-1] for img in images}) > 1:
        return [np.repeat(img, 3, axis=-1) if img.shape[-1] == 1 else img for img in images]
    return list(images)


def comparison_grid(generators, z, c=None, truncation_psi=1.0, truncation_cutoff=None,
                    noise_mode="const", batch=16):
    """One row per generator, one column per latent: uint8 [n H, N W, C].

    Args:
        generators: Generators of one resolution and z_dim (`check_compatible`).
        z: Latents [N, z_dim], shared by all rows.
        c: Labels [N, c_dim] or None (unconditional).
        truncation_psi, truncation_cutoff: Truncation toward each generator's own w_avg.
        noise_mode: Synthesis noise ('const': each generator's fixed buffers).
        batch: Images per call.

    Returns:
        (grid, rows): the picture and the rows, uint8 [n, N, H, W, C].
    """
    check_compatible(generators)
    z = np.asarray(z, np.float32)
    c = np.zeros([len(z), generators[0].c_dim], np.float32) if c is None else \
        np.asarray(c, np.float32)
    rows = []
    for G in generators:
        @tf.function
        def generate(z, c, G=G):
            return G(z, c, truncation_psi=truncation_psi, truncation_cutoff=truncation_cutoff,
                     noise_mode=noise_mode)
        rows.append(np.concatenate([image_io.to_uint8(generate(tf.constant(z[i:i + batch]),
                                                               tf.constant(c[i:i + batch])))
                                    for i in range(0, len(z), batch)]))
    rows = np.stack(as_rgb_if_mixed(rows))
    return image_io.make_grid(rows.reshape((-1,) + rows.shape[2:]), len(z)), rows
