"""Phase steps with gradient accumulation, for tests/training/test_accumulation.py.

Run as a script it checks, on two logical CPU devices (configured before TensorFlow
initialises, hence a separate process), that one StyleGAN2 step (GGDR on, ADA's blit pipe at
p = 0.5) on a batch of 16 is the same step unsplit, in 2 rounds (batch_gpu 8), in 4 rounds
(batch_gpu 4) and on 2 replicas (= 1 replica x 2 rounds); it prints OK.

With plain SGD (learning rate 1) a step's weight change is minus the (lazily scaled) gradient,
so comparing weight changes compares the accumulated gradient with the unsplit one. Round k
draws slice k of the unsplit step's draws and D's minibatch-std groups (4) are no larger than a
round, so the forward maths are the same and only the float summation order differs: gradients
agree to 1e-4 of each variable's largest gradient. pl_decay is 0, so that pl_mean, which moves
once per round as in NVlabs' accumulate_gradients, stays 0.
"""

import numpy as np
import tensorflow as tf

if __name__ == "__main__":  # logical devices must be configured before TensorFlow initialises
    tf.config.set_logical_device_configuration(tf.config.list_physical_devices("CPU")[0],
                                               [tf.config.LogicalDeviceConfiguration()] * 2)

import keras  # noqa: E402
from tfgan_fs.augment import AugmentPipe, augpipe_kwargs  # noqa: E402
from tfgan_fs.methods import StyleGAN2, StyleGAN2Config  # noqa: E402
from tfgan_fs.training.step import make_phase_step  # noqa: E402

BATCH = 16
RES = 8


def tiny_kwargs(ggdr=False, patch=False):
    """A config small enough to run every phase in seconds."""
    return dict(
        G_kwargs=dict(z_dim=16, w_dim=16, mapping_kwargs=dict(num_layers=1),
                      synthesis_kwargs=dict(channel_base=64, channel_max=8)),
        D_kwargs=dict(channel_base=64, channel_max=8, epilogue_kwargs=dict(mbstd_group_size=4),
                      decoder_res=8 if ggdr else 0,
                      **(dict(patch_res=[8, 4], patch_heads=2) if patch else {})),
        r1_gamma=1.0, pl_decay=0.0, reg_type="ggdr" if ggdr else "none", ggdr_res=(8,))


def build(method_class, config, strategy=None):
    """The method with seed-0 weights and plain SGD (learning rate 1) for every optimizer."""
    strategy = strategy or tf.distribute.get_strategy()
    keras.utils.set_random_seed(0)
    with strategy.scope():
        method = method_class(config, img_resolution=RES, img_channels=3,
                              label_distribution=[0.5, 0.5],
                              augment_pipe=AugmentPipe(**augpipe_kwargs("blit"), initial_p=0.5))
        if hasattr(method, "on_init_from"):
            method.on_init_from()
        method.optimizers = {key: keras.optimizers.SGD(learning_rate=1.0)
                             for key in method.optimizers}
        method.build_optimizers()
    return method


def real_batch():
    """16 uint8 images and one-hot labels of 2 classes (seed 0)."""
    rs = np.random.RandomState(0)
    return (rs.randint(0, 255, [BATCH, RES, RES, 3]).astype(np.uint8),
            np.eye(2, dtype=np.float32)[rs.randint(0, 2, BATCH)])


def phase_updates(method_class, config, rounds, phases=None, strategy=None):
    """{phase: ([weight change of each trainable], {stat: mean})}, each phase run once at its
    first step from the same initial weights (a fresh method per phase)."""
    strategy = strategy or tf.distribute.get_strategy()
    replicas = strategy.num_replicas_in_sync
    inputs = next(iter(strategy.experimental_distribute_dataset(
        tf.data.Dataset.from_tensors(real_batch()))))
    result = {}
    for name in phases or [p.name for p in build(method_class, config).phases()]:
        method = build(method_class, config, strategy)
        phase = next(p for p in method.phases() if p.name == name)
        variables = [v for _, vs in phase.optimizer_groups() for v in vs]
        before = [v.numpy().copy() for v in variables]
        step = make_phase_step(method, phase, strategy, batch_size=BATCH // replicas // rounds,
                               rounds=rounds)
        index = next(s for s in range(phase.interval) if phase.runs_at(s))
        stats = step(*inputs, tf.constant([0, index], tf.int64))
        changes = [v.numpy() - b for v, b in zip(variables, before)]
        result[name] = changes, {k: v.numpy()[0] / v.numpy()[1] for k, v in stats.items()}
    return result


def assert_same_updates(got, expected, label=""):
    """Every phase's weight changes to 1e-4 of the variable's largest; stats to 1e-4."""
    assert got.keys() == expected.keys(), label
    for name, (changes, stats) in expected.items():
        got_changes, got_stats = got[name]
        assert any(np.abs(c).max() > 0 for c in changes), (label, name)  # it trains something
        for a, b in zip(got_changes, changes):
            scale = max(np.abs(b).max(), 1e-12)
            np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-4 * scale,
                                       err_msg=f"{label} {name}")
        assert got_stats.keys() == stats.keys(), (label, name)
        for key in stats:
            np.testing.assert_allclose(got_stats[key], stats[key], rtol=1e-4, atol=1e-6,
                                       err_msg=f"{label} {name} {key}")


def main():
    config = StyleGAN2Config(**tiny_kwargs(ggdr=True))
    mirrored = tf.distribute.MirroredStrategy(["CPU:0", "CPU:1"])
    unsplit = phase_updates(StyleGAN2, config, rounds=1)
    assert set(unsplit) == {"Gmain", "Greg", "Dmain", "Dreg"}
    assert "Loss/D/ggdr" in unsplit["Dmain"][1] and "Loss/pl_penalty" in unsplit["Greg"][1]
    two_rounds = phase_updates(StyleGAN2, config, rounds=2)
    assert_same_updates(two_rounds, unsplit, "batch_gpu 8 vs unsplit")
    assert_same_updates(phase_updates(StyleGAN2, config, rounds=4), unsplit,
                        "batch_gpu 4 vs unsplit")
    assert_same_updates(phase_updates(StyleGAN2, config, rounds=1, strategy=mirrored),
                        two_rounds, "2 replicas x 1 round vs 1 replica x 2 rounds")
    print("OK")


if __name__ == "__main__":
    main()
