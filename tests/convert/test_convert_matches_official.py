"""Converted networks reproduce the official StyleGAN2-ADA outputs (fixtures/outputs.npz).

The fixture outputs were computed by NVlabs/stylegan2-ada-pytorch on the CPU in float32
(force_fp32=True, noise_mode='const'); TF1 networks were converted by its legacy.py.
"""

import numpy as np
import pytest

CASES = ["pt_uncond32", "pt_cond16", "tf1_cond16"]
TOL = 1e-4


def _max_err(actual, expected):
    actual = np.asarray(actual)
    assert actual.shape == expected.shape
    return float(np.max(np.abs(actual - expected)))


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("psi,tag", [(1.0, "psi1"), (0.7, "psi07")])
def test_g_ema_ws_and_images(converted, official, case, psi, tag):
    G = converted[case].networks["G_ema"]
    z, c = official[f"{case}/z"], official[f"{case}/c"]
    ws = G.mapping(z, c, truncation_psi=psi)
    assert _max_err(ws, official[f"{case}/ws_{tag}"]) < TOL
    img = G.synthesis(ws, noise_mode="const", force_fp32=True)
    assert _max_err(img, official[f"{case}/img_{tag}"]) < TOL


@pytest.mark.parametrize("case", CASES)
def test_g_and_d(converted, official, case):
    nets = converted[case].networks
    z, c = official[f"{case}/z"], official[f"{case}/c"]
    img = nets["G"](z, c, noise_mode="const", force_fp32=True)
    assert _max_err(img, official[f"{case}/img_G"]) < TOL
    # Batch 4 = mbstd group 4: one group, so strided and consecutive grouping agree.
    logits = nets["D"](official[f"{case}/d_img"], c, force_fp32=True)
    assert _max_err(logits, official[f"{case}/d_logits"]) < TOL


def test_g_and_g_ema_are_kept_apart(converted, official):
    G_ema = converted["pt_uncond32"].networks["G_ema"]
    G = converted["pt_uncond32"].networks["G"]
    z = official["pt_uncond32/z"]
    a = G_ema(z, noise_mode="const", force_fp32=True)
    b = G(z, noise_mode="const", force_fp32=True)
    assert _max_err(a, official["pt_uncond32/img_psi1"]) < TOL
    assert float(np.max(np.abs(a - b))) > 0.1  # they really are different networks


def test_reference_kwargs_become_the_config(converted):
    G = converted["pt_uncond32"].networks["G_ema"]
    D = converted["pt_uncond32"].networks["D"]
    assert (G.z_dim, G.w_dim, G.c_dim, G.img_resolution, G.num_ws) == (24, 32, 0, 32, 8)
    assert G.mapping.num_layers == 2
    assert G.synthesis.channels == {4: 16, 8: 16, 16: 16, 32: 8}
    assert G.synthesis.num_fp16_res == 2 and G.synthesis.conv_clamp == 256
    assert D.b4.mbstd_group_size == 4 and D.architecture == "resnet"
    cond_D = converted["pt_cond16"].networks["D"]
    assert cond_D.architecture == "orig" and cond_D.mapping.num_layers == 8
    tf1_D = converted["tf1_cond16"].networks["D"]
    assert tf1_D.mapping.num_layers == 0 and tf1_D.mapping.lr_multiplier == 0.1
    assert converted["pt_cond16"].info["augment_p"] == pytest.approx(0.25)


def test_tf1_protocol2_pickle_with_numpy1_names(tmp_path, official):
    """TF1-era pickles: protocol 2 (bytes via _codecs.encode), numpy.core.multiarray globals."""
    from pickle_builders import tf1_networks, write_tf1_pickle
    from tfgan_fs.convert import convert_pickle

    path = tmp_path / "tf1_p2.pkl"
    write_tf1_pickle(path, tf1_networks(), protocol=2)
    data = path.read_bytes().replace(b"numpy._core.multiarray\n", b"numpy.core.multiarray\n")
    assert b"numpy.core.multiarray\n" in data and b"_codecs\nencode" in data
    path.write_bytes(data)
    G = convert_pickle(path, log=lambda *a: None).networks["G_ema"]
    img = G(official["tf1_cond16/z"], official["tf1_cond16/c"], noise_mode="const")
    assert _max_err(img, official["tf1_cond16/img_psi1"]) < TOL
