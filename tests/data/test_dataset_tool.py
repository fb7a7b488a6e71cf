"""convert_dataset: sources, labels, transforms, filters, encodings and every error case."""

import json
import os
import zipfile

import numpy as np
import pytest
from data_fixtures import listdir_sorted
from data_fixtures import random_images
from data_fixtures import save_image
from data_fixtures import write_labels_json

from tfgan_fs.data import DatasetError
from tfgan_fs.data import convert_dataset
from tfgan_fs.data import open_dataset
from tfgan_fs.data.tfrecord_data import TFRecordData


def convert(source, dest, **kwargs):
    return convert_dataset(str(source), str(dest), progress=False, **kwargs)


def read_back(dest):
    data = TFRecordData(str(dest))
    return data.load_images(data.info.count)


def zip_folder(root, zip_path):
    with zipfile.ZipFile(zip_path, "w") as z:
        for dirpath, _, filenames in os.walk(root):
            for filename in filenames:
                path = os.path.join(dirpath, filename)
                z.write(path, os.path.relpath(path, root).replace(os.sep, "/"))
    return str(zip_path)


# -- Successful conversions ------------------------------------------------------------------


def test_folder_unlabeled(rgb_folder, tmp_path):
    root, images = rgb_folder
    info = convert(root, tmp_path / "out")
    assert (info.name, info.resolution, info.channels, info.count) == ("out", 8, 3, 6)
    assert (info.num_classes, info.class_names, info.label_counts) == (0, None, None)
    got, labels = read_back(tmp_path / "out")
    np.testing.assert_array_equal(got, images)
    np.testing.assert_array_equal(labels, -1)
    meta = json.load(open(tmp_path / "out" / "dataset.json"))
    assert meta["format"] == "tfgan_fs-tfrecord-v1"
    assert meta["shards"] == ["shard-00000-of-00001.tfrecord"]
    assert meta["encoding"] == "png"
    assert listdir_sorted(tmp_path) == ["out", "src"]  # No temporary directory left.
    assert open_dataset(str(tmp_path / "out")).info == info


def test_zip_source_matches_folder(class_folder, tmp_path):
    root, images, labels = class_folder
    write_labels_json(root, [("bird/a.png", 2), ("bird/b.png", 0), ("bird/sub/c.png", 1),
                             ("cat/a.png", 0), ("cat/b.png", 2)])
    archive = zip_folder(root, tmp_path / "src.zip")
    info = convert(archive, tmp_path / "out")
    assert info.count == 5 and info.class_names == ("0", "1", "2")
    assert info.label_counts == (2, 1, 2)
    got, got_labels = read_back(tmp_path / "out")
    np.testing.assert_array_equal(got, images)
    np.testing.assert_array_equal(got_labels, [2, 0, 1, 0, 2])


def test_json_labels_from_folder(rgb_folder, tmp_path):
    root, _ = rgb_folder
    write_labels_json(root, [(f"img{i}.png", i % 3) for i in range(6)])
    info = convert(root, tmp_path / "out", labels="json")
    assert (info.num_classes, info.class_names, info.label_counts) == (3, ("0", "1", "2"),
                                                                       (2, 2, 2))
    np.testing.assert_array_equal(read_back(tmp_path / "out")[1], [0, 1, 2, 0, 1, 2])
    # 'none' ignores the labels file.
    assert convert(root, tmp_path / "out2", labels="none").num_classes == 0


def test_folder_labels(class_folder, tmp_path):
    root, images, labels = class_folder
    info = convert(root, tmp_path / "out", labels="folders")
    assert info.class_names == ("bird", "cat") and info.label_counts == (3, 2)
    got, got_labels = read_back(tmp_path / "out")
    np.testing.assert_array_equal(got, images)
    np.testing.assert_array_equal(got_labels, labels)


def test_auto_labels_without_json_is_unlabeled(class_folder, tmp_path):
    root, _, _ = class_folder
    assert convert(root, tmp_path / "out").num_classes == 0


def test_max_images_takes_first_in_sorted_order(rgb_folder, tmp_path):
    root, images = rgb_folder
    info = convert(root, tmp_path / "out", max_images=4)
    assert info.count == 4
    np.testing.assert_array_equal(read_back(tmp_path / "out")[0], images[:4])


def test_sharding_and_raw_encoding(rgb_folder, tmp_path):
    root, images = rgb_folder
    info = convert(root, tmp_path / "out", images_per_shard=4, encoding="raw")
    meta = json.load(open(tmp_path / "out" / "dataset.json"))
    assert meta["shards"] == ["shard-00000-of-00002.tfrecord", "shard-00001-of-00002.tfrecord"]
    assert meta["encoding"] == "raw" and meta["images_per_shard"] == 4
    assert listdir_sorted(tmp_path / "out") == ["dataset.json"] + meta["shards"]
    np.testing.assert_array_equal(read_back(tmp_path / "out")[0], images)
    got, _ = TFRecordData(str(tmp_path / "out")).load_images(3, start=3)  # Crosses a shard.
    np.testing.assert_array_equal(got, images[3:6])
    assert info.count == 6


