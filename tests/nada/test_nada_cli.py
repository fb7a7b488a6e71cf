"""StyleGAN-NADA from the command line: the recipe flagfile, a short run that the other tools
read, --resume with the run's own flagfile, and errors that name the flag."""

import json
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

REPO = pathlib.Path(__file__).resolve().parents[2]
TRAIN = str(REPO / "tools" / "train.py")
GENERATE = str(REPO / "tools" / "generate.py")


def run_tool(args, cwd=REPO):
    return subprocess.run([sys.executable] + args, cwd=cwd, capture_output=True, text=True,
                          timeout=300, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})


def test_recipe_flagfile_dry_run(tmp_path, source_run):
    # The recipe as shipped, with the tiny 16x16 stand-in source (6 W+ entries, not 18).
    args = [TRAIN, "--flagfile=nada_ffhq_sketch.flags", f"--network={source_run}", "--dry_run",
            f"--outdir={tmp_path}"]
    result = run_tool(args, cwd=tmp_path)
    assert result.returncode == 1 and "--auto_layer_k: must be at most the source" in (
        result.stderr)
    result = run_tool(args + ["--auto_layer_k=6"], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    options = json.loads(result.stdout[:result.stdout.rindex("}") + 1])
    nada = options["config"]
    assert options["method"] == "nada" and options["batch_size"] == 2
    assert options["schedule"] == {"unit": "iter", "total": 301, "tick": 50, "snap": 1,
                                   "keep": 5}
    assert nada["clip_models"] == ["clip_vit_base_patch32", "clip_vit_base_patch16"]
    assert nada["clip_model_weights"] == [1.0, 1.0] and nada["lr"] == 0.002
    assert (nada["source_class"], nada["target_class"]) == ("photo", "sketch")
    assert nada["auto_layer_iters"] == 1 and nada["auto_layer_batch"] == 8
    assert nada["mixing"] == 0 and options["schedule"]["snap"] == 1


def test_a_short_run_resumes_with_its_flagfile_and_generates(tmp_path, source_run, tiny_clip):
    out = tmp_path / "runs"
    result = run_tool([TRAIN, "--method=nada", f"--network={source_run}",
                       f"--clip_models={tiny_clip}", "--source_class=photo",
                       "--target_class=pencil sketch", "--iter=3", "--batch=2",
                       "--output_interval=2", "--auto_layer_k=2", f"--outdir={out}"])
    assert result.returncode == 0, result.stderr
    run = next(out.iterdir())
    stats = [json.loads(line) for line in (run / "stats.jsonl").read_text().splitlines()]
    assert all(np.isfinite(s["Loss/clip/direction"]) for s in stats)
    assert sum(v for k, v in stats[-1].items() if k.startswith("Selection/")) == 2
    before_after = sorted(run.glob("nada*.png"))[-1]
    assert np.asarray(Image.open(before_after)).shape == (2 * 16, 8 * 16, 3)
    result = run_tool([TRAIN, f"--flagfile={run / 'effective.flags'}", f"--resume={run}",
                       "--iter=4"])
    assert result.returncode == 0, result.stderr
    assert "Resumed from" in result.stdout
    progress = json.loads((run / "checkpoints" / (run / "checkpoints" / "latest").read_text()
                           / "progress.json").read_text())
    assert progress["step"] == 4
    result = run_tool([GENERATE, f"--network={run}", "--seeds=0-1", f"--outdir={tmp_path / 'g'}"])
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "g" / "seed0001.png").exists()


@pytest.mark.parametrize("extra, message", [  # more cases in-process: test_nada_method.py
    (["--clip_models=/no/clip/here"], "neither a folder nor a keras-hub CLIP preset"),
    (["--data=builtin:shapes"], "--method=nada does not read --data"),
])
def test_bad_nada_input_is_a_clear_error(tmp_path, source_run, extra, message):
    args = [TRAIN, "--method=nada", f"--network={source_run}", "--source_class=photo",
            "--target_class=sketch", "--iter=1", f"--outdir={tmp_path}"] + extra
    result = run_tool(args)
    assert result.returncode == 1, result.stderr
    assert message in result.stderr and "Traceback" not in result.stderr
    assert not any(tmp_path.iterdir())  # no run directory for a bad command


def test_adapts_a_rosinality_pt_file(tmp_path, tiny_clip):
    """--network takes the authors' own .pt format (rosinality's G, as NADA's released
    models): a 16x16 train.py-layout fixture written by torch (tests/convert/fixtures)."""
    source = REPO / "tests" / "convert" / "fixtures" / "rosinality" / "train16.pt"
    out = tmp_path / "runs"
    result = run_tool([TRAIN, "--method=nada", f"--network={source}",
                       f"--clip_models={tiny_clip}", "--source_class=photo",
                       "--target_class=sketch", "--iter=2", "--batch=2", "--output_interval=1",
                       "--auto_layer_k=2", f"--outdir={out}"])
    assert result.returncode == 0, result.stderr
    assert "Found a rosinality StyleGAN2 checkpoint" in result.stdout
    run = next(out.iterdir())
    assert run.name.endswith("nada-train16-sketch")
    stats = [json.loads(line) for line in (run / "stats.jsonl").read_text().splitlines()]
    assert stats and all(np.isfinite(s["Loss/clip/direction"]) for s in stats)
