"""Unknown or missing parameters and unsupported networks are errors that name them."""

import copy
import os

import numpy as np
import pytest

from pickle_builders import FIXTURES, tf1_networks, write_tf1_pickle
from tfgan_fs.convert import ConversionError, UnsupportedNetworkError, convert_pickle
from tfgan_fs.convert import convert as convert_module
from tfgan_fs.convert.network_pickle import read_network_pickle

PT_COND = os.path.join(FIXTURES, "pt_cond16.pkl")


@pytest.fixture(scope="module")
def pt_data():
    return read_network_pickle(PT_COND)


def _convert_modified(monkeypatch, data, edit):
    data = copy.deepcopy(data)
    edit(data.networks)
    monkeypatch.setattr(convert_module, "read_network_pickle", lambda path: data)
    return convert_pickle(PT_COND, log=lambda *a: None)


def test_unknown_and_missing_parameters_are_listed(monkeypatch, pt_data):
    def edit(nets):
        params = nets["G_ema"].params
        del params["synthesis.b8.conv1.affine.bias"]
        del params["mapping.w_avg"]
        params["synthesis.b8.conv2.weight"] = np.zeros([16, 16, 3, 3], np.float32)

    with pytest.raises(ConversionError) as err:
        _convert_modified(monkeypatch, pt_data, edit)
    message = str(err.value)
    assert "G_ema" in message
    assert "unknown parameters: synthesis.b8.conv2.weight [16, 16, 3, 3]" in message
    assert "missing parameters: mapping.w_avg, synthesis.b8.conv1.affine.bias" in message


def test_wrong_shapes_and_filters_are_listed(monkeypatch, pt_data):
    def edit(nets):
        params = nets["D"].params
        params["b4.out.weight"] = np.zeros([2, 16], np.float32)
        params["b8.conv1.resample_filter"] = np.full([4, 4], 1 / 16, np.float32)

    with pytest.raises(ConversionError, match=r"b4\.out\.weight: \[2, 16\] in the pickle, "
                       r"network expects \[16, 16\].*b8\.conv1\.resample_filter \(filter differs"):
        _convert_modified(monkeypatch, pt_data, edit)


def test_unknown_kwargs_are_listed(monkeypatch, pt_data):
    def edit(nets):
        nets["G"].kwargs["synthesis_kwargs"].update(magic=3, activation="relu")
        nets["G"].kwargs["extra"] = 1

    with pytest.raises(ConversionError) as err:
        _convert_modified(monkeypatch, pt_data, edit)
    message = str(err.value)
    assert message.startswith("cannot convert G: unsupported or unknown constructor arguments")
    for listed in ("G.extra=1", "G.synthesis_kwargs.magic=3",
                   "G.synthesis_kwargs.activation='relu' (only 'lrelu' is supported)"):
        assert listed in message


def test_other_network_kinds_are_unsupported(monkeypatch, pt_data):
    def edit(nets):
        nets["G_ema"].classes.add("SynthesisInput")  # a StyleGAN3 module

    with pytest.raises(UnsupportedNetworkError, match="SynthesisInput.*StyleGAN3"):
        _convert_modified(monkeypatch, pt_data, edit)


def test_tf1_missing_and_unknown_variables_are_listed(tmp_path):
    nets = tf1_networks(drop=("synthesis/8x8/Conv1/mod_bias",),
                        extra={"Gs": {"synthesis/8x8/Conv2/weight": np.zeros([3, 3, 16, 16])}})
    path = tmp_path / "tf1.pkl"
    write_tf1_pickle(path, nets)
    with pytest.raises(ConversionError) as err:
        convert_pickle(path, log=lambda *a: None)
    message = str(err.value)
    assert "missing TF variables: synthesis/8x8/Conv1/mod_bias" in message
    assert "G (tf1 Generator)" in message


def test_tf1_unknown_variables_and_kwargs_are_listed(tmp_path):
    nets = tf1_networks(extra={"G": {"synthesis/8x8/Conv2/weight": np.zeros([3, 3, 16, 16])}})
    write_tf1_pickle(tmp_path / "a.pkl", nets)
    with pytest.raises(ConversionError, match="unknown TF variables: synthesis/8x8/Conv2/weight"):
        convert_pickle(tmp_path / "a.pkl", log=lambda *a: None)
    nets = tf1_networks()
    nets["D"][0]["use_spectral_norm"] = True
    write_tf1_pickle(tmp_path / "b.pkl", nets)
    with pytest.raises(ConversionError, match="unknown static kwargs use_spectral_norm=True"):
        convert_pickle(tmp_path / "b.pkl", log=lambda *a: None)
