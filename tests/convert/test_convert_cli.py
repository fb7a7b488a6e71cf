"""tools/convert_pkl.py end to end, and what consumes its output (load_network, --init_from)."""

import json
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

from pickle_builders import FIXTURES, write_malicious_pickle
from tfgan_fs.convert import ConversionError, convert_pickle, write_run_dir
from tfgan_fs.methods.stylegan2 import StyleGAN2, StyleGAN2Config
from tfgan_fs.runs import checkpoints

REPO = pathlib.Path(__file__).resolve().parents[2]
CONVERT = str(REPO / "tools" / "convert_pkl.py")
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
TOL = 1e-4


def run_tool(args):
    return subprocess.run([sys.executable, CONVERT] + args, env=ENV, capture_output=True,
                          text=True, timeout=300)


def test_cli_converts_and_load_network_reproduces_official(tmp_path, official):
    dest = tmp_path / "ffhq-like"
    result = run_tool([f"--source={FIXTURES}/pt_uncond32.pkl", f"--dest={dest}"])
    assert result.returncode == 0, result.stderr
    assert "Found a PyTorch StyleGAN2-ADA pickle" in result.stdout
    assert "Wrote" in result.stdout and "augment p 0.250" in result.stdout
    info = json.loads((dest / "conversion.json").read_text())
    assert info["format"] == "pytorch" and info["reference_kwargs"]["G"]["z_dim"] == 24
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp dir left

    G = checkpoints.load_network(dest, "G_ema")
    z = official["pt_uncond32/z"]
    img = G(z, truncation_psi=0.7, noise_mode="const", force_fp32=True)
    assert np.max(np.abs(img.numpy() - official["pt_uncond32/img_psi07"])) < TOL
    D = checkpoints.load_network(dest, "D")
    logits = D(official["pt_uncond32/d_img"], force_fp32=True)
    assert np.max(np.abs(logits.numpy() - official["pt_uncond32/d_logits"])) < TOL

    again = run_tool([f"--source={FIXTURES}/pt_uncond32.pkl", f"--dest={dest}"])
    assert again.returncode == 1 and "already exists" in again.stderr
    missing = run_tool([f"--source={tmp_path / 'nope.pkl'}", f"--dest={tmp_path / 'x'}"])
    assert missing.returncode == 1 and "nope.pkl does not exist" in missing.stderr


def test_cli_refuses_malicious_pickle(tmp_path):
    marker = tmp_path / "pwned"
    write_malicious_pickle(tmp_path / "evil.pkl", marker)
    result = run_tool([f"--source={tmp_path / 'evil.pkl'}", f"--dest={tmp_path / 'out'}"])
    assert result.returncode == 1
    assert "refusing to load global" in result.stderr and "system" in result.stderr
    assert "Traceback" not in result.stderr
    assert not marker.exists() and not (tmp_path / "out").exists()


def test_init_from_restores_into_the_training_method(tmp_path, official):
    """--init_from: G, D and G_ema restored into networks the StyleGAN2 method builds."""
    dest = write_run_dir(convert_pickle(os.path.join(FIXTURES, "pt_cond16.pkl"),
                                        log=lambda *a: None), tmp_path / "run")
    config = StyleGAN2Config(
        G_kwargs=dict(z_dim=16, w_dim=24, mapping_kwargs=dict(num_layers=2),
                      synthesis_kwargs=dict(channel_base=256, channel_max=16)),
        D_kwargs=dict(channel_base=256, channel_max=16, architecture="orig",
                      epilogue_kwargs=dict(mbstd_group_size=4)))
    method = StyleGAN2(config, 16, 3, label_distribution=[1, 1, 1])
    checkpoints.restore_weights({k: method.networks[k] for k in ("G", "D", "G_ema")}, dest)
    z, c = official["pt_cond16/z"], official["pt_cond16/c"]
    img = method.G_ema(z, c, noise_mode="const")
    assert np.max(np.abs(img.numpy() - official["pt_cond16/img_psi1"])) < TOL
    img = method.G(z, c, noise_mode="const")
    assert np.max(np.abs(img.numpy() - official["pt_cond16/img_G"])) < TOL
    logits = method.D(official["pt_cond16/d_img"], c)
    assert np.max(np.abs(logits.numpy() - official["pt_cond16/d_logits"])) < TOL


def test_write_run_dir_is_atomic(tmp_path, monkeypatch, converted):
    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(checkpoints.RunState, "save", crash)
    with pytest.raises(OSError):
        write_run_dir(converted["pt_cond16"], tmp_path / "run")
    assert list(tmp_path.iterdir()) == []
    (tmp_path / "taken").mkdir()
    with pytest.raises(ConversionError, match="already exists"):
        write_run_dir(converted["pt_cond16"], tmp_path / "taken")
