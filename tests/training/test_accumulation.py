"""Gradient accumulation (`--batch_gpu`): a phase step split into rounds is the unsplit step
(the comparisons are described in accumulation_steps.py)."""

import os
import pathlib
import subprocess
import sys
import types

import numpy as np
import pytest
import tensorflow as tf

from accumulation_steps import BATCH, assert_same_updates, build, phase_updates, tiny_kwargs
from resolve_options import build_options
from tfgan_fs import rng
from tfgan_fs.data import open_dataset
from tfgan_fs.methods import (BUILTIN, CDC, CDCConfig, MixDL, MixDLConfig, StyleGAN2,
                              StyleGAN2Config)
from tfgan_fs.methods.options import OptionsError
from tfgan_fs.training.accumulation import accumulation_plan
from tfgan_fs.training.resume import apply_resume_overrides, resumed_batch_gpu
from tfgan_fs.training.step import make_phase_step

SCRIPT = pathlib.Path(__file__).with_name("accumulation_steps.py")


def test_rounds_and_replicas_take_the_unsplit_step():
    """StyleGAN2 + GGDR, every phase: batch 16 unsplit = batch_gpu 8 = batch_gpu 4, and
    2 replicas x 1 round = 1 replica x 2 rounds."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(SCRIPT.parent),
                                                       os.environ.get("PYTHONPATH")]))}
    result = subprocess.run([sys.executable, str(SCRIPT)], capture_output=True, text=True,
                            timeout=900, env=env)
    assert result.returncode == 0, result.stdout + result.stderr[-4000:]
    assert result.stdout.strip().endswith("OK")


def test_a_round_draws_its_slice_of_the_unsplit_draws():
    """The comparisons can fail: a step on 4 samples alone draws other latents, noise and
    augmentations than round 2 of 4 of a step on 16."""
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
    method = build(MixDL, MixDLConfig(**tiny_kwargs(patch=True)))
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


INFO = open_dataset("builtin:shapes?resolution=16&count=64").info
TINY_ARGS = dict(data="builtin:shapes?resolution=16&count=64", batch=8, cbase=128, cmax=8,
                 map=1, mbstd_group=2)


def test_batch_gpu_resolves_against_the_per_replica_batch_and_the_mbstd_group():
    assert build_options(TINY_ARGS, INFO).batch_gpu == 8  # default: no accumulation
    options = build_options({**TINY_ARGS, "batch_gpu": 2}, INFO, num_replicas=2)
    assert (options.batch_gpu, options.accumulation_rounds) == (2, 2)
    with pytest.raises(OptionsError, match=r"--batch_gpu: must divide the per-replica batch 4"):
        build_options({**TINY_ARGS, "batch_gpu": 3}, INFO, num_replicas=2)
    with pytest.raises(OptionsError, match=r"--batch_gpu: must divide"):
        build_options({**TINY_ARGS, "batch_gpu": 16}, INFO)
    with pytest.raises(OptionsError, match=r"--mbstd_group.*min\(--mbstd_group, --batch_gpu\)"):
        build_options({**TINY_ARGS, "batch": 12, "mbstd_group": 4, "batch_gpu": 6}, INFO)
    with pytest.raises(OptionsError, match=r"--batch_gpu=2: --method=mixdl cannot accumulate"):
        build_options({**TINY_ARGS, "method": "mixdl", "batch_gpu": 2}, INFO)
    assert build_options({**TINY_ARGS, "method": "mixdl", "batch_gpu": 8}, INFO).batch_gpu == 8
    with pytest.raises(OptionsError, match=r"--method=nada does not read --batch_gpu"):
        BUILTIN.check_flags(BUILTIN.get("nada"), {"batch_gpu": 2})


def test_resume_may_change_batch_gpu():
    run = build_options({**TINY_ARGS, "batch_gpu": 4}, INFO)
    given = {name: None for name in BUILTIN.settings()}
    kept = apply_resume_overrides(BUILTIN, run, given, num_replicas=1)
    assert (kept.batch_gpu, kept.accumulation_rounds) == (4, 2)
    changed = apply_resume_overrides(BUILTIN, run, {**given, "batch_gpu": 2}, num_replicas=1)
    assert (changed.batch_gpu, changed.accumulation_rounds) == (2, 4)
    assert changed.config == run.config  # the maths are the run's
    # On 2 replicas the per-replica batch is 4: batch_gpu 4 still divides it.
    assert apply_resume_overrides(BUILTIN, run, given, num_replicas=2).batch_gpu == 4
    with pytest.raises(OptionsError, match="--batch_gpu"):
        apply_resume_overrides(BUILTIN, run, {**given, "batch_gpu": 3}, num_replicas=1)
    # Without --batch_gpu a batch_gpu that no longer divides the per-replica batch shrinks to
    # its largest divisor below (never more memory per round than the run used).
    assert resumed_batch_gpu(6, 8) == 4 and resumed_batch_gpu(8, 4) == 4
    assert resumed_batch_gpu(5, 12) == 4 and resumed_batch_gpu(3, 8) == 2
