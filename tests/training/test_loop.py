"""The real training loop at 16 px: run directory contents, step accounting, exact resume,
and divergence handling."""

import json

import numpy as np
import pytest
import tensorflow as tf
from tensorboard.backend.event_processing import event_accumulator

from resolve_options import build_options
from tfgan_fs.data import open_dataset
from tfgan_fs.runs import checkpoints
from tfgan_fs.training.loop import Trainer, TrainingDivergedError, snapshot_name

DATA = "builtin:shapes?resolution=16&count=64"


def tiny_options(**overrides):
    # ADA starts at p = 0.3 with a fast controller, so that p moves within these few steps. The
    # blit pipe traces in a fraction of bgc's time; the pipes themselves are tested in augment/.
    args = dict(data=DATA, batch=4, cbase=128, cmax=8, map=1, mbstd_group=2, kimg=0.04,
                tick=0.016, snap=1, seed=3, cond=True, max_images=8, p=0.3, ada_kimg=0.05,
                augpipe="blit")
    args.update(overrides)
    return build_options(args, open_dataset(DATA).info)


def run(options, run_dir, **kwargs):
    run_dir.mkdir(parents=True, exist_ok=True)
    trainer = Trainer(options, run_dir, open_dataset(options.data), log=lambda *a: None,
                      **kwargs)
    trainer.run()
    return trainer


def state_values(trainer):
    m = trainer.method
    values = {f"{name}/{v.path}": v.numpy() for name, net in m.networks.items()
              for v in net.weights}
    values.update({f"opt{name}/{i}": v.numpy() for name, opt in m.optimizers.items()
                   for i, v in enumerate(opt.variables)})
    values.update({f"term/{t.name}/{v.name}": v.numpy() for t in m.terms() for v in t.variables})
    values["augment/p"] = trainer.method.augment_pipe.p.numpy()
    return values


def test_snapshot_names():
    assert snapshot_name("fakes", 12032, ".png") == "fakes000012.png"
    assert snapshot_name("fakes", 120, ".png", sub_kimg=True) == "fakes000000.120.png"


def test_training_run_writes_the_run_directory(tmp_path):
    options = tiny_options()
    trainer = run(options, tmp_path, flags_text="--data=x\n")
    steps = 10  # 40 images / batch 4
    assert int(trainer.progress.nimg.numpy()) == 40 and int(trainer.progress.step.numpy()) == 10
    # Gmain every step + Greg every 4th; Dmain every step + Dreg every 16th (from step 0).
    iterations = {k: int(o.iterations.numpy()) for k, o in trainer.method.optimizers.items()}
    assert iterations == {"G": steps + 3, "D": steps + 1}

    names = {p.name for p in tmp_path.iterdir()}
    assert {"stats.jsonl", "training_options.json", "effective.flags", "reals.png",
            "fakes_init.png", "fakes000000.040.png", "checkpoints"} <= names
    assert any(n.startswith("events.out.tfevents") for n in names)
    lines = [json.loads(line) for line in (tmp_path / "stats.jsonl").read_text().splitlines()]
    assert [r["tick"] for r in lines] == list(range(len(lines))) and lines[-1]["kimg"] == 0.04
    for key in ("sec_per_kimg", "Loss/G/loss", "Loss/D/loss", "Loss/signs/real",
                "Timing/sec_per_kimg", "Resources/cpu_mem_gb"):
        assert all(np.isfinite(r[key]) for r in lines if key in r), key
    assert "Loss/r1_penalty" in lines[0] and "Loss/pl_penalty" in lines[0]
    augment = [r["Progress/augment"] for r in lines]
    assert augment[0] == pytest.approx(0.3) and len(set(augment)) > 1  # ADA moves p
    assert float(trainer.method.augment_pipe.p.numpy()) == augment[-1]

    ea = event_accumulator.EventAccumulator(str(tmp_path), size_guidance={
        event_accumulator.TENSORS: 0})
    ea.Reload()
    tags = ea.Tags()["tensors"]
    assert {"Loss/G/loss", "Timing/sec_per_kimg", "Progress/augment", "fakes",
            "config/flags"} <= set(tags)
    assert len(ea.Tensors("Loss/G/loss")) == len(lines)

    ckpt = checkpoints.find_checkpoint(tmp_path)
    assert json.loads((ckpt / "progress.json").read_text())["nimg"] == 40
    # G_ema tracks G but is not G.
    g = trainer.method.G.weights[1].numpy()
    g_ema = trainer.method.G_ema.weights[1].numpy()
    assert not np.array_equal(g, g_ema)


