"""The training stream: per-epoch permutations, determinism, exact resume, mirroring, labels.

Every property is checked on all three kinds of source: a converted TFRecord dataset (also with
a shuffle window smaller than the dataset), a plain image folder and in-memory arrays.
"""

import os
import shutil

import numpy as np
import pytest
import tensorflow as tf
from data_fixtures import random_images
from data_fixtures import save_image
from data_fixtures import write_labels_json

from tfgan_fs.data import DatasetError
from tfgan_fs.data import convert_dataset
from tfgan_fs.data import open_dataset
from tfgan_fs.data.array_data import ArrayData
from tfgan_fs.data.dataset_info import DatasetInfo
from tfgan_fs.data.tfrecord_data import TFRecordData

N = 10
LABELS = np.array([0, 1, 2, 0, 1, 2, 0, 1, 2, 2])
KINDS = ["tfrecord", "tfrecord-window4", "folder", "array"]


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    """10 distinct random 8x8 RGB images with 3 classes, as a folder and a converted dataset."""
    tmp = tmp_path_factory.mktemp("pipeline")
    images = random_images(N, seed=7)
    root = str(tmp / "src")
    for i, image in enumerate(images):
        save_image(os.path.join(root, f"{i:02d}.png"), image)
    write_labels_json(root, [(f"{i:02d}.png", int(c)) for i, c in enumerate(LABELS)])
    convert_dataset(root, str(tmp / "tfr"), images_per_shard=3, progress=False)
    return tmp, images


def open_kind(source, kind):
    tmp, images = source
    if kind == "tfrecord":
        return open_dataset(str(tmp / "tfr"))
    if kind == "tfrecord-window4":
        return TFRecordData(str(tmp / "tfr"), shuffle_window=4, cycle_length=2)
    if kind == "folder":
        return open_dataset(str(tmp / "src"))
    info = DatasetInfo(name="arr", resolution=8, channels=3, count=N, num_classes=3,
                       class_names=("0", "1", "2"), label_counts=(3, 3, 4))
    return ArrayData(info, images, LABELS)


