"""Training straight from an image folder: listing, labels, channels and size checks."""

import os

import numpy as np
import pytest
import tensorflow as tf
from data_fixtures import random_images
from data_fixtures import save_image
from data_fixtures import write_labels_json

from tfgan_fs.data import DatasetError
from tfgan_fs.data import open_dataset
from tfgan_fs.data.image_folder import ImageFolderData


def test_recursive_sorted_listing_with_mixed_formats(tmp_path):
    images = random_images(3, size=16)
    save_image(str(tmp_path / "ds" / "b" / "x.png"), images[1])
    save_image(str(tmp_path / "ds" / "a.png"), images[0])
    save_image(str(tmp_path / "ds" / "c.bmp"), images[2])
    (tmp_path / "ds" / "readme.txt").write_text("not an image")
    data = open_dataset(str(tmp_path / "ds"))
    assert isinstance(data, ImageFolderData)
    info = data.info
    assert (info.name, info.resolution, info.channels, info.count, info.num_classes) == (
        "ds", 16, 3, 3, 0)
    got, labels = data.load_images(3)
    np.testing.assert_array_equal(got, images)  # a.png, b/x.png, c.bmp
    np.testing.assert_array_equal(labels, -1)


def test_nvlabs_labels(tmp_path):
    images = random_images(4)
    for i, image in enumerate(images):
        save_image(str(tmp_path / "ds" / "00000" / f"img{i:08d}.png"), image)
    write_labels_json(str(tmp_path / "ds"),
                      [(f"00000/img{i:08d}.png", c) for i, c in enumerate([1, 0, 1, 1])])
    data = open_dataset(str(tmp_path / "ds"))
    assert data.info.class_names == ("0", "1") and data.info.label_counts == (1, 3)
    x, y = next(iter(data.make_dataset(4, use_labels=True, seed=0)))
    order = [int(np.nonzero([np.array_equal(a, b) for b in images])[0][0]) for a in x.numpy()]
    np.testing.assert_array_equal(y.numpy(), np.eye(2)[np.array([1, 0, 1, 1])[order]])
    np.testing.assert_allclose(data.label_distribution(), [0.25, 0.75])


def test_missing_label_is_an_error(tmp_path):
    for i, image in enumerate(random_images(2)):
        save_image(str(tmp_path / "ds" / f"{i}.png"), image)
    write_labels_json(str(tmp_path / "ds"), [("0.png", 0)])
    with pytest.raises(DatasetError, match=r"image 1\.png has no label"):
        open_dataset(str(tmp_path / "ds"))


def test_grayscale_folder_converts_stray_rgb(tmp_path):
    gray = random_images(1, channels=1)[0]
    save_image(str(tmp_path / "ds" / "0.png"), gray)
    save_image(str(tmp_path / "ds" / "1.png"), np.repeat(gray, 3, axis=2))
    data = open_dataset(str(tmp_path / "ds"))
    assert data.info.channels == 1
    x, _ = next(iter(data.make_dataset(2)))
    np.testing.assert_array_equal(x.numpy(), np.stack([gray, gray]))


def test_size_mismatch_fails_in_pipeline_naming_the_file(tmp_path):
    save_image(str(tmp_path / "ds" / "0.png"), random_images(1)[0])
    save_image(str(tmp_path / "ds" / "1.png"), random_images(1, size=16)[0])
    data = open_dataset(str(tmp_path / "ds"))  # Only the first image is checked here.
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"1\.png"):
        for _ in data.make_dataset(1).take(2):
            pass


@pytest.mark.parametrize("shape, match", [((8, 16, 3), "is 16x8"), ((12, 12, 3), "is 12x12")])
def test_first_image_must_be_square_power_of_two(tmp_path, shape, match):
    save_image(str(tmp_path / "ds" / "0.png"), np.zeros(shape))
    with pytest.raises(DatasetError, match=rf"0\.png: image {match}, but training from a "
                                           rf"folder needs square power-of-two"):
        open_dataset(str(tmp_path / "ds"))


def test_empty_and_corrupt(tmp_path):
    os.makedirs(tmp_path / "empty")
    with pytest.raises(DatasetError, match="empty: no images found"):
        open_dataset(str(tmp_path / "empty"))
    os.makedirs(tmp_path / "bad")
    (tmp_path / "bad" / "0.png").write_bytes(b"garbage")
    with pytest.raises(DatasetError, match=r"0\.png: cannot read image"):
        open_dataset(str(tmp_path / "bad"))
