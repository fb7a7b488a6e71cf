"""Gradient accumulation (`--batch_gpu`): a phase step split into rounds is the unsplit step.

With plain SGD (learning rate 1) a step's weight change is minus the (lazy-scaled) gradient, so
comparing weight changes compares the accumulated gradient with the unsplit one. The random
draws of round k are slice k of the unsplit step's draws and D's minibatch-std groups (4) are no
larger than a round, so the forward maths are the same and only the float summation order
differs: gradients agree to 1e-4 of each variable's largest gradient.
"""

import types

import keras
import numpy as np
import pytest
import tensorflow as tf

from tfgan_fs import rng
from tfgan_fs.augment import AugmentPipe, augpipe_kwargs
from tfgan_fs.methods import CDC, CDCConfig, MixDL, MixDLConfig, StyleGAN2, StyleGAN2Config
from tfgan_fs.training.accumulation import accumulation_plan
from tfgan_fs.training.step import make_phase_step

BATCH = 16
RES = 8


def tiny_kwargs(ggdr=False, patch=False):
    """Networks and losses small enough to run every phase in seconds; pl_decay 0 so that
    pl_mean, which moves once per round (as NVlabs' accumulate_gradients), stays 0."""
    return dict(
        G_kwargs=dict(z_dim=16, w_dim=16, mapping_kwargs=dict(num_layers=1),
                      synthesis_kwargs=dict(channel_base=64, channel_max=8)),
        D_kwargs=dict(channel_base=64, channel_max=8, epilogue_kwargs=dict(mbstd_group_size=4),
                      decoder_res=8 if ggdr else 0,
                      **(dict(patch_res=[8, 4], patch_heads=2) if patch else {})),
        r1_gamma=1.0, pl_decay=0.0, reg_type="ggdr" if ggdr else "none", ggdr_res=(8,))


def build(method_class, config):
    keras.utils.set_random_seed(0)
    method = method_class(config, img_resolution=RES, img_channels=3,
                          label_distribution=[0.5, 0.5],
                          augment_pipe=AugmentPipe(**augpipe_kwargs("blit"), initial_p=0.5))
    if hasattr(method, "on_init_from"):
        method.on_init_from()
    method.optimizers = {key: keras.optimizers.SGD(learning_rate=1.0)
                         for key in method.optimizers}
    method.build_optimizers()
    return method


def batch():
    rs = np.random.RandomState(0)
    return (tf.constant(rs.randint(0, 255, [BATCH, RES, RES, 3]), tf.uint8),
            tf.constant(np.eye(2, dtype=np.float32)[rs.randint(0, 2, BATCH)]))


def phase_updates(method_class, config, rounds, phases=None):
    """{phase: ([weight change of each trainable], {stat: mean})}, each phase run once at its
    first step from the same initial weights (a fresh method per phase)."""
    result = {}
    names = phases or [p.name for p in build(method_class, config).phases()]
    for name in names:
        method = build(method_class, config)
        phase = next(p for p in method.phases() if p.name == name)
        variables = [v for _, vs in phase.optimizer_groups() for v in vs]
        before = [v.numpy().copy() for v in variables]
        step = make_phase_step(method, phase, tf.distribute.get_strategy(),
                               batch_size=BATCH // rounds, rounds=rounds)
        index = next(s for s in range(phase.interval) if phase.runs_at(s))
        stats = step(*batch(), tf.constant([0, index], tf.int64))
        changes = [v.numpy() - b for v, b in zip(variables, before)]
        result[name] = changes, {k: v.numpy()[0] / v.numpy()[1] for k, v in stats.items()}
    return result


def assert_same_updates(split, unsplit, stat_rtol=1e-4):
    assert split.keys() == unsplit.keys()
    for name, (changes, stats) in unsplit.items():
        split_changes, split_stats = split[name]
        assert any(np.abs(c).max() > 0 for c in changes), name  # the phase trains something
        for a, b in zip(split_changes, changes):
            scale = max(np.abs(b).max(), 1e-12)
            np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-4 * scale, err_msg=name)
        assert split_stats.keys() == stats.keys(), name
        for key in stats:
            assert split_stats[key] == pytest.approx(stats[key], rel=stat_rtol, abs=1e-6), (
                name, key)


@pytest.fixture(scope="module")
def ggdr_unsplit():
    return phase_updates(StyleGAN2, StyleGAN2Config(**tiny_kwargs(ggdr=True)), rounds=1)


@pytest.mark.parametrize("batch_gpu", [4, 8])
def test_stylegan2_ggdr_rounds_equal_the_unsplit_step(ggdr_unsplit, batch_gpu):
    split = phase_updates(StyleGAN2, StyleGAN2Config(**tiny_kwargs(ggdr=True)),
                          rounds=BATCH // batch_gpu)
    assert set(split) == {"Gmain", "Greg", "Dmain", "Dreg"}
    assert "Loss/D/ggdr" in split["Dmain"][1] and "Loss/pl_penalty" in split["Greg"][1]
    assert_same_updates(split, ggdr_unsplit)


def test_a_round_sees_other_draws_than_an_unsplit_step_of_its_size():
    """The comparison above can fail: the rounds draw slices of the unsplit draws, not each its
    own (a step on 4 samples alone draws other latents, noise and augmentations)."""
    seed = tf.constant([3, 4], tf.int64)
    whole = rng.normal(seed, [BATCH, 2]).numpy()
    with rng.accumulation_round(2, 4):
        third = rng.normal(seed, [BATCH // 4, 2]).numpy()
    np.testing.assert_array_equal(third, whole[8:12])
    assert not np.allclose(rng.normal(seed, [BATCH // 4, 2]).numpy(), third)


def test_cdc_distance_term_runs_once_per_step_with_the_unsplit_draws():
    config = CDCConfig(**tiny_kwargs(patch=True), kl_wt=1000.0)
    unsplit = phase_updates(CDC, config, rounds=1, phases=["Gmain"])
    split = phase_updates(CDC, config, rounds=2, phases=["Gmain"])
    assert "Loss/G/dist" in split["Gmain"][1]
    assert_same_updates(split, unsplit)


def test_mixdl_mixup_phases_refuse_accumulation():
    config = MixDLConfig(**tiny_kwargs(patch=True))
    method = build(MixDL, config)
    for phase in method.phases():
        if phase.name in ("Gmix", "Dmix"):
            with pytest.raises(ValueError, match="batch_gpu"):
                make_phase_step(method, phase, tf.distribute.get_strategy(), rounds=2)
        else:
            make_phase_step(method, phase, tf.distribute.get_strategy(), rounds=2)


def test_plan_names_rounds_phases_and_the_path_length_batch():
    method = build(StyleGAN2, StyleGAN2Config(**tiny_kwargs()))
    options = types.SimpleNamespace(batch_size=BATCH, batch_gpu=4, num_replicas=1,
                                    accumulation_rounds=4)
    lines = accumulation_plan(method, options)
    assert lines[0].startswith("Batch 16 = 1 replica(s) x 4 accumulation round(s) x "
                               "batch_gpu 4")
    assert [line.split()[0] for line in lines[1:5]] == ["Gmain", "Greg", "Dmain", "Dreg"]
    assert all("4 round(s) of 4 of the replica's 16" in line for line in lines[1:5])
    assert any("2 latents per round, 8 per replica" in line for line in lines)
