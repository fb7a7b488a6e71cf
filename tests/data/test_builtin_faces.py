"""`builtin:faces`: procedural cartoon faces (deterministic, resolution-independent, with the
parts of a face where they belong)."""

import numpy as np

from tfgan_fs.data import open_dataset
from tfgan_fs.data.faces import _draw_params, make_faces


def test_dataset_info_and_determinism():
    data = open_dataset("builtin:faces?count=64")
    assert data.info.name == "faces32-64" and data.info.num_classes == 0
    images, labels = data.load_images(64)
    assert images.shape == (64, 32, 32, 3) and images.dtype == np.uint8
    np.testing.assert_array_equal(images, make_faces(32, 64))
    assert (labels == -1).all()  # unlabelled
    assert open_dataset("builtin:faces").info.count == 4096


def test_the_same_faces_at_every_resolution():
    small, large = make_faces(32, 16), make_faces(128, 16)
    pooled = large.reshape(16, 32, 4, 32, 4, 3).astype(np.float64).mean(axis=(2, 4))
    assert np.abs(pooled - small).mean() < 6  # anti-aliased edges differ by a few levels


def test_parts_are_where_the_parameters_put_them():
    res, count = 64, 32
    images = make_faces(res, count).astype(np.float64) / 255
    p = _draw_params(np.random.RandomState(4321), count)
    for i in range(count):
        cx, cy, rx, ry = (p[k][i] * res for k in ("cx", "cy", "rx", "ry"))
        # The face's centre column between the eyes and the mouth is skin.
        skin = images[i, int(cy), int(cx)]
        np.testing.assert_allclose(skin, p["skin"][i], atol=0.02)
        # The pupil centres hold the iris colour.
        for side in (-1, 1):
            eye_r = p["eye_r"][i] * rx
            pupil_r = p["pupil"][i] * eye_r
            px = cx + side * p["eye_dx"][i] * rx + p["gaze_x"][i] * (eye_r - pupil_r)
            py = cy - p["eye_dy"][i] * ry + p["gaze_y"][i] * (eye_r - pupil_r)
            if pupil_r >= 1.5:  # at least a pixel fully inside
                np.testing.assert_allclose(images[i, int(py), int(px)], p["iris"][i], atol=0.1)
        # The corners are background, not face.
        assert np.abs(images[i, 0, 0] - p["skin"][i]).max() > 0.02
