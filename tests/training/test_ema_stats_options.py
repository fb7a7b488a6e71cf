"""EMA decay and update, tick statistics and their writers, presets and option resolution."""

import json
import re

import numpy as np
import pytest
import tensorflow as tf
from tensorboard.backend.event_processing import event_accumulator

from resolve_options import build_options
from tfgan_fs.data.dataset_info import DatasetInfo
from tfgan_fs.methods import BUILTIN, OptionsError
from tfgan_fs.methods.spec import RESUMABLE
from tfgan_fs.methods.stylegan2 import ema_beta
from tfgan_fs.methods.stylegan2.presets import CFG_SPECS, cfg_spec
from tfgan_fs.networks import Generator
from tfgan_fs.training.ema import make_ema_update
from tfgan_fs.training.resume import apply_resume_overrides, check_resume_args
from tfgan_fs.training.stats import StatsAccumulator, StatsWriter, summarize


def test_ema_beta_half_life_and_rampup():
    assert ema_beta(32, 10, None, 0) == pytest.approx(0.5 ** (32 / 10000))
    assert ema_beta(32, 10, None, 0) == pytest.approx(0.997784, abs=1e-6)
    # During ramp-up the half-life is capped at cur_nimg * rampup.
    assert ema_beta(32, 10, 0.05, 1000) == pytest.approx(0.5 ** (32 / 50))
    assert ema_beta(32, 10, 0.05, 10 ** 7) == pytest.approx(0.5 ** (32 / 10000))
    assert ema_beta(32, 10, 0.05, 0) == pytest.approx(0.0, abs=1e-12)  # copies G at the start


def test_ema_update_lerps_parameters_and_copies_buffers():
    src = Generator(8, 0, 8, 8, 3, synthesis_kwargs=dict(channel_base=64, channel_max=4))
    dst = Generator.from_config(src.get_config())
    for v in src.weights:
        v.assign(tf.ones_like(v) * 2.0)
    for v in dst.weights:
        v.assign(tf.zeros_like(v))
    update = make_ema_update([(src, dst)], lambda v: v.name in ("w_avg", "noise_const"))
    update(0.75)
    for s, d in zip(src.weights, dst.weights):
        expected = 2.0 if s.name in ("w_avg", "noise_const") else 2.0 * 0.25
        np.testing.assert_allclose(d.numpy(), expected, err_msg=s.path)


def test_stats_accumulator_and_writer(tmp_path):
    acc = StatsAccumulator()
    acc.add(summarize({"Loss/a": tf.constant([1.0, 3.0]), "Loss/b": tf.constant(5.0)}))
    acc.add(summarize({"Loss/a": tf.constant([5.0])}))
    assert acc.means() == {"Loss/a": 3.0, "Loss/b": 5.0}
    assert acc.means() == {}
    writer = tf.summary.create_file_writer(str(tmp_path))
    out = StatsWriter(tmp_path / "stats.jsonl", writer)
    out.write(4000, {"kimg": 4.0, "Loss/a": 3.0, "Timing/sec_per_kimg": 1.5})
    out.write(8000, {"kimg": 8.0, "Loss/a": 2.0, "Timing/sec_per_kimg": 1.25})
    out.close()
    lines = [json.loads(line) for line in (tmp_path / "stats.jsonl").read_text().splitlines()]
    assert [r["Loss/a"] for r in lines] == [3.0, 2.0]
    ea = event_accumulator.EventAccumulator(str(tmp_path),
                                            size_guidance={event_accumulator.TENSORS: 0})
    ea.Reload()
    events = ea.Tensors("Loss/a")
    assert [e.step for e in events] == [4000, 8000]
    assert [float(tf.make_ndarray(e.tensor_proto)) for e in events] == [3.0, 2.0]
    assert "kimg" not in ea.Tags()["tensors"]  # plain aliases stay out of TensorBoard


def test_reference_presets():
    assert CFG_SPECS["paper512"].gamma == 0.5 and CFG_SPECS["paper512"].mb == 64
    assert CFG_SPECS["cifar"].ema == 500 and CFG_SPECS["cifar"].map == 2
    # Worked examples of the auto formulas (reference/ada.md 2.1).
    s = cfg_spec("auto", 256, 1)
    assert (s.mb, s.mbstd, s.fmaps, s.lrate, s.ema) == (16, 4, 0.5, 0.0025, 5)
    assert s.gamma == pytest.approx(0.8192)
    s = cfg_spec("auto", 512, 8)
    assert (s.mb, s.gamma, s.ema, s.fmaps) == (64, pytest.approx(0.8192), 20, 1)
    s = cfg_spec("auto", 1024, 8)
    assert (s.mb, s.gamma, s.ema, s.lrate) == (32, pytest.approx(6.5536), 10, 0.002)
    with pytest.raises(ValueError, match="--cfg"):
        cfg_spec("paper2048", 256, 1)


