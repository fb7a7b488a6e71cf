"""The README's few-shot commands end to end (slow: about 20 minutes on 2 CPU cores): the MixDL
demo flagfile beside plain StyleGAN2 with the same flags, seed and kimg, then CDC adapting the
demo's generator.

What MixDL must show against plain StyleGAN2 on the same 10 images (issue 29's measurements,
docs/mixdl_quality.md): samples without speckle -- the noise inputs add little high-frequency
energy (before the minibatch-std group fix they made 13x the noiseless samples', all from the
last conv's noise strength, 0.025) -- and more varied samples (mean pairwise squared pixel
distance of 64 G_ema samples, pix_div's statistic, computed here with NumPy).
"""

import json
import os
import pathlib
import re
import subprocess
import sys

import numpy as np
import pytest

from tfgan_fs.data import open_dataset
from tfgan_fs.runs.checkpoints import load_network

REPO = pathlib.Path(__file__).resolve().parents[2]
TRAIN = str(REPO / "tools" / "train.py")
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}


def train(*args, cwd):
    result = subprocess.run([sys.executable, TRAIN, *args], cwd=cwd, env=ENV,
                            capture_output=True, text=True, timeout=3600)
    assert result.returncode == 0, result.stderr
    return result.stdout


def stats(run_dir):
    return [json.loads(line) for line in (run_dir / "stats.jsonl").read_text().splitlines()]


def laplacian_energy(x):
    """Mean squared 5-point Laplacian of images [N, H, W, C] in [-1, 1]."""
    lap = (4 * x[:, 1:-1, 1:-1] - x[:, :-2, 1:-1] - x[:, 2:, 1:-1] - x[:, 1:-1, :-2]
           - x[:, 1:-1, 2:])
    return float(np.mean(np.square(lap, dtype=np.float64)))


def measure(run_dir, reals, num=64):
    """Speckle and diversity statistics of a run's final G_ema on `num` fixed latents."""
    G = load_network(run_dir, "G_ema")
    z = np.random.RandomState(123).randn(num, G.z_dim).astype(np.float32)
    images = {mode: np.clip(np.asarray(G(z, None, noise_mode=mode), np.float64), -1, 1)
              for mode in ("random", "none")}
    pairs = np.triu_indices(num, 1)
    x = images["random"]
    sq = np.square(x[:, None] - x[None]).mean(axis=(2, 3, 4))
    noise = {v.path: float(v.numpy()) for v in G.weights if v.name == "noise_strength"}
    return {"hf_random": laplacian_energy(x) / laplacian_energy(reals),
            "hf_none": laplacian_energy(images["none"]) / laplacian_energy(reals),
            "pix_div": float(sq[pairs].mean()),
            "last_noise": noise[max(noise, key=block_and_conv)]}


def block_and_conv(path):
    """(resolution, conv index) of a synthesis layer's variable path ('.../b32/conv1/...')."""
    match = re.search(r"/b(\d+)/conv(\d)/", path)
    return int(match.group(1)), int(match.group(2))


def ten_reals():
    images, _ = open_dataset("builtin:shapes").load_images(10)
    return images.astype(np.float64) / 127.5 - 1


@pytest.mark.slow
def test_mixdl_demo_against_stylegan2_then_cdc_from_it(tmp_path):
    train("--flagfile=mixdl_demo.flags", f"--outdir={tmp_path / 'mixdl'}", cwd=tmp_path)
    train("--flagfile=mixdl_demo.flags", "--method=stylegan2", f"--outdir={tmp_path / 'sg2'}",
          cwd=tmp_path)
    mixdl = next((tmp_path / "mixdl").iterdir())
    records = stats(mixdl)
    for key in ("Loss/G/dist", "Loss/D/dist", "Loss/D/patch", "Loss/G/patch", "Loss/D/reg"):
        assert all(np.isfinite(r[key]) for r in records), key
    assert (mixdl / "interp000006.png").exists() and (mixdl / "fakes000006.png").exists()

    reals = ten_reals()
    ours = measure(mixdl, reals)
    plain = measure(next((tmp_path / "sg2").iterdir()), reals)
    print(f"\nMixDL {ours}\nStyleGAN2 {plain}")
    # No speckle (seed 0 here: 1.8x, -0.004, 0.03; before the fix 12.9x, 0.025, 0.53).
    assert ours["hf_random"] < 3 * ours["hf_none"]
    assert abs(ours["last_noise"]) < 0.01
    assert ours["hf_random"] < 1.5
    # More varied than plain StyleGAN2 (seed 0 here: 0.033 vs 0.028; 0.050 before the fix, which
    # is why the speckle checks above come first).
    assert ours["pix_div"] > plain["pix_div"]

    out = train("--method=cdc", f"--init_from={mixdl}", "--data=builtin:shapes",
                "--max_images=10", "--cbase=1024", "--cmax=64", "--batch=4", "--gamma=1",
                "--aug=noaug", "--kimg=1", "--tick=0.5", "--snap=2",
                f"--outdir={tmp_path / 'cdc'}", cwd=tmp_path)
    assert "Initialised G, D and G_ema" in out
    cdc = next((tmp_path / "cdc").iterdir())
    records = stats(cdc)
    # G starts as its source: the distance consistency term stays small over the first tick
    # (0.23 measured from the 6-kimg demo run).
    assert records[0]["Loss/G/dist"] < 0.5
    assert all(np.isfinite(r["Loss/G/dist"]) and np.isfinite(r["Loss/D/patch"])
               for r in records[1:])
    assert (cdc / "interp000001.png").exists()
