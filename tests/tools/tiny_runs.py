"""Tiny StyleGAN2 generators for the tool tests, and run directories holding them."""

import keras
import tensorflow as tf

from tfgan_fs.convert.convert import ConvertedNetworks
from tfgan_fs.networks import Generator
from tfgan_fs.runs import checkpoints


def tiny_generator(seed, res=16, z_dim=8, w_dim=8, channel_base=64, channel_max=8, noise=True,
                   scale=0.1):
    """A G with few channels whose weights are perturbed by `scale` (so that biases matter);
    deterministic in `seed`. Without `noise` the noise strengths are 0 (w alone makes the
    image, and images are smoother)."""
    keras.utils.set_random_seed(seed)
    G = Generator(z_dim, 0, w_dim, res, 3, mapping_kwargs=dict(num_layers=2),
                  synthesis_kwargs=dict(channel_base=channel_base, channel_max=channel_max))
    for i, v in enumerate(G.weights):
        if v.path.endswith("noise_const"):
            continue
        if v.path.endswith("noise_strength") and not noise:
            v.assign(tf.zeros_like(v))
        else:
            v.assign(v + scale * tf.random.stateless_normal(v.shape, [i, seed]))
    return G


def save_run(run_dir, G):
    """Saves G as the G_ema of a run directory; returns (run_dir, G loaded back from it)."""
    checkpoints.RunState(ConvertedNetworks({"G_ema": G}, {}),
                         checkpoints.Progress()).save(run_dir / "checkpoints")
    return run_dir, checkpoints.load_network(run_dir, "G_ema")
