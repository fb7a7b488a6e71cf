"""tools/convert_pkl.py on a GGDR pickle, and `--init_from` of the result in a GGDR run.

`Trainer` construction with `init_from` restores G, D (with its decoder) and G_ema; no training
step runs. The fixture networks have z_dim 24 and w_dim 32 where tools/train.py always builds
512 (as the official networks have), so the tests set those two G kwargs after `build_options`;
everything else comes from the flags (--cbase=256 --cmax=16 --map=2 --mbstd_group=4).
"""

import json
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

from ggdr_fixtures import fixture_path
from resolve_options import build_options
from tfgan_fs.convert import convert_pickle, write_run_dir
from tfgan_fs.data import open_dataset
from tfgan_fs.runs import checkpoints
from tfgan_fs.training.loop import Trainer

REPO = pathlib.Path(__file__).resolve().parents[2]
CONVERT = str(REPO / "tools" / "convert_pkl.py")
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
DATA = "builtin:shapes?resolution=32&count=16"
STYLEGAN2_PKL = str(REPO / "tests" / "convert" / "fixtures" / "pt_uncond32.pkl")  # same arch
TOL = 1e-4


@pytest.fixture(scope="module")
def cli_run(tmp_path_factory):
    """The converted ggdr_uncond32 run dir, written by the CLI, and its stdout."""
    dest = tmp_path_factory.mktemp("cli") / "ggdr32"
    source = fixture_path("ggdr_uncond32.pkl")
    result = subprocess.run([sys.executable, CONVERT, f"--source={source}", f"--dest={dest}"],
                            env=ENV, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return dest, result.stdout


@pytest.fixture(scope="module")
def converted_uncond32():
    return convert_pickle(fixture_path("ggdr_uncond32.pkl"), log=lambda *a: None)


def _options(**overrides):
    args = dict(data=DATA, batch=4, cbase=256, cmax=16, map=2, mbstd_group=4, kimg=0.01,
                augpipe="bgc", seed=1, init_from=True)  # build_options: only whether it is set
    args.update(overrides)
    options = build_options(args, open_dataset(DATA).info)
    options.config.G_kwargs.update(z_dim=24, w_dim=32)
    return options


def _trainer(options, run_dir, init_from=None, log=None):
    run_dir.mkdir(parents=True, exist_ok=True)
    return Trainer(options, run_dir, open_dataset(DATA), init_from=init_from,
                   log=log or (lambda *a: None))


def _values(network):
    return {v.path: v.numpy() for v in network.weights}


def test_cli_converts_a_ggdr_pickle(cli_run, official):
    dest, stdout = cli_run
    assert "Found a PyTorch GGDR pickle" in stdout
    assert "D: GGDR decoder up to 16x16: b8_dec" in stdout
    assert "augment p 0.250 recorded in conversion.json" in stdout
    assert (f"D has GGDR's decoder up to 16x16 (b8_dec, b16_dec): train from it with "
            f"--init_from={dest} --reg_type=ggdr --ggdr_res=16") in stdout
    info = json.loads((dest / "conversion.json").read_text())
    assert info["ggdr"]["decoder_res"] == 16 and info["augment_pipe"] == "AugmentPipeGFeat"
    D = checkpoints.load_network(dest, "D")  # network.json rebuilds the decoder
    out = D(official["ggdr_uncond32/d_img"], force_fp32=True, return_decoder=True)
    logits, fmaps = out["logits"], out["decoder"]
    assert np.max(np.abs(logits.numpy() - official["ggdr_uncond32/d_logits"])) < TOL
    for res in (8, 16):
        assert np.max(np.abs(fmaps[res].numpy() - official[f"ggdr_uncond32/dec_{res}"])) < TOL


def test_init_from_restores_g_d_decoder_and_g_ema(cli_run, converted_uncond32, tmp_path):
    dest, _ = cli_run
    options = _options(reg_type="ggdr", ggdr_res=16)
    logs = []
    trainer = _trainer(options, tmp_path / "run", init_from=dest, log=logs.append)
    assert any("Initialised G, D and G_ema from" in line for line in logs)
    for key in ("G", "D", "G_ema"):
        ours, theirs = _values(trainer.method.networks[key]), _values(
            converted_uncond32.networks[key])
        assert sorted(ours) == sorted(theirs), key
        for path, value in theirs.items():
            np.testing.assert_array_equal(ours[path], value, err_msg=path)
    D = trainer.method.networks["D"]
    assert [b.name for b in D.decoder_blocks] == ["b8_dec", "b16_dec"]
    assert "D/b16_dec/weight" in _values(D)


@pytest.mark.parametrize("overrides,expected", [
    (dict(), r"its D has GGDR's decoder up to 16x16 \(b8_dec, b16_dec\), but this run's D has "
             r"none \(--reg_type=none\)\. Train with --reg_type=ggdr --ggdr_res=16"),
    (dict(reg_type="ggdr", ggdr_res=8), r"this run's D has one up to 8x8 \(--reg_type=ggdr "
                                        r"--ggdr_res=8\)\. Train with --reg_type=ggdr "
                                        r"--ggdr_res=16"),
    (dict(reg_type="ggdr", ggdr_res=32), r"up to 32x32 .*--ggdr_res=32.*--ggdr_res=16"),
])
def test_init_from_a_ggdr_d_needs_the_same_decoder(cli_run, tmp_path, overrides, expected):
    dest, _ = cli_run
    with pytest.raises(checkpoints.CheckpointError, match=expected):
        _trainer(_options(**overrides), tmp_path / "run", init_from=dest)


def test_init_from_a_stylegan2_d_keeps_the_fresh_decoder(tmp_path):
    """A StyleGAN2-ADA D (no decoder) into a GGDR run: everything else is loaded, the decoder
    keeps its initialisation (as the reference's resume with require_all=False), with a note."""
    converted = convert_pickle(STYLEGAN2_PKL, log=lambda *a: None)
    assert converted.info["ggdr"] is None
    dest = write_run_dir(converted, tmp_path / "sg2")
    options = _options(reg_type="ggdr", ggdr_res=16)
    logs = []
    trainer = _trainer(options, tmp_path / "run", init_from=dest, log=logs.append)
    note = [line for line in logs if line.startswith("Note:")]
    assert len(note) == 1 and "has no GGDR decoder" in note[0]
    assert "b8_dec, b16_dec keep their random initialisation" in note[0]
    D, src = trainer.method.networks["D"], converted.networks["D"]
    ours, theirs = _values(D), _values(src)
    assert sorted(set(ours) - set(theirs)) == ["D/b16_dec/bias", "D/b16_dec/weight",
                                               "D/b8_dec/bias", "D/b8_dec/weight"]
    for path, value in theirs.items():
        np.testing.assert_array_equal(ours[path], value, err_msg=path)
    for key in ("G", "G_ema"):
        for path, value in _values(converted.networks[key]).items():
            np.testing.assert_array_equal(_values(trainer.method.networks[key])[path], value)
    # The restore does not touch the decoder: marked values survive another restore, while a
    # perturbed D weight is restored.
    for block in D.decoder_blocks:
        block.weight.assign(np.full(block.weight.shape, 7.0, np.float32))
    D.b4.out.bias.assign(D.b4.out.bias + 1.0)
    checkpoints.restore_weights(dict(trainer.method.networks), dest)
    for block in D.decoder_blocks:
        assert np.all(block.weight.numpy() == 7.0)
    np.testing.assert_array_equal(D.b4.out.bias.numpy(), theirs["D/b4/out/bias"])