INFO = DatasetInfo(name="shapes32", resolution=32, channels=3, count=100, num_classes=4,
                   class_names=("a", "b", "c", "d"), label_counts=(25, 25, 25, 25))


def build(**args):
    return build_options({"data": "builtin:shapes", **args}, INFO, num_replicas=1)


def test_build_options_from_auto_preset():
    opts = build()
    assert opts.batch_size == 32 and opts.batch_gpu == 32  # min(4096 // 32, 32)
    assert opts.config.r1_gamma == pytest.approx(0.0002 * 32 ** 2 / 32)
    assert opts.config.G_kwargs["synthesis_kwargs"]["channel_base"] == 16384
    assert opts.config.G_kwargs["mapping_kwargs"]["num_layers"] == 2
    assert opts.config.fp32 and opts.config.G_kwargs["synthesis_kwargs"]["num_fp16_res"] == 0
    assert opts.desc == "shapes32-auto1"
    assert opts.config.ema_kimg == 10 and opts.config.ema_rampup == 0.05


def test_build_options_overrides_and_desc():
    opts = build(cfg="paper256", batch=8, gamma=2.0, kimg=0.5, cond=True, mirror=True,
                 cbase=1024, cmax=64, map=1, glr=0.001, mbstd_group=2, desc="test")
    assert opts.desc == "shapes32-cond-mirror-paper256-batch8-gamma2-kimg0.5-test"
    assert opts.config.G_opt.lr == 0.001 and opts.config.D_opt.lr == 0.0025
    assert opts.config.D_kwargs["epilogue_kwargs"]["mbstd_group_size"] == 2
    assert opts.config.G_kwargs["synthesis_kwargs"]["channel_max"] == 64
    cifar = build(cfg="cifar")
    assert cifar.config.pl_weight == 0 and cifar.config.style_mixing_prob == 0
    assert cifar.config.D_kwargs["architecture"] == "orig"
    on_gpu = build_options({"data": "x"}, INFO, 1, has_gpu=True)
    assert not on_gpu.config.fp32 and on_gpu.config.D_kwargs["conv_clamp"] == 256


@pytest.mark.parametrize("args,flag", [
    (dict(cfg="bogus"), "--cfg"), (dict(batch=6, mbstd_group=4), "--mbstd_group"),
    (dict(gamma=-1.0), "--gamma"), (dict(kimg=0.0), "--kimg"), (dict(batch=0), "--batch"),
    (dict(max_images=1000), "--max_images"), (dict(snap=0), "--snap"),
])
def test_build_options_errors_name_the_flag(args, flag):
    with pytest.raises(OptionsError, match=flag):
        build(**args)


def test_cond_needs_labels():
    unlabeled = DatasetInfo(name="x", resolution=32, channels=3, count=10, num_classes=0,
                            class_names=None, label_counts=None)
    with pytest.raises(OptionsError, match="--cond.*no labels"):
        build_options({"data": "x", "cond": True}, unlabeled)


def test_options_json_round_trip_and_resume_overrides():
    opts = build(batch=8)
    again = BUILTIN.options_from_json(opts.to_json())
    assert again == opts
    resumed = apply_resume_overrides(BUILTIN, again, {"kimg": 2.0, "snap": 3}, 2)
    assert (resumed.schedule.total, resumed.schedule.snap, resumed.batch_gpu) == (2.0, 3, 4)
    with pytest.raises(OptionsError, match="--resume"):
        apply_resume_overrides(BUILTIN, again, {}, 3)



def test_metric_data_option():
    opts = build(batch=8, metric_data="babies/full")
    assert opts.metric_data == "babies/full"
    assert BUILTIN.options_from_json(opts.to_json()) == opts
    raw = json.loads(opts.to_json())
    del raw["metric_data"]  # a run saved before the option existed
    assert BUILTIN.options_from_json(json.dumps(raw)).metric_data is None
    # It only changes what the metrics compare with: a resumed run may set it.
    resumed = apply_resume_overrides(BUILTIN, opts, {"metric_data": "babies/other"}, 1)
    assert resumed.metric_data == "babies/other"
    assert apply_resume_overrides(BUILTIN, opts, {}, 1).metric_data == "babies/full"
    assert "metric_data" in RESUMABLE


def saved_run(has_gpu=False, **run_args):
    """A run's options and own flags, as its training_options.json and effective.flags hold."""
    run_args = {"data": "builtin:shapes", **run_args}
    opts = build_options(run_args, INFO, num_replicas=1, has_gpu=has_gpu)
    return BUILTIN.options_from_json(opts.to_json()), run_args


def check_resume(run, **given):
    check_resume_args(BUILTIN, run[0], run[1], given, INFO)


