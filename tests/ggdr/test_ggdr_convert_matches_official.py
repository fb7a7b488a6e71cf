"""Converted GGDR pickles (naver-ai/GGDR `training.networks_ggdr`) reproduce the official outputs
of fixtures/outputs.npz: D's logits and every decoder map, G_ema's ws, image and every generator
feature, and the reference regulariser on them; and the GGDR-specific kwargs are handled.

The reference ran on the CPU in float32 (`force_fp32=True`, `noise_mode='const'`). The converted
networks keep the pickle's `num_fp16_res` (2) and are called with `force_fp32=True`, so every
block runs in float32 here as there. Batch 4 = mbstd group 4: one group, so the reference's
strided grouping and ours agree.
"""

import copy

import numpy as np
import pytest
import tensorflow as tf

from ggdr_fixtures import CASES, fixture_path
from tfgan_fs.convert import ConversionError, convert_pickle
from tfgan_fs.convert import convert as convert_module
from tfgan_fs.convert.network_pickle import read_network_pickle
from tfgan_fs.losses import ggdr_loss

TOL = 1e-4
GFEAT_RES = {"ggdr_uncond32": [4, 8, 16, 32], "ggdr_cond16": [4, 8, 16]}


def _max_err(actual, expected):
    actual = np.asarray(actual)
    assert actual.shape == expected.shape and actual.dtype == np.float32
    return float(np.max(np.abs(actual - expected)))


@pytest.mark.parametrize("case", CASES)
def test_d_logits_and_decoder_maps(converted, official, case):
    D = converted[case].networks["D"]
    assert D.decoder_res == 16 and D.decoder_resolutions == [8, 16] and D.num_fp16_res == 2
    out = D(official[f"{case}/d_img"], official[f"{case}/c"], force_fp32=True,
            return_decoder=True)
    logits, fmaps = out["logits"], out["decoder"]
    assert _max_err(logits, official[f"{case}/d_logits"]) < TOL
    assert sorted(fmaps) == [8, 16]
    for res, fmap in fmaps.items():
        assert _max_err(fmap, official[f"{case}/dec_{res}"]) < TOL, res


@pytest.mark.parametrize("case", CASES)
def test_g_ema_ws_image_and_features(converted, official, case):
    G = converted[case].networks["G_ema"]
    assert G.synthesis.num_fp16_res == 2
    ws = G.mapping(official[f"{case}/z"], official[f"{case}/c"], truncation_psi=1)
    assert _max_err(ws, official[f"{case}/ws"]) < TOL
    img, feats = G.synthesis(tf.constant(official[f"{case}/ws"]), noise_mode="const",
                             force_fp32=True, return_features=True)
    assert _max_err(img, official[f"{case}/img"]) < TOL
    assert sorted(feats) == GFEAT_RES[case]
    for res, feat in feats.items():
        assert _max_err(feat, official[f"{case}/gfeat_{res}"]) < TOL, res
    # The whole generator from z gives the same image.
    img_z = G(official[f"{case}/z"], official[f"{case}/c"], noise_mode="const", force_fp32=True)
    assert _max_err(img_z, official[f"{case}/img"]) < TOL


@pytest.mark.parametrize("case", CASES)
def test_ggdr_regulariser_of_d_on_g_ema_image(converted, official, case):
    """The reference's get_ggdr_reg([16], D(img)[1], feats) with our D and loss."""
    D = converted[case].networks["D"]
    fmaps = D(official[f"{case}/img"], official[f"{case}/c"], force_fp32=True,
              return_decoder=True)["decoder"]
    targets = {res: official[f"{case}/gfeat_{res}"] for res in (8, 16)}
    reg = float(tf.reduce_mean(ggdr_loss(fmaps, targets, [16])))
    assert reg == pytest.approx(float(official[f"{case}/ggdr_reg"]), rel=1e-5)


