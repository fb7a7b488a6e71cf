"""tools/train.py and tools/generate.py as a user runs them (subprocesses)."""

import json
import os
import pathlib
import signal
import subprocess
import sys
import time

import numpy as np
import PIL.Image
import pytest
import tensorflow as tf

from tfgan_fs.cli.flagfiles import FlagfileError, resolve_flagfile_args
from tfgan_fs.cli.seeds import parse_int_ranges
from tfgan_fs.runs import checkpoints

REPO = pathlib.Path(__file__).resolve().parents[2]
TRAIN = str(REPO / "tools" / "train.py")
GENERATE = str(REPO / "tools" / "generate.py")
TINY = ["--data=builtin:shapes?resolution=16&count=64", "--batch=4", "--cbase=128", "--cmax=8",
        "--map=1", "--mbstd_group=2", "--seed=5", "--max_images=8", "--p=0.2", "--ada_kimg=0.05",
        "--augpipe=blit"]
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}


def run_tool(args, cwd=None, timeout=600):
    return subprocess.run([sys.executable] + args, cwd=cwd, env=ENV, capture_output=True,
                          text=True, timeout=timeout)


def test_resolve_flagfile_args(tmp_path, monkeypatch):
    configs = tmp_path / "configs"
    configs.mkdir()
    (configs / "a.flags").write_text("--kimg=1\n")
    (tmp_path / "local.flags").write_text("--kimg=2\n")
    monkeypatch.chdir(tmp_path)
    argv = ["prog", "--flagfile=a.flags", "--flagfile", "local.flags", "--kimg=3"]
    assert resolve_flagfile_args(argv, configs) == [
        "prog", f"--flagfile={configs / 'a.flags'}", "--flagfile=local.flags", "--kimg=3"]
    with pytest.raises(FlagfileError, match="missing.flags.*available: a.flags"):
        resolve_flagfile_args(["prog", "--flagfile=missing.flags"], configs)


def test_parse_int_ranges():
    assert parse_int_ranges("0-3,7, 10-11") == [0, 1, 2, 3, 7, 10, 11]
    for bad in ("", "3-1", "a", "-2", "1-x"):
        with pytest.raises(ValueError):
            parse_int_ranges(bad)