def test_center_crop_keeps_centre(tmp_path):
    image = np.zeros((8, 12, 3), np.uint8)  # 12 wide, 8 high: the centre square is cols 2..9.
    image[:, 2:10] = (10, 200, 30)
    save_image(str(tmp_path / "src" / "a.png"), image)
    convert(tmp_path / "src", tmp_path / "keep", transform="center-crop")
    np.testing.assert_array_equal(read_back(tmp_path / "keep")[0][0], image[:, 2:10])
    for resize_filter in ("box", "lanczos"):
        dest = tmp_path / f"small-{resize_filter}"
        info = convert(tmp_path / "src", dest, transform="center-crop", resolution=4,
                       resize_filter=resize_filter)
        assert info.resolution == 4
        np.testing.assert_array_equal(read_back(dest)[0][0], np.full((4, 4, 3), (10, 200, 30)))


def test_center_crop_wide_drops_small_images(tmp_path):
    big = random_images(2, size=16)
    save_image(str(tmp_path / "src" / "a.png"), big[0][:8])  # 16 wide, 8 high: too small.
    save_image(str(tmp_path / "src" / "b.png"), big[1])
    info = convert(tmp_path / "src", tmp_path / "wide", transform="center-crop-wide",
                   resolution=16)
    assert info.count == 1
    np.testing.assert_array_equal(read_back(tmp_path / "wide")[0][0], big[1])
    info = convert(tmp_path / "src", tmp_path / "wide8", transform="center-crop-wide",
                   resolution=8, resize_filter="box")
    crop = convert(tmp_path / "src", tmp_path / "crop8", transform="center-crop",
                   resolution=8, resize_filter="box")
    assert info.count == crop.count == 2  # For square targets it equals center-crop.
    np.testing.assert_array_equal(read_back(tmp_path / "wide8")[0],
                                  read_back(tmp_path / "crop8")[0])