def test_conversion_records_and_logs_the_ggdr_parts(converted, conversion_logs):
    info = converted["ggdr_uncond32"].info
    assert info["ggdr"] == {"decoder_res": 16, "decoder_layers": ["b8_dec", "b16_dec"],
                            "train_flags": "--reg_type=ggdr --ggdr_res=16"}
    assert info["augment_pipe"] == "AugmentPipeGFeat" and info["augment_p"] == pytest.approx(0.25)
    assert info["reference_kwargs"]["D"]["decoder_res"] == 16
    assert converted["ggdr_cond16"].networks["D"].architecture == "orig"
    log = "\n".join(conversion_logs["ggdr_uncond32"])
    assert "Found a PyTorch GGDR pickle" in log and "b8_dec, b16_dec" in log
    assert "b8_dec (1x1 conv, up 2, 16 -> 16 channels)" in log
    assert "b16_dec (1x1 conv, up 2, 32 -> 16 channels)" in log
    assert "--reg_type=ggdr --ggdr_res=16" in log and "AugmentPipeGFeat (p = 0.250)" in log
    D = converted["ggdr_uncond32"].networks["D"]
    assert D.get_config()["decoder_res"] == 16  # network.json rebuilds the decoder


def test_decoder_weights_map_by_name(converted):
    """b{res}_dec.weight (OIHW 1x1) -> D/b{res}_dec/weight (HWIO); biases as they are."""
    params = read_network_pickle(fixture_path("ggdr_cond16.pkl")).networks["D"].params
    D = converted["ggdr_cond16"].networks["D"]
    for res in (8, 16):
        layer = getattr(D, f"b{res}_dec")
        assert layer.weight.path == f"D/b{res}_dec/weight"
        np.testing.assert_array_equal(layer.weight.numpy(),
                                      params[f"b{res}_dec.weight"].transpose(2, 3, 1, 0))
        np.testing.assert_array_equal(layer.bias.numpy(), params[f"b{res}_dec.bias"])


# -- GGDR kwargs ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def ggdr_data():
    return read_network_pickle(fixture_path("ggdr_cond16.pkl"))


def _convert_modified(monkeypatch, data, edit):
    data = copy.deepcopy(data)
    edit(data.networks["D"])
    monkeypatch.setattr(convert_module, "read_network_pickle", lambda path: data)
    return convert_pickle(fixture_path("ggdr_cond16.pkl"), log=lambda *a: None)


def test_unused_w_dim_of_the_ggdr_d_is_dropped(monkeypatch, ggdr_data, official):
    """networks_ggdr.Discriminator(w_dim=512) accepts and ignores w_dim: so do we."""
    def edit(D):
        D.kwargs["w_dim"] = 512

    D = _convert_modified(monkeypatch, ggdr_data, edit).networks["D"]
    logits = D(official["ggdr_cond16/d_img"], official["ggdr_cond16/c"], force_fp32=True)
    assert _max_err(logits, official["ggdr_cond16/d_logits"]) < TOL


def test_decoder_res_default_and_mismatches(monkeypatch, ggdr_data):
    def drop(D):  # built without decoder_res: networks_ggdr's default 64 applies
        del D.kwargs["decoder_res"]

    with pytest.raises(ConversionError, match=r"D.decoder_res=64 \(GGDR's decoder needs a power "
                       r"of two between 8 and img_resolution=16\)"):
        _convert_modified(monkeypatch, ggdr_data, drop)

    def smaller(D):  # kwargs say 8, the parameters have b16_dec too
        D.kwargs["decoder_res"] = 8

    with pytest.raises(ConversionError, match=r"cannot convert D .*unknown parameters: "
                       r"b16_dec\.bias \[16\], b16_dec\.resample_filter, "
                       r"b16_dec\.weight \[16, 32, 1, 1\]"):
        _convert_modified(monkeypatch, ggdr_data, smaller)

    def bad(D):
        D.kwargs["decoder_res"] = 12

    with pytest.raises(ConversionError, match=r"D.decoder_res=12"):
        _convert_modified(monkeypatch, ggdr_data, bad)
