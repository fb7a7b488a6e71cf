"""rosinality .pt files wherever a network is read (convert_pkl, generate, export, --init_from)
and `tools/export.py --format=rosinality`, end to end through the command-line tools."""

import json
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from tfgan_fs.convert import rosinality_writer
from tfgan_fs.convert.rosinality import convert_rosinality, read_rosinality
from tfgan_fs.networks import Discriminator, Generator
from tfgan_fs.runs import checkpoints

REPO = pathlib.Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "convert" / "fixtures" / "rosinality"
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
TOL = 1e-4


def run_tool(tool, args):
    return subprocess.run([sys.executable, str(REPO / "tools" / tool)] + args, env=ENV,
                          capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def outputs():
    with np.load(FIXTURES / "outputs.npz") as data:
        return {key: data[key] for key in data.files}


@pytest.fixture(scope="module")
def train16_run(tmp_path_factory):
    dest = tmp_path_factory.mktemp("ros") / "train16"
    result = run_tool("convert_pkl.py", [f"--source={FIXTURES / 'train16.pt'}", f"--dest={dest}",
                                         "--w_avg_samples=128", "--w_avg_seed=3"])
    assert result.returncode == 0, result.stderr
    return dest, result.stdout


def test_convert_pkl_reads_a_train_py_checkpoint(train16_run, outputs):
    dest, stdout = train16_run
    assert "Found a rosinality StyleGAN2 checkpoint" in stdout
    assert "mean of G_ema's mapping over 128 z (NumPy seed 3)" in stdout
    info = json.loads((dest / "conversion.json").read_text())
    assert info["w_avg"] == {"from": "mean_latent", "samples": 128, "seed": 3}
    assert info["ada_aug_p"] == pytest.approx(0.25) and info["lr_mlp"] == 0.01
    G = checkpoints.load_network(dest, "G_ema")
    img = G(outputs["train16/z"], None, noise_mode="const")
    assert np.max(np.abs(img.numpy() - outputs["train16/img_psi1"])) < TOL
    D = checkpoints.load_network(dest, "D")
    logits = D(outputs["train16/d_img"])
    assert np.max(np.abs(logits.numpy() - outputs["train16/d_logits"])) < TOL


def test_convert_pkl_refuses_unknown_classes_and_bad_flags(tmp_path):
    result = run_tool("convert_pkl.py", [f"--source={FIXTURES / 'unknown_class.pt'}",
                                         f"--dest={tmp_path / 'x'}"])
    assert result.returncode == 1 and "refusing to load global" in result.stderr
    assert "torch.nn.modules.linear.Linear" in result.stderr
    assert "Traceback" not in result.stderr and not (tmp_path / "x").exists()
    result = run_tool("convert_pkl.py", [f"--source={FIXTURES / 'nada64.pt'}",
                                         f"--dest={tmp_path / 'y'}", "--lr_mlp=0"])
    assert result.returncode == 1 and "--lr_mlp must be > 0" in result.stderr


def test_generate_reads_a_pt_file(tmp_path):
    result = run_tool("generate.py", [f"--network={FIXTURES / 'nada64.pt'}", "--seeds=5",
                                      f"--outdir={tmp_path}"])
    assert result.returncode == 0, result.stderr
    image = np.asarray(Image.open(tmp_path / "seed0005.png"))
    G = convert_rosinality(FIXTURES / "nada64.pt", log=lambda *a: None).networks["G_ema"]
    z = np.random.RandomState(5).randn(1, 24).astype(np.float32)  # generate.py's seeds
    expected = np.clip(G(z, None, noise_mode="const").numpy()[0] * 127.5 + 128, 0, 255)
    assert image.shape == (64, 64, 3)
    assert np.max(np.abs(image - expected.astype(np.uint8).astype(float))) <= 1


def test_export_writes_a_rosinality_file_and_a_savedmodel_from_one(train16_run, tmp_path):
    dest, _ = train16_run
    out = tmp_path / "g.pt"
    result = run_tool("export.py", [f"--network={dest}", "--format=rosinality", f"--out={out}"])
    assert result.returncode == 0, result.stderr
    assert "Wrote" in result.stdout and "(g_ema, latent_avg, g, d)" in result.stdout
    original, written = read_rosinality(FIXTURES / "train16.pt"), read_rosinality(out)
    for key in ("g_ema", "g", "d"):
        for name, value in original.networks[key].items():
            np.testing.assert_array_equal(written.networks[key][name], value, err_msg=name)
    again = run_tool("export.py", [f"--network={dest}", "--format=rosinality", f"--out={out}"])
    assert again.returncode == 1 and "exists (pass --overwrite" in again.stderr
    wrong = run_tool("export.py", [f"--network={dest}", "--format=rosinality",
                                   f"--outdir={tmp_path}"])
    assert wrong.returncode == 1 and "--out is required with --format=rosinality" in wrong.stderr

    result = run_tool("export.py", [f"--network={out}", f"--outdir={tmp_path / 'served'}"])
    assert result.returncode == 0, result.stderr
    assert f"Exported G_ema of {out}" in result.stdout
    assert (tmp_path / "served" / "1" / "saved_model.pb").is_file()


def _write_source(path, seed=0):
    """A 32x32 source with the CLI's architecture (z 512, cbase 1024, cmax 64, 2 mapping
    layers) written as a rosinality train.py-style file {g_ema, g, d, latent_avg}."""
    rng = np.random.RandomState(seed)
    G = Generator(z_dim=512, c_dim=0, w_dim=512, img_resolution=32, img_channels=3,
                  mapping_kwargs=dict(num_layers=2),
                  synthesis_kwargs=dict(channel_base=1024, channel_max=64), name="G_ema")
    D = Discriminator(c_dim=0, img_resolution=32, img_channels=3, channel_base=1024,
                      channel_max=64, name="D")
    for net in (G, D):
        for v in net.weights:
            v.assign(v.numpy() + rng.normal(0, 0.05, v.shape).astype(np.float32))
    rosinality_writer.write_rosinality(path, G, G=G, D=D)
    return G


def test_cdc_trains_from_a_pt_file(tmp_path):
    source = tmp_path / "source.pt"
    G = _write_source(source)
    out = tmp_path / "runs"
    result = run_tool("train.py", [
        "--method=cdc", f"--init_from={source}", "--data=builtin:shapes", "--max_images=10",
        "--cfg=auto", "--cbase=1024", "--cmax=64", "--batch=4", "--gamma=1", "--aug=noaug",
        "--kimg=0.008", "--tick=0.004", "--snap=1", f"--outdir={out}"])
    assert result.returncode == 0, result.stderr
    assert "Converting" in result.stdout and "Initialised G, D and G_ema from" in result.stdout
    run = next(out.iterdir())
    stats = [json.loads(line) for line in (run / "stats.jsonl").read_text().splitlines()]
    assert stats[-1]["Progress/kimg"] == pytest.approx(0.008)
    # CDC's frozen source generator is the file's g_ema, untouched by training.
    G_source = checkpoints.load_network(run, "G_source")
    for ours, theirs in zip(G_source.weights, G.weights):
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy(), err_msg=ours.path)
