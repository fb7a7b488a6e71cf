"""MissingWeightsError messages and the bad-file ValueError helper."""

import pytest

from tfgan_fs.metrics.weights import WEIGHTS
from tfgan_fs.metrics.weights import MissingWeightsError
from tfgan_fs.metrics.weights import bad_weights_error
from tfgan_fs.metrics.weights import check_exists
from tfgan_fs.metrics.weights import missing_weights_message

SOURCES = {
    "inception": "http://download.tensorflow.org/models/image/imagenet/inception-2015-12-05.tgz",
    "vgg16": "https://storage.googleapis.com/tensorflow/keras-applications/vgg16/"
             "vgg16_weights_tf_dim_ordering_tf_kernels.h5",
    "lpips": "tools/convert_lpips.py",
}


@pytest.mark.parametrize("name", sorted(WEIGHTS))
def test_missing_message_names_file_source_and_flag(name, tmp_path):
    info = WEIGHTS[name]
    given = str(tmp_path / "missing.file")
    for path in (None, given):
        message = missing_weights_message(name, path, metric="fid50k_full")
        assert info.filename in message and SOURCES[name] in message
        assert f"{info.flag}=PATH" in message and f"{info.argument}=PATH" in message
        assert f"${info.env}" in message and "fid50k_full" in message
        assert (given in message) == (path is not None)
    assert info.used_by in missing_weights_message(name)
    assert "--my_flag=PATH" in missing_weights_message(name, flag="--my_flag")
    with pytest.raises(MissingWeightsError, match=info.filename):
        check_exists(name, given)
    with pytest.raises(MissingWeightsError):
        check_exists(name, "")


def test_error_types(tmp_path):
    assert issubclass(MissingWeightsError, FileNotFoundError)
    existing = tmp_path / "x.pb"
    existing.write_bytes(b"")
    assert check_exists("inception", existing) == str(existing)
    err = bad_weights_error("inception", existing, "no node pool_3.")
    assert isinstance(err, ValueError) and not isinstance(err, FileNotFoundError)
    assert str(existing) in str(err) and "no node pool_3. Get the right file" in str(err)
    assert "classify_image_graph_def.pb" in str(err)
