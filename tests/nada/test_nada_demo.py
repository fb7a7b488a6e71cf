"""The CPU demo of StyleGAN-NADA (slow): a quickstart generator adapted with a tiny CLIP.

The tiny CLIP has random weights, so 'photo' -> 'sketch' means nothing to it; what the demo
shows is the machinery end to end: the directional loss falls, the adapted generator drifts from
the frozen one on the same latents, and the before/after picture is written.
"""

import json
import pathlib
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

REPO = pathlib.Path(__file__).resolve().parents[2]
TRAIN = str(REPO / "tools" / "train.py")


def run_tool(args):
    result = subprocess.run([sys.executable] + args, cwd=REPO, capture_output=True, text=True,
                            timeout=1200)
    assert result.returncode == 0, result.stderr
    return result


@pytest.mark.slow
def test_nada_demo_on_a_quickstart_generator(tmp_path, tiny_clip):
    run_tool([TRAIN, "--flagfile=quickstart.flags", "--kimg=2", "--snap=2",
              f"--outdir={tmp_path / 'source'}"])
    source = next((tmp_path / "source").iterdir())
    run_tool([TRAIN, "--method=nada", f"--network={source}", f"--clip_models={tiny_clip}",
              "--source_class=photo", "--target_class=sketch", "--iter=40", "--batch=4",
              "--output_interval=10", "--auto_layer_k=4", "--lr=0.004",
              f"--outdir={tmp_path / 'nada'}"])
    run = next((tmp_path / "nada").iterdir())
    stats = [json.loads(line) for line in (run / "stats.jsonl").read_text().splitlines()]
    losses = [s["Loss/clip/direction"] for s in stats]
    assert losses[-1] < losses[0], losses
    picture = np.asarray(Image.open(sorted(run.glob("nada*.png"))[-1]), np.float32)
    before, after = np.split(picture, 2, axis=0)  # top row frozen, bottom row adapted
    assert np.abs(before - after).mean() > 2.0  # the adapted G moved (8-bit levels)
    first = np.asarray(Image.open(sorted(run.glob("nada*.png"))[0]), np.float32)
    np.testing.assert_allclose(np.split(first, 2, axis=0)[0], before, atol=1)  # frozen fixed
