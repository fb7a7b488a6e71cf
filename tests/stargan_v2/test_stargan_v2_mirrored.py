"""A StarGAN v2 iteration on two logical CPU devices equals the iteration on one, and the
iteration in two gradient-accumulation rounds (`--batch_gpu`) equals both (in a subprocess:
logical devices must be configured before TensorFlow initialises).

z_trg and z_trg2 are drawn once per iteration for the global batch and sliced per replica (and
round), and every loss is a mean over the global batch, so all runs take the same step up to
summation order.
"""

import os
import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent("""
    import numpy as np
    import tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    import keras
    from tfgan_fs.methods.stargan_v2 import StarGANv2, StarGANv2Config
    from tfgan_fs.training.step import make_phase_step

    cfg = StarGANv2Config(img_size=16, num_domains=3, latent_dim=4, hidden_dim=8, style_dim=4,
                          w_hpf=0, max_conv_dim=16, dim_in=8, lambda_ds=2.0)
    r = np.random.RandomState(0)
    img = lambda: r.uniform(-1, 1, (4, 16, 16, 3)).astype(np.float32)
    batch = (img(), np.array([0, 1, 2, 0], np.int32), img(), img(),
             np.array([1, 2, 0, 2], np.int32))

    LR = 1e-3

    def train(strategy, rounds=1):
        # Plain SGD: the weight change / LR is the sum of the gradients of the updates (Adam's
        # first step, ~lr * sign(g), would hide a gradient scaled wrongly across replicas).
        keras.utils.set_random_seed(0)
        with strategy.scope():
            method = StarGANv2(cfg, log=lambda *a: None)
            method.optimizers = {key: keras.optimizers.SGD(LR) for key in method.optimizers}
            method.build_optimizers()
        before = [v.numpy() for net in method.networks.values() for v in net.weights]
        inputs = next(iter(strategy.experimental_distribute_dataset(
            tf.data.Dataset.from_tensors(batch))))
        stats = {}
        for phase in method.phases():
            out = make_phase_step(method, phase, strategy, rounds=rounds)(
                *inputs, tf.constant([0, 5], tf.int64))
            stats.update({k: v.numpy() for k, v in out.items()})
        after = [v.numpy() for net in method.networks.values() for v in net.weights]
        return [(b - a) / LR for a, b in zip(before, after)], stats

    g1, s1 = train(tf.distribute.get_strategy())
    scale = max(np.abs(g).max() for g in g1)
    assert scale > 1e-3  # the iteration moved the weights
    for label, strategy, rounds in [
            ("2 replicas", tf.distribute.MirroredStrategy(["CPU:0", "CPU:1"]), 1),
            ("2 rounds", tf.distribute.get_strategy(), 2)]:
        g2, s2 = train(strategy, rounds)
        assert s2.keys() == s1.keys(), label
        for key in s1:  # [sum, count] over replicas and rounds: compare the means
            np.testing.assert_allclose(s2[key][0] / s2[key][1], s1[key][0] / s1[key][1],
                                       rtol=1e-4, atol=1e-5, err_msg=f"{label} {key}")
        for a, b in zip(g1, g2):  # the summed gradients, up to summation order
            np.testing.assert_allclose(b, a, rtol=1e-3, atol=1e-4 * scale, err_msg=label)
    print("OK", len(s1), scale)
""")


def test_two_replicas_equal_one_replica():
    result = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                            timeout=600, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    assert "OK" in result.stdout