def test_resume_accepts_the_runs_own_flags():
    quickstart = dict(cfg="auto", cbase=1024, cmax=64, gamma=1.0, batch=16, aug="noaug",
                      kimg=20.0, tick=1.0, snap=5)
    run = saved_run(**quickstart)
    check_resume(run, data="builtin:shapes", **{**quickstart, "kimg": 40.0, "impl": "ref"})
    # No flags at creation: `--cfg=auto` and the values it expands to are the run's own.
    run = saved_run()
    spec = cfg_spec("auto", INFO.resolution, 1)
    check_resume(run, cfg="auto", batch=spec.mb, gamma=spec.gamma, map=spec.map, ema=spec.ema,
                 cbase=int(spec.fmaps * 32768), cmax=512, seed=0, fp32=True, ada_kimg=500.0)
    # Another preset that expands to the run's values: stylegan2 with gamma 2 is paper1024.
    check_resume(saved_run(cfg="paper1024"), cfg="stylegan2", gamma=2.0)
    # Defaults that depended on the machine (GPU: float16) or on --init_from (ada_kimg 100).
    check_resume(saved_run(has_gpu=True), fp32=False)
    check_resume(saved_run(init_from="run"), ada_kimg=100.0)
    check_resume(saved_run(aug="fixed", p=0.3), aug="fixed", p=0.3)


def test_resume_rejects_a_changed_flag_with_both_values():
    run = saved_run(gamma=1.0, cbase=1024)
    with pytest.raises(OptionsError) as err:
        check_resume(run, gamma=2.0, cbase=1024, cmax=16, kimg=99.0)
    message = str(err.value)
    assert "--gamma: the run has 1, given 2 (config.r1_gamma: 1 -> 2)" in message
    assert "--cmax: the run has the default, given 16" in message
    assert len(message.splitlines()) == 4  # --cbase is the run's value, --kimg may change
    assert "Start a new run with --init_from" in message
    for given, flag in [
            (dict(cfg="stylegan2"), "--cfg: the run has the default, given stylegan2"),
            (dict(desc="x"), "--desc: the run has the default, given x (desc: None -> x)"),
            (dict(fp32=False), "--fp32: the run has the default, given False"),
            (dict(data="builtin:shapes?count=10"), "--data")]:
        with pytest.raises(OptionsError, match=re.escape(flag)):
            check_resume(run, **given)
    with pytest.raises(OptionsError, match="--p: the run has 0.3, given 0.5"):
        check_resume(saved_run(aug="fixed", p=0.3), aug="fixed", p=0.5)
    # A run without effective.flags: only the resumable flags can be given.
    check_resume((run[0], None), kimg=3.0, snap=2)
    with pytest.raises(OptionsError, match="no effective.flags.*--gamma"):
        check_resume((run[0], None), gamma=1.0)


def test_augment_options():
    opts = build()
    augment = opts.config.augment
    assert (augment.mode, augment.augpipe, augment.p) == ("ada", "bgc", 0.0)
    assert (augment.target, augment.ada_kimg, augment.ada_interval) == (
        0.6, 500.0, 4)
    fixed = build(aug="fixed", p=0.3, augpipe="bgcfnc", freezed=10)
    assert fixed.desc == "shapes32-auto1-fixed-p0.3-bgcfnc-freezed10"
    assert fixed.config.D_kwargs["block_kwargs"] == {"freeze_layers": 10}
    # Transfer learning makes ADA react faster (the reference's ada_kimg 100 on resume-from-pkl).
    assert build(init_from="run").config.augment.ada_kimg == 100.0
    assert build(aug="diffaugment").config.augment.mode == "diffaugment"
    again = BUILTIN.options_from_json(fixed.to_json())
    assert again == fixed


@pytest.mark.parametrize("args,flag", [
    (dict(aug="fixed"), "--p"), (dict(aug="noaug", p=0.5), "--p"), (dict(p=1.5), "--p"),
    (dict(aug="fixed", p=0.2, target=0.5), "--target"), (dict(augpipe="xyz"), "--augpipe"),
    (dict(aug="noaug", augpipe="bgc"), "--augpipe"), (dict(aug="bogus"), "--aug"),
    (dict(ada_kimg=0.0), "--ada_kimg"), (dict(freezed=-1), "--freezed"),
])
def test_augment_option_errors(args, flag):
    with pytest.raises(OptionsError, match=flag):
        build(**args)


def test_check_xla_refuses_the_geometric_pipe():
    info = DatasetInfo(name="d", resolution=64, channels=3, count=100)
    for args in ({"aug": "noaug"}, {"aug": "diffaugment"}, {"augpipe": "blit"},
                 {"aug": "fixed", "p": 0.2, "augpipe": "color"}):
        BUILTIN.default.check_xla(build_options({"data": "d", **args}, info))
    for args in ({}, {"aug": "fixed", "p": 0.2, "augpipe": "bgc"}, {"augpipe": "geom"}):
        with pytest.raises(OptionsError, match="--xla: --augpipe=(bgc|geom)"):
            BUILTIN.default.check_xla(build_options({"data": "d", **args}, info))
