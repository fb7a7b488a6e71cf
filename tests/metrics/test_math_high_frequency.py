"""The high-frequency (Laplacian) energy ratio, a speckle detector: hand-derived values."""

import numpy as np
import pytest

from tfgan_fs.metrics.high_frequency import CHUNK, high_frequency_ratio, laplacian_energy


def test_smooth_images_have_no_laplacian_energy():
    y, x = np.meshgrid(np.linspace(-1, 1, 16), np.linspace(-1, 1, 16), indexing="ij")
    ramp = np.stack([0.3 * x + 0.2 * y] * 3, axis=-1)[None]  # linear: the Laplacian is 0
    assert laplacian_energy(np.zeros([2, 8, 8, 3])) == 0
    assert laplacian_energy(ramp) == pytest.approx(0, abs=1e-20)


def test_white_noise_has_20_sigma_squared():
    # L x = 4 x0 - (x1 + x2 + x3 + x4): variance 16 s^2 + 4 s^2 for independent pixels.
    noise = np.random.RandomState(0).normal(0, 0.1, [64, 32, 32, 3])
    assert laplacian_energy(noise) == pytest.approx(20 * 0.1 ** 2, rel=0.02)


def test_chunks_equal_one_pass_and_checkerboard_value():
    images = np.random.RandomState(1).uniform(-1, 1, [CHUNK + 7, 5, 6, 2])
    x = images
    lap = 4 * x[:, 1:-1, 1:-1] - x[:, :-2, 1:-1] - x[:, 2:, 1:-1] - x[:, 1:-1, :-2] - x[:, 1:-1, 2:]
    assert laplacian_energy(images) == pytest.approx(np.mean(lap ** 2), rel=1e-12)
    # A +-a checkerboard: every interior Laplacian is +-8a.
    board = 0.5 * (-1.0) ** np.add.outer(np.arange(8), np.arange(8))
    assert laplacian_energy(board[None, :, :, None]) == pytest.approx(64 * 0.25)


def test_ratio_flags_speckle_above_one_and_blur_below():
    rng = np.random.RandomState(2)
    y, x = np.meshgrid(np.arange(32), np.arange(32), indexing="ij")
    real = np.stack([np.sin(x / 3.0 + k) * np.cos(y / 4.0) for k in range(16)])[..., None] * 0.8
    speckled = real + rng.normal(0, 0.1, real.shape)
    blurred = (real[:, :-1, :-1] + real[:, 1:, :-1] + real[:, :-1, 1:] + real[:, 1:, 1:]) / 4
    assert high_frequency_ratio(real, real) == pytest.approx(1.0)
    assert high_frequency_ratio(speckled, real) > 3
    assert high_frequency_ratio(blurred, real) < 1
    with pytest.raises(ValueError, match="no high-frequency energy"):
        high_frequency_ratio(real, np.zeros_like(real))
