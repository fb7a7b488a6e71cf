"""tools/convert_lpips.py: the torch-free key mapping, and the CLI without PyTorch."""

import importlib.util
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest
from net_fixtures import lpips_np
from net_fixtures import random_lpips_arrays
from net_fixtures import random_torch_state_dicts
from net_fixtures import write_npz

from tfgan_fs.metrics.lpips import LPIPS
from tfgan_fs.metrics.lpips import convert_torch_state_dicts

REPO = pathlib.Path(__file__).resolve().parents[2]
CONVERT = str(REPO / "tools" / "convert_lpips.py")


@pytest.mark.parametrize("net", ["vgg", "alex"])
@pytest.mark.parametrize("lin_style", ["lin", "lins"])
def test_mapping_small_channels(net, lin_style):
    backbone, lin = random_torch_state_dicts(net, seed=3, scale_channels=1 / 16,
                                             lin_style=lin_style)
    out = convert_torch_state_dicts(net, backbone, lin)
    assert str(out["net"]) == net and str(out["version"]) == "0.1"
    feature_keys = sorted(k for k in backbone if k.startswith("features."))
    assert len([k for k in out if k.startswith("features.")]) == len(feature_keys)
    for key in feature_keys:
        index, kind = key.split(".")[1:]
        if kind == "weight":
            kernel = out[f"features.{index}.kernel"]
            np.testing.assert_array_equal(kernel, backbone[key].transpose(2, 3, 1, 0))
            o, i, kh, kw = backbone[key].shape
            assert kernel.shape == (kh, kw, i, o)
            # HWIO[y, x, c, o] == OIHW[o, c, y, x]
            assert kernel[1, 0, 2 % i, 1 % o] == backbone[key][1 % o, 2 % i, 1, 0]
        else:
            np.testing.assert_array_equal(out[f"features.{index}.bias"], backbone[key])
    for k in range(5):
        key = f"lin{k}.model.1.weight" if lin_style == "lin" else f"lins.{k}.model.1.weight"
        np.testing.assert_array_equal(out[f"lin{k}"], lin[key].reshape(-1))
        assert out[f"lin{k}"].ndim == 1
    assert not any(k.startswith("classifier") for k in out)


@pytest.mark.parametrize("net", ["vgg", "alex"])
def test_mapping_full_size_loads_and_matches(net, tmp_path):
    """Converted torch-layout weights give the same network as the directly written .npz."""
    backbone, lin = random_torch_state_dicts(net, seed=1)
    out = convert_torch_state_dicts(net, backbone, lin)
    direct = random_lpips_arrays(net, seed=1)
    assert sorted(out) == sorted(direct)
    for key in out:
        np.testing.assert_array_equal(out[key], direct[key])
    model = LPIPS.load(write_npz(tmp_path / "converted.npz", out))
    if net == "alex":
        rng = np.random.RandomState(0)
        a, b = rng.uniform(-1, 1, (2, 2, 64, 64, 3)).astype(np.float32)
        np.testing.assert_allclose(model(a, b).numpy(), lpips_np(direct, a, b), rtol=2e-4)


def test_mapping_lpips_module_keys_and_scaling_layer():
    backbone, lin = random_torch_state_dicts("alex", seed=0, scale_channels=0.25)
    slices = {0: 1, 3: 2, 6: 3, 8: 4, 10: 5}
    module_style = {}
    for key, value in backbone.items():
        if key.startswith("features."):
            _, index, kind = key.split(".")
            module_style[f"net.slice{slices[int(index)]}.{index}.{kind}"] = value
    lin = {**lin, "scaling_layer.shift": np.array([[[[-.030]], [[-.088]], [[-.188]]]]),
           "scaling_layer.scale": np.array([.458, .448, .450])}
    out = convert_torch_state_dicts("alex", module_style, lin)
    reference = convert_torch_state_dicts("alex", backbone, {k: v for k, v in lin.items()
                                                             if k.startswith("lin")})
    for key in reference:
        np.testing.assert_array_equal(out[key], reference[key])
    with pytest.raises(ValueError, match="scaling_layer.scale"):
        convert_torch_state_dicts("alex", backbone,
                                  {**lin, "scaling_layer.scale": np.array([1.0, 1.0, 1.0])})