@pytest.mark.slow  # the default run has tests/tools' SIGKILL-and-resume test of the same
@pytest.mark.parametrize("batch_gpu", [None, 2])  # 2: two accumulation rounds per phase
def test_resume_continues_exactly(tmp_path, batch_gpu):
    # The reference run checkpoints every tick (after 4, 20, 36 and 48 images); a new process
    # resumes from its checkpoint at 20 images into another directory and must end where it
    # ended.
    options = tiny_options(kimg=0.048, batch_gpu=batch_gpu)
    assert options.accumulation_rounds == (2 if batch_gpu else 1)
    reference = run(options, tmp_path / "a")
    (tmp_path / "b").mkdir()
    resumed = Trainer(options, tmp_path / "b", open_dataset(options.data), log=lambda *a: None,
                      resume=tmp_path / "a" / "checkpoints" / "ckpt-000000020")
    assert int(resumed.progress.nimg.numpy()) == 20
    # p moved in the first 20 images: it must survive the resume.
    assert float(resumed.method.augment_pipe.p.numpy()) != pytest.approx(0.3)
    resumed.run()
    assert int(resumed.progress.nimg.numpy()) == 48
    assert resumed.resumed_from.name == "ckpt-000000020"
    record = json.loads((tmp_path / "b" / "resumes.jsonl").read_text())
    assert (record["kimg"], record["batch_gpu"]) == (0.02, batch_gpu or 4)
    expected = state_values(reference)
    got = state_values(resumed)
    assert expected.keys() == got.keys()
    for key in expected:
        np.testing.assert_allclose(got[key], expected[key], rtol=1e-5, atol=1e-6, err_msg=key)
    assert {k: int(o.iterations.numpy()) for k, o in resumed.method.optimizers.items()} == {
        "G": 12 + 3, "D": 12 + 1}


def test_ada_raises_p_when_d_overfits(tmp_path):
    # Two training images: D memorises them, E[sign(D(real))] climbs above the 0.6 target and
    # p rises from 0 (the reference's overfitting signal).
    trainer = run(tiny_options(max_images=2, p=None, ada_kimg=0.5, kimg=0.32, tick=0.04, snap=100),
                  tmp_path)
    lines = [json.loads(line) for line in (tmp_path / "stats.jsonl").read_text().splitlines()]
    augment = [r["Progress/augment"] for r in lines]
    signs = [r["Loss/signs/real"] for r in lines]
    assert augment[0] == 0 and augment[-1] > 0.1, augment
    assert max(signs) > 0.6, signs  # the overfitting signal that made p rise
    assert float(trainer.method.augment_pipe.p.numpy()) == augment[-1]


def test_init_from_loads_weights_but_not_progress(tmp_path):
    source = run(tiny_options(kimg=0.02), tmp_path / "src")
    target = Trainer(tiny_options(), tmp_path / "dst", open_dataset(DATA), log=lambda *a: None,
                     init_from=tmp_path / "src")
    for a, b in zip(source.method.G_ema.weights, target.method.G_ema.weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert int(target.progress.nimg.numpy()) == 0
    assert int(target.method.optimizers["G"].iterations.numpy()) == 0


def test_divergence_stops_without_overwriting_the_checkpoint(tmp_path):
    run(tiny_options(kimg=0.02), tmp_path)
    good = checkpoints.find_checkpoint(tmp_path)
    saved = sorted(p.name for p in (tmp_path / "checkpoints").glob("ckpt-*"))
    trainer = Trainer(tiny_options(kimg=0.04), tmp_path, open_dataset(DATA),
                      log=lambda *a: None, resume=tmp_path)
    for v in trainer.method.D.trainable_variables:
        v.assign(tf.fill(v.shape, np.nan))
    with pytest.raises(TrainingDivergedError, match=r"diverged.*Loss/.*ckpt-000000020"):
        trainer.run()
    assert checkpoints.find_checkpoint(tmp_path) == good
    assert sorted(p.name for p in (tmp_path / "checkpoints").glob("ckpt-*")) == saved
