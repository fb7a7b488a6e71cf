"""The restricted unpickler constructs only allow-listed types and never runs pickled code."""

import os
import pickle

import numpy as np
import pytest

from pickle_builders import FIXTURES, write_malicious_pickle
from tfgan_fs.convert import (ConversionError, PickleRefusedError, convert_pickle,
                              read_network_pickle)
from tfgan_fs.convert.network_pickle import network_globals
from tfgan_fs.convert.restricted_unpickler import restricted_loads


def test_malicious_pickle_is_refused_and_never_runs(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pkl"
    write_malicious_pickle(path, marker)
    with pytest.raises(PickleRefusedError, match=r"refusing to load global '(posix|os)\.system'"):
        convert_pickle(path, log=lambda *a: None)
    assert not marker.exists()


def test_unlisted_globals_are_refused():
    for payload in (pickle.dumps(eval), pickle.dumps(os.getcwd),
                    b"\x80\x02ctorch_utils.persistence\n_src_to_module\nq\x00."):
        with pytest.raises(PickleRefusedError, match="refusing to load global"):
            restricted_loads(payload, network_globals())


def test_object_arrays_are_refused():
    payload = pickle.dumps(np.array([print, 1], dtype=object))
    with pytest.raises(PickleRefusedError):
        np.asarray(restricted_loads(payload, network_globals()))


@pytest.mark.parametrize("legacy_names", [False, True])
def test_numpy_arrays_and_scalars_round_trip(legacy_names):
    value = {"a": np.arange(12, dtype=np.float32).reshape(3, 4).T, "b": np.float64(0.5),
             "c": np.array([1, 2], dtype=">i4")}
    payload = pickle.dumps(value, protocol=2)
    if legacy_names:  # as written by numpy 1.x (the TF1 pickles' era)
        payload = payload.replace(b"numpy._core.multiarray\n", b"numpy.core.multiarray\n")
        assert b"numpy.core.multiarray\n" in payload
    out = restricted_loads(payload, network_globals())
    np.testing.assert_array_equal(np.asarray(out["a"]), value["a"])
    np.testing.assert_array_equal(np.asarray(out["c"]), value["c"])
    assert out["b"] == 0.5 and isinstance(out["b"], float)


def test_official_pickle_contents_without_torch():
    data = read_network_pickle(os.path.join(FIXTURES, "pt_uncond32.pkl"))
    assert data.format == "pytorch"
    G = data.networks["G_ema"]
    assert G.class_name == "Generator" and G.kwargs["z_dim"] == 24
    assert G.params["synthesis.b4.const"].shape == (16, 4, 4)  # OIHW-era layouts, as pickled
    assert G.params["synthesis.b8.conv0.weight"].shape == (16, 16, 3, 3)
    assert data.info["training_set_kwargs"]["resolution"] == 32


def test_not_a_pickle_and_missing_file(tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(ConversionError, match="is not a pickle"):
        read_network_pickle(text)
    with pytest.raises(ConversionError, match="does not exist"):
        read_network_pickle(tmp_path / "nope.pkl")
    truncated = tmp_path / "cut.pkl"
    truncated.write_bytes(open(os.path.join(FIXTURES, "pt_cond16.pkl"), "rb").read()[:5000])
    with pytest.raises(ConversionError, match="not a readable network pickle"):
        read_network_pickle(truncated)


def test_tensor_views_must_stay_inside_their_storage():
    from tfgan_fs.convert.torch_tensors import Storage, StorageType, rebuild_tensor_v2

    storage = Storage(StorageType("FloatStorage"), 6)
    storage.array = np.arange(6, dtype=np.float32)
    np.testing.assert_array_equal(rebuild_tensor_v2(storage, 1, (2, 2), (1, 2)),
                                  [[1, 3], [2, 4]])
    with pytest.raises(PickleRefusedError, match="reads past its storage"):
        rebuild_tensor_v2(storage, 2, (2, 3), (3, 1))
    with pytest.raises(PickleRefusedError, match="bad tensor geometry"):
        rebuild_tensor_v2(storage, 0, (2,), (-1,))
