"""tools/calc_metrics.py and tools/train.py --metrics end to end, with tiny stand-in weight files
in the real files' formats (an Inception GraphDef with the real node names, an LPIPS .npz);
--metric_data (a separate full real set) and the weight-free pix_* metrics."""

import json
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest
from net_fixtures import build_fid_graph_def, random_lpips_arrays, write_npz
from tensorboard.backend.event_processing import event_accumulator

from tfgan_fs.data import open_dataset
from tfgan_fs.metrics.feature_stats import generate_images
from tfgan_fs.runs import checkpoints

REPO = pathlib.Path(__file__).resolve().parents[2]
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
FULL = "builtin:shapes?resolution=16&count=32"  # a stand-in "full real set" for --metric_data
TINY = ["--data=builtin:shapes?resolution=16&count=64", "--batch=4", "--cbase=128", "--cmax=8",
        "--map=1", "--mbstd_group=2", "--aug=noaug"]


def run_tool(tool, args, timeout=900):
    return subprocess.run([sys.executable, str(REPO / "tools" / tool)] + args, env=ENV,
                          capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def weights(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("weights")
    graph, _ = build_fid_graph_def()
    (tmp / "classify_image_graph_def.pb").write_bytes(graph)
    write_npz(tmp / "lpips_vgg.npz", random_lpips_arrays("vgg"))
    return tmp


def test_train_with_metrics_then_calc_metrics(weights, tmp_path):
    inception = weights / "classify_image_graph_def.pb"
    train = run_tool("train.py", [f"--outdir={tmp_path / 'runs'}", "--kimg=0.008", "--tick=0.004",
                                  "--snap=1", "--metrics=fid1k", f"--inception={inception}",
                                  f"--metric_data={FULL}",
                                  f"--cache_dir={tmp_path / 'cache'}"] + TINY)
    assert train.returncode == 0, train.stderr
    run_dir = next((tmp_path / "runs").iterdir())
    lines = [json.loads(x) for x in (run_dir / "metric-fid1k.jsonl").read_text().splitlines()]
    assert len(lines) >= 2 and all(line["results"]["fid1k"] > 0 for line in lines)
    assert lines[-1]["kimg"] == 0.008
    ea = event_accumulator.EventAccumulator(str(run_dir),
                                            size_guidance={event_accumulator.TENSORS: 0})
    ea.Reload()
    assert "Metrics/fid1k" in ea.Tags()["tensors"]
    # FID's real set is --metric_data's, not the training data's.
    assert [p.name.rsplit("-", 1)[0] for p in (tmp_path / "cache").glob("*.npz")] == [
        "shapes16-32-inception"]

    # The run's --metric_data is the default; the few-shot metrics use the first --max_images
    # training images (pix_*: no weights).
    names = ["fid1k", "kid1k", "is1k", "lpips_div10", "pix_div5", "nn_pix10", "intra_pix20"]
    calc = run_tool("calc_metrics.py", [
        f"--metrics={','.join(names)}", f"--network={run_dir}", "--max_images=4",
        f"--inception={inception}", f"--lpips={weights / 'lpips_vgg.npz'}",
        f"--cache_dir={tmp_path / 'cache'}"])
    assert calc.returncode == 0, calc.stderr
    results = [json.loads(line) for line in calc.stdout.splitlines() if line.startswith("{")]
    assert [r["metric"] for r in results] == names
    assert set(results[2]["results"]) == {"is1k_mean", "is1k_std"}
    assert set(results[3]["results"]) == {"lpips_div10", "lpips_div10_std"}
    assert set(results[6]["results"]) == {"intra_pix20", "intra_pix20_std"}
    # nn_pix10 by hand: the 10 samples of seed 0 against the run's first 4 training images.
    G = checkpoints.load_network(run_dir, "G_ema")
    samples = generate_images(G, 10, batch_size=64, seed=0).astype(np.float64) / 127.5 - 1
    reals = open_dataset(TINY[0].split("=", 1)[1]).load_images(4)[0] / 127.5 - 1
    nearest = np.square(samples[:, None] - reals[None]).mean(axis=(2, 3, 4)).min(axis=1)
    assert results[5]["results"]["nn_pix10"] == pytest.approx(nearest.mean(), rel=1e-5)
    # The final snapshot's FID from training equals calc_metrics' on the same checkpoint (and
    # the same real set, the run's --metric_data).
    assert results[0]["results"]["fid1k"] == pytest.approx(lines[-1]["results"]["fid1k"],
                                                           rel=1e-4)
    assert len((run_dir / "metric-fid1k.jsonl").read_text().splitlines()) == len(lines) + 1


def test_missing_weights_and_bad_names_are_clear_errors(tmp_path):
    train = run_tool("train.py", [f"--outdir={tmp_path}", "--dry_run", "--metrics=fid50k_full",
                                  "--inception=/missing/classify_image_graph_def.pb"] + TINY)
    # --dry_run resolves options only; the weights are checked when training starts.
    assert train.returncode == 0, train.stderr
    train = run_tool("train.py", [f"--outdir={tmp_path}", "--metrics=fid50k_full",
                                  "--inception=/missing/classify_image_graph_def.pb"] + TINY)
    assert train.returncode == 1
    assert "classify_image_graph_def.pb" in train.stderr and "--inception" in train.stderr
    train = run_tool("train.py", [f"--outdir={tmp_path}", "--metrics=pix_div5",
                                  "--metric_data=/missing/babies"] + TINY)
    assert train.returncode == 1 and "--metric_data" in train.stderr, train.stderr
    assert "/missing/babies" in train.stderr
    assert not list(tmp_path.iterdir())  # checked before the run directory is created
    bad = run_tool("train.py", [f"--outdir={tmp_path}", "--dry_run", "--metrics=fid50"] + TINY)
    assert bad.returncode == 1 and "unknown metric 'fid50'" in bad.stderr
    calc = run_tool("calc_metrics.py", ["--metrics=is50k", f"--network={tmp_path}"])
    assert calc.returncode == 1 and "error:" in calc.stderr