def test_quickstart_flagfile_dry_run_from_another_directory(tmp_path):
    result = run_tool([TRAIN, "--flagfile=quickstart.flags", "--dry_run",
                       f"--outdir={tmp_path / 'runs'}"], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    options = json.loads(result.stdout[:result.stdout.rindex("}") + 1])
    assert options["data"] == "builtin:shapes"
    assert "Dry run" in result.stdout
    assert not (tmp_path / "runs").exists()


def test_ggdr_recipe_flagfile_dry_run(tmp_path):
    # The recipe as shipped, on stand-in data of its resolution (FFHQ is not available here).
    result = run_tool([TRAIN, "--flagfile=ggdr_ffhq256.flags", "--dry_run",
                       "--data=builtin:shapes?resolution=256&count=16",
                       f"--outdir={tmp_path / 'runs'}"], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    options = json.loads(result.stdout[:result.stdout.rindex("}") + 1])
    config = options["config"]
    assert config["cfg"] == "paper256" and options["batch_size"] == 64
    assert config["reg_type"] == "ggdr" and config["ggdr_res"] == [64]
    assert config["ggdr_weight"] == 10 and config["D_kwargs"]["decoder_res"] == 64
    assert config["r1_gamma"] == 1 and config["augment"]["augpipe"] == "bgc"


def test_afhq_recipe_with_batch_gpu_prints_the_accumulation_plan(tmp_path):
    # The AFHQ 512 recipe (paper512: batch 64, minibatch-std groups of 8) on stand-in images.
    data = tmp_path / "afhq512"
    data.mkdir()
    for i in range(2):
        PIL.Image.fromarray(np.full([512, 512, 3], 40 * i, np.uint8)).save(data / f"{i}.png")
    result = run_tool([TRAIN, "--flagfile=ada_afhq.flags", f"--data={data}", "--batch_gpu=8",
                       "--dry_run", f"--outdir={tmp_path / 'runs'}"], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    plan = result.stdout[result.stdout.rindex("}") + 1:]
    assert ("Batch 64 = 1 replica(s) x 8 accumulation round(s) x batch_gpu 8; each phase sums "
            "its rounds' gradients into one optimizer update") in plan
    for phase in ("Gmain", "Greg", "Dmain", "Dreg"):
        assert f"{phase}" in plan and "8 round(s) of 8 of the replica's 64" in plan
    assert "path length (Greg): 4 latents per round, 32 per replica" in plan
    assert "D's minibatch-std groups: 8 samples per group" in plan
    assert not (tmp_path / "runs").exists()


def dry_run_options(tmp_path, *args):
    result = run_tool([TRAIN, "--dry_run", f"--outdir={tmp_path / 'runs'}", *args], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout[:result.stdout.rindex("}") + 1])


def test_fewshot_recipes_dry_run(tmp_path):
    stand_in = "--data=builtin:shapes?resolution=256&count=10"  # the 10-shot sets are not here
    mixdl = dry_run_options(tmp_path, "--flagfile=mixdl_10shot.flags", stand_in)
    assert mixdl["method"] == "mixdl" and mixdl["batch_size"] == 4
    method = mixdl["config"]
    assert {k: method[k] for k in ("mixup_every", "mixup_dist", "dir_div", "kl_wt",
                                   "d_kl_wt")} == {"mixup_every": 2, "mixup_dist": "dirichlet",
                                                   "dir_div": 1.0, "kl_wt": 1000.0,
                                                   "d_kl_wt": 1.0}
    assert method["G_opt"]["lr"] == method["D_opt"]["lr"] == 0.002 and method["r1_gamma"] == 10
    assert method["pl_weight"] == 2 and method["G_reg_interval"] == 4
    assert method["style_mixing_prob"] == 0.9 and method["ema_kimg"] == 1.25
    assert method["ema_rampup"] is None and mixdl["schedule"]["total"] == 600
    assert method["mirror"]
    d = method["D_kwargs"]
    assert d["patch_res"] == [32, 16] and d["patch_heads"] == 4 and d["projection_dim"] == 512
    assert d["channel_base"] == 32768 and d["epilogue_kwargs"]["mbstd_group_size"] == 4
    cdc = dry_run_options(tmp_path, "--flagfile=cdc_ffhq_sketches.flags", stand_in)
    assert cdc["method"] == "cdc" and cdc["schedule"]["total"] == 20
    assert {k: cdc["config"][k] for k in ("n_train", "subspace_std", "subspace_freq",
                                          "feat_const_batch", "kl_wt")} == {
        "n_train": 10, "subspace_std": 0.1, "subspace_freq": 4, "feat_const_batch": 4,
        "kl_wt": 1000.0}
    assert cdc["config"]["D_kwargs"]["patch_heads"] == 1
    assert "projection_dim" not in cdc["config"]["D_kwargs"]  # no MixDL projection head
    demo = dry_run_options(tmp_path, "--flagfile=mixdl_demo.flags")
    assert demo["max_images"] == 10 and demo["method"] == "mixdl"


@pytest.mark.parametrize("args,message", [
    (["--flagfile=nope.flags"], "nope.flags: no such file"),
    (TINY + ["--batch=6", "--mbstd_group=4"], "--mbstd_group"),
    (TINY + ["--batch_gpu=3"], "--batch_gpu: must divide the per-replica batch 4"),
    (["--flagfile=mixdl_demo.flags", "--batch_gpu=2"], "--method=mixdl cannot accumulate"),
    (["--data=/does/not/exist"], "/does/not/exist"),
    (TINY + ["--resume=/does/not/exist"], "does not exist"),
    (TINY[:-1] + ["--xla"], "--xla: --augpipe=bgc has the general geometric transforms"),
    (TINY + ["--cond", "--xla"], "--xla: --cond draws the fakes' labels"),
    (TINY + ["--strategy=multi_worker"], "--strategy=multi_worker needs TF_CONFIG"),
    (TINY + ["--reg_type=ggdr"], "--ggdr_res: must be a power of two between 8 and the image "
     "resolution 16"),
    (TINY + ["--ggdr_res=8"], "--ggdr_res: only valid with --reg_type=ggdr"),
    (TINY + ["--method=cdc"], "--init_from: --method=cdc adapts a pretrained generator"),
    (TINY + ["--method=mixdl", "--batch=16"], "--batch: --method=mixdl"),
    (TINY + ["--method=mixdl", "--n_train=5"], "--method=mixdl does not read --n_train"),
])
def test_bad_input_is_a_clear_error(tmp_path, args, message):
    result = run_tool([TRAIN, f"--outdir={tmp_path}", "--dry_run"] + args)
    assert result.returncode == 1, result.stderr
    assert "error:" in result.stderr and message in result.stderr
    assert "Traceback" not in result.stderr


def test_cdc_source_is_checked_before_the_run_directory_is_created(tmp_path):
    result = run_tool([TRAIN, f"--outdir={tmp_path / 'runs'}", "--method=cdc",
                       "--init_from=/does/not/exist"] + TINY)
    assert result.returncode == 1 and "/does/not/exist" in result.stderr
    assert "Traceback" not in result.stderr and not (tmp_path / "runs").exists()


def wait_for(predicate, proc, timeout):
    start = time.time()
    while time.time() - start < timeout:
        if predicate():
            return True
        if proc.poll() is not None:
            return False
        time.sleep(0.5)
    return False


def test_sigkill_then_resume_continues_exactly(tmp_path):
    # A long run, killed with SIGKILL once a checkpoint after the start exists (however many
    # a fast machine has written by then), resumed to 32 images past its last checkpoint, and
    # compared with an uninterrupted run to the same point.
    proc = subprocess.Popen([sys.executable, TRAIN, f"--outdir={tmp_path / 'run'}",
                             "--kimg=1000", "--tick=0.016", "--snap=4"] + TINY, env=ENV,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        def has_checkpoint_after_start():
            found = list((tmp_path / "run").glob("*/checkpoints/ckpt-*/progress.json"))
            return any(json.loads(p.read_text())["nimg"] > 0 for p in found)
        assert wait_for(has_checkpoint_after_start, proc, 300), "no checkpoint was written"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    run_dir = next((tmp_path / "run").iterdir())
    ckpt = checkpoints.find_checkpoint(run_dir)
    saved = json.loads((ckpt / "progress.json").read_text())
    assert saved["nimg"] > 0 and saved["nimg"] % 4 == 0  # whole steps of 4
    target = saved["nimg"] + 32

    ref = run_tool([TRAIN, f"--outdir={tmp_path / 'ref'}", f"--kimg={target / 1000}",
                    "--tick=0.016", "--snap=100"] + TINY)
    assert ref.returncode == 0, ref.stderr
    ref_dir = next((tmp_path / "ref").iterdir())
    resumed = run_tool([TRAIN, f"--resume={run_dir}", f"--kimg={target / 1000}"])
    assert resumed.returncode == 0, resumed.stderr
    log = (run_dir / "log.txt").read_text()
    assert f"Resumed from {ckpt} at kimg {saved['nimg'] / 1000:.3f}, step {saved['step']}" in log

    final = checkpoints.find_checkpoint(run_dir)
    assert json.loads((final / "progress.json").read_text())["nimg"] == target
    expected = checkpoints.find_checkpoint(ref_dir)
    reader_a = tf.train.load_checkpoint(str(expected / "state"))
    reader_b = tf.train.load_checkpoint(str(final / "state"))
    keys = [k for k in reader_a.get_variable_to_shape_map()
            if "G_ema" in k or "_opt/" in k or "augment_pipe" in k]
    assert any("iterations" in k for k in keys) and any("G_ema" in k for k in keys)
    p = reader_a.get_tensor("augment_pipe/p/.ATTRIBUTES/VARIABLE_VALUE")
    assert p != pytest.approx(0.2)  # ADA moved p, and the resumed run must agree
    for key in keys:
        np.testing.assert_allclose(reader_b.get_tensor(key), reader_a.get_tensor(key),
                                   rtol=1e-5, atol=1e-6, err_msg=key)


def test_resume_with_the_runs_own_command_line_and_generate(tmp_path):
    # The quickstart command, made tiny by a second flagfile (conditional, for --class below).
    tiny = tmp_path / "tiny.flags"
    tiny.write_text("\n".join(
        ["--data=builtin:shapes?resolution=16&count=64", "--batch=4", "--cbase=128", "--cmax=8",
         "--map=1", "--mbstd_group=2", "--max_images=8", "--cond", "--kimg=0.008",
         "--tick=0.004", f"--outdir={tmp_path / 'runs'}"]) + "\n")
    command = [TRAIN, "--flagfile=quickstart.flags", f"--flagfile={tiny}"]
    result = run_tool(command)
    assert result.returncode == 0, result.stderr
    run_dir = next((tmp_path / "runs").iterdir())

    # The same command plus --resume (and a longer --kimg) continues the run.
    resumed = run_tool(command + [f"--resume={run_dir}", "--kimg=0.016"])
    assert resumed.returncode == 0, resumed.stderr
    assert "Resumed from" in (run_dir / "log.txt").read_text()
    final = checkpoints.find_checkpoint(run_dir)
    assert json.loads((final / "progress.json").read_text())["nimg"] == 16
    assert [p.name for p in (tmp_path / "runs").iterdir()] == [run_dir.name]

    bad = run_tool(command + [f"--resume={run_dir}", "--gamma=2", "--dry_run"])
    assert bad.returncode == 1
    assert "--gamma: the run has 1, given 2" in bad.stderr and "--init_from" in bad.stderr
    # The preset named explicitly is the run's own; another --outdir is ignored with a note.
    same = run_tool([TRAIN, f"--resume={run_dir}", "--cfg=auto", "--dry_run",
                     f"--outdir={tmp_path / 'elsewhere'}"])
    assert same.returncode == 0, same.stderr
    assert "--outdir" in same.stderr and "is ignored on --resume" in same.stderr

    out = tmp_path / "images"
    gen = run_tool([GENERATE, f"--network={run_dir}", "--seeds=0-2,9", f"--outdir={out}",
                    "--class=1", "--trunc=0.7"])
    assert gen.returncode == 0, gen.stderr
    assert sorted(p.name for p in out.iterdir()) == [
        "grid.png", "seed0000.png", "seed0001.png", "seed0002.png", "seed0009.png"]
    img = np.asarray(PIL.Image.open(out / "seed0001.png"))
    assert img.shape == (16, 16, 3) and img.std() > 0
    again = tmp_path / "again"
    run_tool([GENERATE, f"--network={run_dir}", "--seeds=1", f"--outdir={again}", "--class=1",
              "--trunc=0.7"])
    # Seed 1 alone, not in a batch of 4: rounding may differ, flipping a pixel by one step at most.
    alone = np.asarray(PIL.Image.open(again / "seed0001.png")).astype(int)
    assert np.abs(alone - img).max() <= 1 and np.mean(alone != img) < 0.01
    missing_class = run_tool([GENERATE, f"--network={run_dir}", "--seeds=0",
                              f"--outdir={tmp_path / 'x'}"])
    assert missing_class.returncode == 1 and "--class" in missing_class.stderr