def test_mapping_lists_missing_and_unknown_keys():
    backbone, lin = random_torch_state_dicts("vgg", seed=0, scale_channels=1 / 16)
    del backbone["features.12.weight"], backbone["features.28.bias"]
    backbone["features.30.weight"] = np.zeros([1], np.float32)  # a pool index in VGG16 + 1
    backbone["fc.weight"] = np.zeros([1], np.float32)
    del lin["lin3.model.1.weight"]
    lin["lin5.model.1.weight"] = np.zeros([1, 4, 1, 1], np.float32)
    with pytest.raises(ValueError) as err:
        convert_torch_state_dicts("vgg", backbone, lin)
    message = str(err.value)
    for needed in ("missing keys ['features.12.weight', 'features.28.bias']",
                   "unknown keys ['fc.weight', 'features.30.weight']",
                   "lin3.model.1.weight (or lins.3.model.1.weight)",
                   "unknown keys ['lin5.model.1.weight']"):
        assert needed in message, needed


def test_mapping_checks_layer_structure():
    backbone, lin = random_torch_state_dicts("vgg", seed=0, scale_channels=1 / 16)
    # An AlexNet backbone given as VGG: wrong/missing layers are listed.
    alex_backbone, _ = random_torch_state_dicts("alex", seed=0, scale_channels=1 / 16)
    with pytest.raises(ValueError, match=r"missing keys \['features\.2\.weight'"):
        convert_torch_state_dicts("vgg", alex_backbone, lin)
    bad = dict(backbone)
    bad["features.5.weight"] = bad["features.5.weight"][:, :2]  # input channels break the chain
    with pytest.raises(ValueError, match=r"features\.5\.weight has shape"):
        convert_torch_state_dicts("vgg", bad, lin)
    bad = dict(lin)
    bad["lin2.model.1.weight"] = bad["lin2.model.1.weight"][:, :3]
    with pytest.raises(ValueError, match=r"lin2 has shape"):
        convert_torch_state_dicts("vgg", backbone, bad)
    both = {**lin, "lins.0.model.1.weight": lin["lin0.model.1.weight"]}
    with pytest.raises(ValueError, match="lin0 twice"):
        convert_torch_state_dicts("vgg", backbone, both)
    with pytest.raises(ValueError, match="net must be one of"):
        convert_torch_state_dicts("squeeze", backbone, lin)


def test_small_channel_conversion_is_rejected_by_the_loader(tmp_path):
    backbone, lin = random_torch_state_dicts("alex", seed=0, scale_channels=0.5)
    path = write_npz(tmp_path / "small.npz", convert_torch_state_dicts("alex", backbone, lin))
    with pytest.raises(ValueError, match=r"small\.npz.*wrong shapes"):
        LPIPS.load(path)


@pytest.mark.skipif(importlib.util.find_spec("torch") is not None,
                    reason="PyTorch is installed; the missing-torch message cannot be shown")
def test_cli_without_torch(tmp_path):
    lin = tmp_path / "vgg.pth"
    backbone = tmp_path / "vgg16-397923af.pth"
    lin.write_bytes(b"x")
    backbone.write_bytes(b"x")
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    result = subprocess.run(
        [sys.executable, CONVERT, "--net=vgg", f"--lin={lin}", f"--backbone={backbone}",
         f"--dest={tmp_path / 'out.npz'}"], env=env, capture_output=True, text=True, timeout=120,
        check=False)
    assert result.returncode == 1
    assert "pip install torch" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "out.npz").exists()
    missing = subprocess.run(
        [sys.executable, CONVERT, "--net=vgg", f"--lin={tmp_path / 'nope.pth'}",
         f"--backbone={backbone}", f"--dest={tmp_path / 'out.npz'}"], env=env,
        capture_output=True, text=True, timeout=120, check=False)
    assert missing.returncode == 1 and "--lin: no such file" in missing.stderr
