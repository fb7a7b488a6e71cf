"""DatasetInfo validation and dataset.json reading/writing."""

import json
import os

import pytest

from tfgan_fs.data.dataset_info import DatasetError
from tfgan_fs.data.dataset_info import DatasetInfo
from tfgan_fs.data.dataset_info import TFRecordLayout
from tfgan_fs.data.dataset_info import read_dataset_json
from tfgan_fs.data.dataset_info import write_dataset_json


def make_layout():
    info = DatasetInfo(name="ds", resolution=16, channels=3, count=5, num_classes=2,
                       class_names=["a", "b"], label_counts=[2, 3])
    return TFRecordLayout(info=info, shards=("shard-00000-of-00001.tfrecord",),
                          encoding="png", images_per_shard=1024)


def test_round_trip(tmp_path):
    directory = tmp_path / "ds"
    os.makedirs(directory)
    layout = make_layout()
    assert layout.info.class_names == ("a", "b")  # Lists are stored as tuples.
    write_dataset_json(str(directory), layout)
    assert read_dataset_json(str(directory)) == layout
    assert issubclass(DatasetError, ValueError)


def test_name_is_directory_name(tmp_path):
    directory = tmp_path / "renamed"
    os.makedirs(directory)
    write_dataset_json(str(directory), make_layout())
    assert read_dataset_json(str(directory)).info.name == "renamed"


def write_meta(tmp_path, **changes):
    directory = tmp_path / "ds"
    os.makedirs(directory, exist_ok=True)
    write_dataset_json(str(directory), make_layout())
    meta = json.load(open(directory / "dataset.json"))
    meta.update(changes)
    for key, value in changes.items():
        if value is ...:
            del meta[key]
    (directory / "dataset.json").write_text(json.dumps(meta))
    return str(directory)


@pytest.mark.parametrize("changes, match", [
    (dict(format="other"), r"'format' must be 'tfgan_fs-tfrecord-v1'"),
    (dict(resolution=...), r"missing key 'resolution'"),
    (dict(resolution=12), r"'resolution' must be a power-of-two integer, got 12"),
    (dict(channels=4), r"'channels' must be 1 or 3"),
    (dict(count=0), r"'count' must be a positive integer"),
    (dict(shards=[]), r"'shards' must be a non-empty list"),
    (dict(shards=["../x.tfrecord"]), r"'shards' must be a non-empty list of file names"),
    (dict(encoding="jpeg"), r"'encoding' must be one of"),
    (dict(label_counts=[1, 1]), r"label_counts sum to 2 but count is 5"),
    (dict(class_names=["a"]), r"class_names has 1 entries but num_classes is 2"),
])
def test_malformed(tmp_path, changes, match):
    directory = write_meta(tmp_path, **changes)
    with pytest.raises(DatasetError, match=match) as e:
        read_dataset_json(directory)
    assert os.path.join(directory, "dataset.json") in str(e.value)


def test_missing_and_not_json(tmp_path):
    with pytest.raises(DatasetError, match=r"ds.dataset\.json: file not found"):
        read_dataset_json(str(tmp_path / "ds"))
    os.makedirs(tmp_path / "ds")
    (tmp_path / "ds" / "dataset.json").write_text("{not json")
    with pytest.raises(DatasetError, match=r"ds.dataset\.json: cannot read as JSON"):
        read_dataset_json(str(tmp_path / "ds"))


def test_info_validation():
    with pytest.raises(DatasetError, match="channels must be 1 or 3"):
        DatasetInfo(name="x", resolution=8, channels=4, count=1)
    with pytest.raises(DatasetError, match="class_names is required"):
        DatasetInfo(name="x", resolution=8, channels=3, count=1, num_classes=2)
    info = DatasetInfo(name="x", resolution=8, channels=1, count=3)
    assert info.shape == (8, 8, 1) and not info.labeled
