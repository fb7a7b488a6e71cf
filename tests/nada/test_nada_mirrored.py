"""A NADA step on two logical CPU devices equals the step on one (run in a subprocess: logical
devices must be configured before TensorFlow initialises).

Latents and noise are drawn for the global batch and sliced per replica, the directional loss
is averaged over the global batch and layer selection draws the same latents on every replica
(its noise, like the loss's, is the global draw's slice); the selection of the first replica is
the one every replica's optimizer reads.
"""

import os
import pathlib
import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent("""
    import sys
    import numpy as np
    import keras
    import tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    sys.path.insert(0, sys.argv[1])
    from conftest import make_source_generator
    from tiny_clip import make_tiny_clip_preset
    from tfgan_fs.methods.nada import NADA, NADAConfig, load_clip_models
    from tfgan_fs.training.step import make_phase_step

    preset = make_tiny_clip_preset(sys.argv[2])
    cfg = NADAConfig(network="unused", source_class="photo", target_class="sketch",
                     clip_models=(str(preset),), auto_layer_k=2, auto_layer_batch=2)

    LR = 1e-3

    def train(strategy):
        # Plain SGD on every layer: the weight change / LR is the sum of the two steps'
        # gradients (Adam's first steps, ~lr * sign(g), would hide a gradient scaled wrongly
        # across replicas). The layer selection still runs and is compared.
        with strategy.scope():
            method = NADA(cfg, load_clip_models(cfg.clip_models, cfg.clip_model_weights,
                                                log=lambda *a: None),
                          source=make_source_generator(0), log=lambda *a: None)
            method.optimizers = {key: keras.optimizers.SGD(LR) for key in method.optimizers}
            method.build_optimizers()
        before = [v.numpy() for v in method.G.weights]
        step = make_phase_step(method, method.phases()[0], strategy,
                               batch_size=4 // strategy.num_replicas_in_sync)
        stats, selections = [], []
        for i in range(2):
            out = step(None, None, tf.constant([0, i], tf.int64))
            stats.append({k: v.numpy() for k, v in out.items()})
            selections.append(method.selection.numpy())
        grads = [(v.numpy() - a) / LR for a, v in zip(before, method.G.weights)]
        return grads, stats, selections

    g1, s1, sel1 = train(tf.distribute.get_strategy())
    g2, s2, sel2 = train(tf.distribute.MirroredStrategy(["CPU:0", "CPU:1"]))
    np.testing.assert_array_equal(sel2, sel1)
    for a, b in zip(s1, s2):  # [sum, count] over replicas: compare the means
        for key in a:
            np.testing.assert_allclose(b[key][0] / b[key][1], a[key][0] / a[key][1],
                                       rtol=1e-4, atol=1e-5, err_msg=key)
    scale = max(np.abs(g).max() for g in g1)
    assert scale > 1e-4  # the steps moved the weights
    for a, b in zip(g1, g2):  # the summed gradients, up to summation order
        np.testing.assert_allclose(b, a, rtol=1e-3, atol=1e-4 * scale)
    print("OK", sorted(s1[0]), scale)
""")


def test_two_replicas_equal_one_replica(tmp_path):
    here = pathlib.Path(__file__).resolve().parent
    result = subprocess.run([sys.executable, "-c", SCRIPT, str(here), str(tmp_path / "clip")],
                            capture_output=True, text=True, timeout=600,
                            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    assert "OK" in result.stdout and "Loss/clip/direction" in result.stdout
