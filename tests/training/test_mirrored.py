"""The phase steps under MirroredStrategy on two logical CPU devices (run in a subprocess,
because logical devices must be configured before TensorFlow initialises).

Random draws (latents, noise, style mixing, every ADA augmentation parameter) are made for the
global batch and sliced per replica, minibatch-std groups are consecutive, losses are averaged
over the global batch and statistics (e.g. ADA's E[sign(D(real))]) are summed over replicas, so
one step on 2 replicas must update the weights and report the statistics exactly as one step on
1 replica with the same global batch.
"""

import os
import subprocess
import sys
import textwrap

import pytest

SCRIPT = textwrap.dedent("""
    import numpy as np
    import tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    import keras
    from tfgan_fs.augment import AugmentPipe, augpipe_kwargs
    from tfgan_fs.methods import CDC, CDCConfig, StyleGAN2, StyleGAN2Config
    from tfgan_fs.training.step import make_phase_step

    import sys
    variant = sys.argv[1]
    ggdr = variant == "ggdr"  # GGDR: D's decoder and the feature-reconstruction term
    # CDC: anchor and patch-level phases, the frozen source and its distance term.
    fewshot = {"cdc": dict(patch_res=[8, 4], patch_heads=2)}.get(variant, {})
    # CDC's distance term runs, but with weight 0: each replica draws its own noise for its 4
    # latents, so its value (and gradient) is not replica-invariant.
    config_class, extra = (CDCConfig, dict(kl_wt=0.0)) if variant == "cdc" else (StyleGAN2Config,
                                                                                {})
    cfg = config_class(
        G_kwargs=dict(z_dim=16, w_dim=16, mapping_kwargs=dict(num_layers=1),
                      synthesis_kwargs=dict(channel_base=64, channel_max=8)),
        D_kwargs=dict(channel_base=64, channel_max=8, epilogue_kwargs=dict(mbstd_group_size=2),
                      decoder_res=8 if ggdr else 0, **fewshot),
        r1_gamma=1.0, reg_type="ggdr" if ggdr else "none", ggdr_res=(8,), **extra)
    rs = np.random.RandomState(0)
    images = rs.randint(0, 255, [8, 8, 8, 3]).astype(np.uint8)
    labels = np.eye(2, dtype=np.float32)[rs.randint(0, 2, 8)]

    def train(strategy):
        keras.utils.set_random_seed(0)
        with strategy.scope():
            pipe = AugmentPipe(**augpipe_kwargs("bgcfnc"), initial_p=0.5)
            method = (CDC if variant == "cdc" else StyleGAN2)(
                cfg, img_resolution=8, img_channels=3, label_distribution=[0.5, 0.5],
                augment_pipe=pipe)
            method.on_init_from()
            method.build_optimizers()
        batch = next(iter(strategy.experimental_distribute_dataset(
            tf.data.Dataset.from_tensors((images, labels)))))
        stats = {}
        for phase in method.phases():
            # Each phase at its first step (CDC's patch phases at step 1).
            step = next(s for s in range(phase.interval) if phase.runs_at(s))
            out = make_phase_step(method, phase, strategy)(*batch, tf.constant([0, step],
                                                                               tf.int64))
            stats.update({k: v.numpy() for k, v in out.items()})
        weights = [v.numpy() for net in method.networks.values() for v in net.weights]
        pl_mean = [t.pl_mean.numpy() for t in method.terms() if hasattr(t, "pl_mean")]
        return weights, pl_mean, stats

    w1, pl1, s1 = train(tf.distribute.get_strategy())
    w2, pl2, s2 = train(tf.distribute.MirroredStrategy(["CPU:0", "CPU:1"]))
    for a, b in zip(w1, w2):
        np.testing.assert_allclose(b, a, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(pl2, pl1, rtol=1e-5)
    for key in s1:
        if key != "Loss/G/dist":
            np.testing.assert_allclose(s2[key], s1[key], rtol=1e-4, atol=1e-5, err_msg=key)
    print("OK", len(w1), sorted(s1))
""")


# The CDC variant runs every StyleGAN2 phase (with the bgcfnc pipe, pl_mean and ADA's statistic
# reduced over replicas) plus the anchor steps and patch-level D (its distance term runs with
# weight 0, see the script). GGDR on 2 replicas is compared in the default suite by
# tests/training/accumulation_steps.py (plain SGD, every phase, D's decoder and feature
# augmentation); the GGDR and plain variants here are kept for the slow run. MixDL is not
# compared: each replica mixes its own share of the batch (README, "MixDL and CDC").
@pytest.mark.parametrize("variant", [pytest.param("none", marks=pytest.mark.slow),
                                     pytest.param("ggdr", marks=pytest.mark.slow), "cdc"])
def test_two_replicas_equal_one_replica(variant):
    result = subprocess.run([sys.executable, "-c", SCRIPT, variant], capture_output=True,
                            text=True, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
                            timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "OK" in result.stdout and "Loss/signs/real" in result.stdout
    assert ("Loss/D/ggdr" in result.stdout) == (variant == "ggdr")
    assert ("Loss/G/dist" in result.stdout) == ("Loss/D/patch" in result.stdout) == (
        variant == "cdc")


METRICS_SCRIPT = textwrap.dedent("""
    import numpy as np
    import tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    from tfgan_fs.data import open_dataset
    from tfgan_fs.metrics import feature_stats as fs
    from tfgan_fs.networks import Generator

    data = open_dataset("builtin:shapes?resolution=16&count=40")
    proj = tf.constant(np.random.RandomState(0).randn(48, 6).astype(np.float32))
    def features(x):
        x = tf.nn.avg_pool2d(tf.cast(x, tf.float32), 4, 4, "VALID")
        return tf.matmul(tf.reshape(x, [tf.shape(x)[0], 48]), proj)

    def evaluate(strategy):
        with strategy.scope():
            G = Generator(8, 2, 8, 16, 3, mapping_kwargs=dict(num_layers=1),
                          synthesis_kwargs=dict(channel_base=64, channel_max=4), name="G")
        for i, v in enumerate(G.weights):  # identical weights under both strategies
            v.assign(tf.random.stateless_normal(v.shape, [i, 1]) * 0.5)
        gen = fs.generator_features(G, features, 50, batch_size=8, strategy=strategy,
                                    label_distribution=[0.5, 0.5], seed=3, capture_all=True)
        real = fs.dataset_features(data, features, 37, batch_size=8, strategy=strategy,
                                   capture_all=True)
        return gen.all(), real.all()

    g1, r1 = evaluate(tf.distribute.get_strategy())
    g2, r2 = evaluate(tf.distribute.MirroredStrategy(["CPU:0", "CPU:1"]))
    assert g1.shape == (50, 6) and r1.shape == (37, 6)
    np.testing.assert_allclose(g2, g1, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(r2, r1, rtol=1e-5, atol=1e-5)
    print("OK")
""")


def test_metric_features_on_two_replicas_equal_one_replica():
    result = subprocess.run([sys.executable, "-c", METRICS_SCRIPT], capture_output=True,
                            text=True, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
                            timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "OK" in result.stdout
