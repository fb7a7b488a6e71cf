"""Seed -> latent z of exported generators (`from_seeds`): a stateless TensorFlow draw.

z of seed s is `tf.random.stateless_normal([z_dim], seed=[s, 0], alg="philox")`: a pure
function of (s, z_dim), the same in every process and in eager and graph mode. The algorithm
is named explicitly because the default 'auto_select' may pick a different one per device
(CPU/GPU agreement of Philox is TensorFlow's design, not checked by our CPU-only tests).

This is not NumPy's `RandomState(s).randn(z_dim)`, which `tools/generate.py` uses by default to
match the reference implementation's seeds; `generate.py --seed_rng=tf` uses this draw instead.
"""

import tensorflow as tf

SEED_ALG = "philox"


def seed_latents(seeds, z_dim):
    """Returns z [N, z_dim] float32 for int64 seeds [N] (one independent draw per seed)."""
    seeds = tf.convert_to_tensor(seeds, tf.int64)

    def draw(seed):
        key = tf.stack([seed, tf.zeros_like(seed)])
        return tf.random.stateless_normal([z_dim], seed=key, dtype=tf.float32, alg=SEED_ALG)

    return tf.map_fn(draw, seeds, fn_output_signature=tf.TensorSpec([z_dim], tf.float32))
