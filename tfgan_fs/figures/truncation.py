"""Truncation sweeps: the same latents at several psi (the truncation trick, Karras et al. 2019).

Row p holds the images of every z with w' = w_avg + psi_p (w - w_avg) (G's mapping, over the
first `truncation_cutoff` ws or all): psi = 1 is G's plain output, psi = 0 the mean image
(every column the same), in between the fidelity/diversity trade the figures of the StyleGAN
papers show.
"""

import numpy as np
import tensorflow as tf

from tfgan_fs import images as image_io


def truncation_sweep(G, z, psis, c=None, truncation_cutoff=None, noise_mode="const",
                     batch=16):
    """Images of z [N, z_dim] (labels c [N, c_dim] or None) at each psi.

    Returns:
        (grid, rows): uint8 [P H, N W, C], one row per psi, and the rows [P, N, H, W, C].
    """
    z = np.asarray(z, np.float32)
    if z.ndim != 2 or z.shape[1] != G.z_dim:
        raise ValueError(f"z must have shape [N, {G.z_dim}], got {list(z.shape)}")
    if not len(psis):
        raise ValueError("give at least one psi")
    c = np.zeros([len(z), G.c_dim], np.float32) if c is None else np.asarray(c, np.float32)

    @tf.function  # psi a Python float: psi = 1 leaves w exactly as G's plain call
    def generate(z, c, psi):
        return G(z, c, truncation_psi=psi, truncation_cutoff=truncation_cutoff,
                 noise_mode=noise_mode)

    rows = np.stack([np.concatenate([
        image_io.to_uint8(generate(tf.constant(z[i:i + batch]), tf.constant(c[i:i + batch]),
                                   float(psi)))
        for i in range(0, len(z), batch)]) for psi in psis])
    return image_io.make_grid(rows.reshape((-1,) + rows.shape[2:]), len(z)), rows
