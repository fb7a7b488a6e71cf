"""A tiny trained conditional generator saved as a run, for the export tests."""

import numpy as np
import tensorflow as tf

from tfgan_fs.methods import StyleGAN2, StyleGAN2Config
from tfgan_fs.runs import checkpoints
from tfgan_fs.training.step import make_phase_step

Z_DIM = 16
RESOLUTION = 16


def tiny_method(c_dim):
    cfg = StyleGAN2Config(
        G_kwargs=dict(z_dim=Z_DIM, w_dim=16, mapping_kwargs=dict(num_layers=1),
                      synthesis_kwargs=dict(channel_base=64, channel_max=8)),
        D_kwargs=dict(channel_base=64, channel_max=8, epilogue_kwargs=dict(mbstd_group_size=2)))
    labels = [1 / c_dim] * c_dim if c_dim else []
    method = StyleGAN2(cfg, RESOLUTION, 3, label_distribution=labels)
    method.build_optimizers()
    return method


def save_tiny_run(run_dir, c_dim=3, train=True):
    """Saves run_dir/checkpoints/ of a tiny generator; returns the method.

    With `train`, G takes one real Gmain step; G_ema then takes G's weights (an EMA with beta 0)
    and tracks w_avg over a few batches, so that w_avg (truncation) is not zero.
    """
    method = tiny_method(c_dim)
    rs = np.random.RandomState(0)
    c = tf.one_hot(rs.randint(0, max(c_dim, 1), [4]), c_dim)
    if train:
        images = tf.constant(rs.randint(0, 255, [4, RESOLUTION, RESOLUTION, 3]), tf.uint8)
        gmain = method.phases()[0]
        make_phase_step(method, gmain, tf.distribute.get_strategy())(
            images, c, tf.constant([1, 2], tf.int64))
    else:
        for v in method.G.weights:
            v.assign(v + 0.05 * tf.random.stateless_normal(v.shape, [1, 2]))
    for dst, src in zip(method.G_ema.weights, method.G.weights):
        dst.assign(src)
    for i in range(20):
        z = tf.random.stateless_normal([8, Z_DIM], [i, 0])
        method.G_ema.mapping(z, tf.one_hot(np.arange(8) % max(c_dim, 1), c_dim) if c_dim
                             else None, update_w_avg=True)
    checkpoints.RunState(method, checkpoints.Progress()).save(run_dir / "checkpoints")
    return method