def test_box_filter_values(tmp_path):
    blocks = ((np.arange(16) // 2)[:, None] + (np.arange(16) // 2)[None, :]) % 2 * 255
    pixels = (np.arange(16)[:, None] + np.arange(16)[None, :]) % 2 * 255
    save_image(str(tmp_path / "src" / "blocks.png"), blocks)
    save_image(str(tmp_path / "src" / "pixels.png"), pixels)
    info = convert(tmp_path / "src", tmp_path / "out", transform="center-crop", resolution=8,
                   resize_filter="box")
    assert info.channels == 1
    got = read_back(tmp_path / "out")[0][..., 0]
    np.testing.assert_array_equal(got[0], blocks[::2, ::2])  # 2x2 blocks -> 1 px checkerboard.
    assert set(np.unique(got[1])) <= {127, 128}  # 1 px checkerboard averages to grey.


def test_lanczos_keeps_constant_image(tmp_path):
    save_image(str(tmp_path / "src" / "a.png"), np.full((32, 32, 3), 77))
    convert(tmp_path / "src", tmp_path / "out", transform="center-crop", resolution=8)
    np.testing.assert_array_equal(read_back(tmp_path / "out")[0], 77)


def test_channel_conversion(tmp_path):
    gray = random_images(1, channels=1)[0]
    rgb = random_images(1, seed=3)[0]
    rgba = random_images(1, channels=4, seed=4)[0]
    save_image(str(tmp_path / "src" / "a.png"), gray)
    save_image(str(tmp_path / "src" / "b.png"), rgb)
    save_image(str(tmp_path / "src" / "c.png"), rgba)
    info = convert(tmp_path / "src", tmp_path / "rgb", channels=3)
    got = read_back(tmp_path / "rgb")[0]
    assert info.channels == 3 and got.shape == (3, 8, 8, 3)
    np.testing.assert_array_equal(got[0], np.repeat(gray, 3, axis=2))
    np.testing.assert_array_equal(got[2], rgba[..., :3])
    info = convert(tmp_path / "src", tmp_path / "gray", channels=1)
    got = read_back(tmp_path / "gray")[0]
    assert info.channels == 1 and got.shape == (3, 8, 8, 1)
    np.testing.assert_array_equal(got[0], gray)


def test_grayscale_dataset_auto(tmp_path):
    images = random_images(3, channels=1)
    for i, image in enumerate(images):
        save_image(str(tmp_path / "src" / f"{i}.png"), image)
    assert convert(tmp_path / "src", tmp_path / "out").channels == 1
    np.testing.assert_array_equal(read_back(tmp_path / "out")[0], images)


def test_empty_existing_dest_is_fine(rgb_folder, tmp_path):
    os.makedirs(tmp_path / "out")
    assert convert(rgb_folder[0], tmp_path / "out").count == 6


# -- Errors: the message names the culprit and nothing is left behind -------------------------


def check_error(tmp_path, source, match, **kwargs):
    before = listdir_sorted(tmp_path)
    with pytest.raises(DatasetError, match=match):
        convert(source, tmp_path / "out", **kwargs)
    assert listdir_sorted(tmp_path) == before  # Neither dest nor a temporary directory.


def test_missing_source(tmp_path):
    check_error(tmp_path, tmp_path / "nope", "nope: no such file")


def test_empty_source(tmp_path):
    os.makedirs(tmp_path / "src")
    (tmp_path / "src" / "notes.txt").write_text("hi")
    check_error(tmp_path, tmp_path / "src", "src: no images found")


def test_corrupt_image(rgb_folder, tmp_path):
    (tmp_path / "src" / "img9.png").write_bytes(b"this is not a png")  # Last: after writes.
    check_error(tmp_path, rgb_folder[0], r"img9\.png: cannot read image")


def test_rgba_in_rgb_set(rgb_folder, tmp_path):
    save_image(str(tmp_path / "src" / "img3.png"), random_images(1, channels=4)[0])
    check_error(tmp_path, rgb_folder[0], r"img3\.png: image mode RGBA but expected RGB")


def test_grayscale_in_rgb_set(rgb_folder, tmp_path):
    save_image(str(tmp_path / "src" / "img5.png"), random_images(1, channels=1)[0])
    check_error(tmp_path, rgb_folder[0], r"img5\.png: image mode L but expected RGB")


def test_first_image_rgba(tmp_path):
    save_image(str(tmp_path / "src" / "a.png"), random_images(1, channels=4)[0])
    check_error(tmp_path, tmp_path / "src", r"a\.png: image mode RGBA is not supported")


def test_non_square_with_transform_none(rgb_folder, tmp_path):
    save_image(str(tmp_path / "src" / "img2.png"), np.zeros((8, 16, 3)))
    check_error(tmp_path, rgb_folder[0], r"img2\.png: image is 16x8, but images must be square")


def test_non_power_of_two(tmp_path):
    save_image(str(tmp_path / "src" / "a.png"), np.zeros((12, 12, 3)))
    check_error(tmp_path, tmp_path / "src", r"a\.png: .*power of two")
    check_error(tmp_path, tmp_path / "src", r"a\.png: .*after --transform=center-crop.*power",
                transform="center-crop")


def test_size_mismatch(rgb_folder, tmp_path):
    save_image(str(tmp_path / "src" / "img4.png"), np.zeros((16, 16, 3)))
    check_error(tmp_path, rgb_folder[0], r"img4\.png: image is 16x16, but the first image "
                                         r".*img0\.png is 8x8")
    check_error(tmp_path, rgb_folder[0], r"img0\.png: image is 8x8, not 16x16", resolution=16)


def test_dest_not_empty(rgb_folder, tmp_path):
    os.makedirs(tmp_path / "out")
    (tmp_path / "out" / "keep.txt").write_text("mine")
    with pytest.raises(DatasetError, match=r"out already exists and is not empty"):
        convert(rgb_folder[0], tmp_path / "out")
    assert listdir_sorted(tmp_path / "out") == ["keep.txt"]
    assert listdir_sorted(tmp_path) == ["out", "src"]


def test_json_label_missing(rgb_folder, tmp_path):
    write_labels_json(rgb_folder[0], [(f"img{i}.png", 0) for i in range(6) if i != 4])
    check_error(tmp_path, rgb_folder[0], r"image img4\.png has no label in .*dataset\.json",
                labels="json")
    check_error(tmp_path, rgb_folder[0], r"image img4\.png has no label")  # labels='auto'


def test_json_labels_required(rgb_folder, tmp_path):
    check_error(tmp_path, rgb_folder[0], r"--labels=json but .*dataset\.json is missing",
                labels="json")


def test_bad_label_entry(rgb_folder, tmp_path):
    write_labels_json(rgb_folder[0], [("img0.png", "cat")])
    check_error(tmp_path, rgb_folder[0], r"dataset\.json: bad label entry")


def test_folder_labels_need_class_folders(rgb_folder, tmp_path):
    check_error(tmp_path, rgb_folder[0], r"image img0\.png .* not inside a class folder",
                labels="folders")


@pytest.mark.parametrize("kwargs, match", [
    (dict(resolution=12), r"--resolution=12"),
    (dict(transform="stretch"), r"--transform=stretch"),
    (dict(transform="center-crop-wide"), r"center-crop-wide needs --resolution"),
    (dict(resize_filter="bicubic"), r"--resize_filter=bicubic"),
    (dict(labels="csv"), r"--labels=csv"),
    (dict(max_images=0), r"--max_images=0"),
    (dict(channels=4), r"--channels=4"),
    (dict(encoding="jpeg"), r"--encoding=jpeg"),
])
def test_bad_options(rgb_folder, tmp_path, kwargs, match):
    check_error(tmp_path, rgb_folder[0], match, **kwargs)


def test_not_a_zip(tmp_path):
    (tmp_path / "images.tar").write_bytes(b"x")
    check_error(tmp_path, tmp_path / "images.tar", r"images\.tar: expected a directory or a "
                                                   r"\.zip")
    (tmp_path / "bad.zip").write_bytes(b"x")
    check_error(tmp_path, tmp_path / "bad.zip", r"bad\.zip: cannot open as a zip")
