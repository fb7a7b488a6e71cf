"""builtin:shapes: determinism, shapes and dtypes, class balance, looks, spec parsing."""

import numpy as np
import pytest

from tfgan_fs.data import DatasetError
from tfgan_fs.data import open_dataset
from tfgan_fs.data.builtin import SHAPE_CLASSES
from tfgan_fs.data.builtin import make_shapes
from tfgan_fs.data.builtin import parse_builtin_spec


def test_default_dataset():
    data = open_dataset("builtin:shapes")  # (its drawing time: benchmark.py --op=data)
    info = data.info
    assert (info.name, info.resolution, info.channels, info.count) == ("shapes32", 32, 3, 4096)
    assert info.class_names == SHAPE_CLASSES == ("circle", "square", "triangle", "ring")
    assert info.label_counts == (1024, 1024, 1024, 1024)
    images, labels = data.load_images(8)
    assert images.dtype == np.uint8 and images.shape == (8, 32, 32, 3)
    x, y = next(iter(data.make_dataset(8, use_labels=True, seed=1)))
    assert x.shape == (8, 32, 32, 3) and y.shape == (8, 4)
    np.testing.assert_allclose(data.label_distribution(), 0.25)


def test_deterministic():
    a_images, a_labels = make_shapes(16, 64)
    b_images, b_labels = make_shapes(16, 64)
    np.testing.assert_array_equal(a_images, b_images)
    np.testing.assert_array_equal(a_labels, b_labels)
    assert not np.array_equal(a_images, make_shapes(16, 64, seed=99)[0])


def test_images_look_like_shapes():
    images, labels = make_shapes(32, 200)
    assert images.shape == (200, 32, 32, 3) and labels.dtype == np.int64
    counts = np.bincount(labels, minlength=4)
    assert counts.min() >= 49 and counts.max() <= 51  # Balanced to within one image.
    brightest = images.max(axis=(1, 2, 3))
    assert (brightest >= 180).all()  # Saturated bright shapes...
    border = np.concatenate([images[:, 0], images[:, -1], images[:, :, 0], images[:, :, -1]], 1)
    assert np.median(border) < 90  # ... on a dark background (shapes rarely touch the border).
    # Anti-aliasing: some pixels lie strictly between the background and the shape colour.
    assert len(np.unique(images[0].reshape(-1, 3), axis=0)) > 10
    # Circles fill more of their bounding box than triangles: a crude class sanity check.
    bright = (images.max(axis=3) > 150)
    fill = []
    for c in range(4):
        ratios = []
        for m in bright[labels == c]:
            ys, xs = np.nonzero(m)
            if len(ys):
                ratios.append(m.sum() / ((np.ptp(ys) + 1) * (np.ptp(xs) + 1)))
        fill.append(np.mean(ratios))
    assert fill[0] > fill[2] and fill[0] > fill[3]  # circle vs triangle, circle vs ring


def test_spec_parsing():
    assert parse_builtin_spec("builtin:shapes") == ("shapes", {"resolution": 32, "count": 4096})
    assert parse_builtin_spec("builtin:shapes?resolution=64&count=2048") == (
        "shapes", {"resolution": 64, "count": 2048})
    data = open_dataset("builtin:shapes?resolution=16&count=20")
    assert (data.info.name, data.info.resolution, data.info.count) == ("shapes16-20", 16, 20)
    assert sum(data.info.label_counts) == 20


@pytest.mark.parametrize("spec, match", [
    ("builtin:circles", r"unknown built-in dataset 'circles' .*available: shapes"),
    ("builtin:shapes?size=32", r"bad option 'size=32'"),
    ("builtin:shapes?resolution", r"bad option 'resolution'"),
    ("builtin:shapes?resolution=abc", r"resolution='abc' .* is not an integer"),
    ("builtin:shapes?resolution=48", r"resolution=48 .* power of two between 16 and 256"),
    ("builtin:shapes?resolution=512", r"resolution=512"),
    ("builtin:shapes?resolution=8", r"resolution=8"),
    ("builtin:shapes?count=0", r"count=0 .* between 1 and"),
    ("builtin:shapes?count=5&count=6", r"option 'count' given twice"),
])
def test_bad_specs(spec, match):
    with pytest.raises(DatasetError, match=match):
        open_dataset(spec)
