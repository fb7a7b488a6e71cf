"""Mixed precision (StyleGAN2-ADA's recipe): float16 activations in the top resolutions with
conv_clamp, float32 weights, and the R1 / path-length penalties in float32, without loss scaling.

Runs on the CPU (float16 kernels exist there too, just slowly), so CI checks what GPU runs use.
"""

import keras
import numpy as np
import pytest
import tensorflow as tf

from tfgan_fs.methods import StyleGAN2, StyleGAN2Config
from tfgan_fs.training.step import make_phase_step


def config(num_fp16_res):
    clamp = 256 if num_fp16_res else None
    return StyleGAN2Config(
        G_kwargs=dict(z_dim=32, w_dim=32, mapping_kwargs=dict(num_layers=2),
                      synthesis_kwargs=dict(channel_base=128, channel_max=8,
                                            num_fp16_res=num_fp16_res, conv_clamp=clamp)),
        D_kwargs=dict(channel_base=128, channel_max=8, num_fp16_res=num_fp16_res,
                      conv_clamp=clamp, epilogue_kwargs=dict(mbstd_group_size=2)),
        r1_gamma=1.0)


def test_fp16_layers_give_float32_penalties_close_to_fp32():
    strategy = tf.distribute.get_strategy()
    keras.utils.set_random_seed(0)
    fp16 = StyleGAN2(config(num_fp16_res=2), 16, 3)
    fp32 = StyleGAN2(config(num_fp16_res=0), 16, 3)
    for net in ("G", "D", "G_ema"):  # the same weights in both (float32 variables)
        for a, b in zip(fp16.networks[net].weights, fp32.networks[net].weights):
            b.assign(a)
    assert [b.use_fp16 for b in fp16.G.synthesis.blocks] == [False, True, True]
    images = tf.constant(np.random.RandomState(1).randint(0, 255, [4, 16, 16, 3]), tf.uint8)
    labels, seed = tf.zeros([4, 0]), tf.constant([0, 0], tf.int64)
    results = {}
    for name, method in (("fp16", fp16), ("fp32", fp32)):
        method.build_optimizers()
        for phase in method.phases():
            stats = make_phase_step(method, phase, strategy)(images, labels, seed)
            for key, value in stats.items():
                assert value.dtype == tf.float32, key
                results[name, key] = value.numpy()
        for net in method.networks.values():
            assert all(v.dtype == "float32" for v in net.weights)
            assert all(np.isfinite(v.numpy()).all() for v in net.weights)
    for key in ("Loss/r1_penalty", "Loss/pl_penalty", "Loss/G/loss", "Loss/D/loss"):
        got, want = results["fp16", key], results["fp32", key]
        assert got[1] == want[1]
        # float16 activations (11-bit mantissa) through every layer and back: agreement to a
        # few percent, not float32 precision (2.2% seen for R1 with some initialisations).
        assert got[0] == pytest.approx(want[0], rel=5e-2, abs=1e-4), key