def take(data, num_images, batch_size=1, **kwargs):
    """The first `num_images` (images, labels) of the stream, flattened over batches."""
    ds = data.make_dataset(batch_size, **kwargs).take(-(-num_images // batch_size))
    xs, ys = zip(*ds.as_numpy_iterator())
    return np.concatenate(xs)[:num_images], np.concatenate(ys)[:num_images]


def identify(stream, images):
    """Maps each streamed image to (source index, flipped?)."""
    lookup = {}
    for i, image in enumerate(images):
        lookup[image.tobytes()] = (i, False)
        lookup[np.flip(image, axis=1).tobytes()] = (i, True)
    return [lookup[x.tobytes()] for x in stream]


@pytest.mark.parametrize("kind", KINDS)
def test_epochs_are_permutations_with_correct_labels(source, kind):
    data = open_kind(source, kind)
    assert data.info.count == N and data.info.num_classes == 3
    x, y = take(data, 3 * N, batch_size=5, seed=3, use_labels=True)
    assert x.dtype == np.uint8 and x.shape == (3 * N, 8, 8, 3)
    assert y.dtype == np.float32 and y.shape == (3 * N, 3)
    ids = [i for i, flipped in identify(x, source[1]) if not flipped]
    assert len(ids) == 3 * N
    epochs = [ids[e * N:(e + 1) * N] for e in range(3)]
    for epoch in epochs:
        assert sorted(epoch) == list(range(N))
    assert epochs[0] != epochs[1] != epochs[2]
    np.testing.assert_array_equal(y, np.eye(3)[LABELS[ids]])


@pytest.mark.parametrize("kind", KINDS)
def test_same_seed_same_stream_other_seed_differs(source, kind):
    data = open_kind(source, kind)
    a, _ = take(data, 12, batch_size=4, seed=5, mirror=True)
    b, _ = take(open_kind(source, kind), 12, batch_size=4, seed=5, mirror=True)
    c, _ = take(data, 12, batch_size=4, seed=6, mirror=True)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


@pytest.mark.parametrize("kind", KINDS)
def test_resume_is_exact(source, kind):
    data = open_kind(source, kind)
    full, _ = take(data, 40, batch_size=3, seed=11, mirror=True)
    for k in (4, 13, 20):  # Not multiples of the batch size; 13 and 20 lie in epoch 1 and 2.
        tail, _ = take(data, 40 - k, batch_size=3, seed=11, mirror=True, start_image=k)
        np.testing.assert_array_equal(tail, full[k:], err_msg=f"start_image={k}")


@pytest.mark.parametrize("kind", ["tfrecord", "array"])
def test_mirror_flips_about_half(source, kind):
    data = open_kind(source, kind)
    ids = identify(take(data, 100, batch_size=10, seed=2, mirror=True)[0], source[1])
    flipped = sum(f for _, f in ids)
    assert 30 <= flipped <= 70
    for e in range(10):  # Mirroring does not change which images an epoch visits.
        assert sorted(i for i, _ in ids[e * N:(e + 1) * N]) == list(range(N))
    plain = identify(take(data, 20, seed=2)[0], source[1])
    assert not any(f for _, f in plain)


@pytest.mark.parametrize("kind", KINDS)
def test_max_images(source, kind):
    data = open_kind(source, kind)
    ids = [i for i, _ in identify(take(data, 12, batch_size=2, max_images=4)[0], source[1])]
    assert sorted(ids[:4]) == sorted(ids[4:8]) == [0, 1, 2, 3]
    for bad in (0, N + 1):
        with pytest.raises(DatasetError, match=f"--max_images={bad} must be between 1 and"):
            data.make_dataset(2, max_images=bad)


def test_unlabeled_has_empty_labels_and_rejects_cond(tmp_path):
    images = random_images(4)
    for i, image in enumerate(images):
        save_image(str(tmp_path / "plain" / f"{i}.png"), image)
    data = open_dataset(str(tmp_path / "plain"))
    x, y = next(iter(data.make_dataset(2)))
    assert x.shape == (2, 8, 8, 3) and y.shape == (2, 0) and y.dtype == tf.float32
    with pytest.raises(DatasetError, match="--cond needs labels, but dataset plain has none"):
        data.make_dataset(2, use_labels=True)
    assert data.label_distribution().shape == (0,)


@pytest.mark.parametrize("kind", KINDS)
def test_label_distribution(source, kind):
    data = open_kind(source, kind)
    np.testing.assert_allclose(data.label_distribution(), [0.3, 0.3, 0.4])
    np.testing.assert_allclose(data.label_distribution(max_images=4), [0.5, 0.25, 0.25])
    assert data.label_distribution().dtype == np.float32


@pytest.mark.parametrize("kind", KINDS)
def test_load_images_in_dataset_order(source, kind):
    data = open_kind(source, kind)
    images, labels = data.load_images(4, start=5)
    np.testing.assert_array_equal(images, source[1][5:9])
    np.testing.assert_array_equal(labels, LABELS[5:9])
    with pytest.raises(DatasetError, match="cannot load images"):
        data.load_images(3, start=8)


def test_batches_have_static_shape(source):
    ds = open_kind(source, "tfrecord").make_dataset(4, use_labels=True)
    assert ds.element_spec[0].shape == (4, 8, 8, 3)
    assert ds.element_spec[1].shape == (4, 3)


def test_bad_arguments(source):
    data = open_kind(source, "array")
    with pytest.raises(DatasetError, match="batch_size"):
        data.make_dataset(0)
    with pytest.raises(DatasetError, match="start_image"):
        data.make_dataset(2, start_image=-1)


@pytest.mark.parametrize("spec", ["", "nope/missing", "builtin:nope"])
def test_open_dataset_unknown(tmp_path, spec):
    spec = spec if not spec.startswith("nope") else str(tmp_path / spec)
    with pytest.raises(DatasetError) as e:
        open_dataset(spec)
    assert "builtin:" in str(e.value)
    if spec and not spec.startswith("builtin:"):
        assert "tools/dataset_tool.py" in str(e.value) and spec in str(e.value)


def test_open_dataset_zip_file_hint(tmp_path):
    (tmp_path / "faces.zip").write_bytes(b"")
    with pytest.raises(DatasetError, match="convert archives with tools/dataset_tool.py"):
        open_dataset(str(tmp_path / "faces.zip"))


def test_tfrecord_missing_shard(source, tmp_path):
    shutil.copytree(source[0] / "tfr", tmp_path / "tfr")
    os.remove(tmp_path / "tfr" / "shard-00002-of-00004.tfrecord")
    with pytest.raises(DatasetError, match=r"shard-00002-of-00004\.tfrecord: shard listed in"):
        open_dataset(str(tmp_path / "tfr"))


@pytest.mark.parametrize("kind", KINDS)
def test_ordered_dataset_reads_each_image_once_in_dataset_order(source, kind):
    data = open_kind(source, kind)
    batches = list(data.ordered_dataset(3, max_images=7).as_numpy_iterator())
    assert [len(b[0]) for b in batches] == [3, 3, 1]
    np.testing.assert_array_equal(np.concatenate([b[0] for b in batches]), source[1][:7])
    np.testing.assert_array_equal(np.concatenate([b[1] for b in batches]), LABELS[:7])


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("pipelines,replicas", [(1, 2), (2, 2), (2, 4)])
def test_shards_reassemble_the_global_batch(source, kind, pipelines, replicas):
    """Per-replica batches of all input pipelines, in replica order, are the global batch."""
    data = open_kind(source, kind)
    batch, steps = 4, 5
    kwargs = dict(seed=3, mirror=True, use_labels=True, start_image=6)
    want_x, want_y = take(data, batch * steps, batch_size=batch, **kwargs)
    per_replica = batch // replicas
    shards = []
    for pipeline in range(pipelines):
        ds = data.make_dataset(batch, shard=(pipeline, pipelines, replicas), **kwargs)
        shards.append(list(ds.take(steps * replicas // pipelines).as_numpy_iterator()))
    local = replicas // pipelines
    for step in range(steps):
        for replica in range(replicas):
            x, y = shards[replica // local][step * local + replica % local]
            rows = slice(step * batch + replica * per_replica,
                         step * batch + (replica + 1) * per_replica)
            np.testing.assert_array_equal(x, want_x[rows])
            np.testing.assert_array_equal(y, want_y[rows])


def test_shard_rejects_bad_splits(source):
    data = open_kind(source, "array")
    with pytest.raises(DatasetError, match="not divisible by 3 replicas"):
        data.make_dataset(4, shard=(0, 1, 3))
    with pytest.raises(DatasetError, match="cannot be split over 2"):
        data.make_dataset(4, shard=(0, 2, 3))
    with pytest.raises(DatasetError, match="pipeline id 2"):
        data.make_dataset(4, shard=(2, 2, 2))
