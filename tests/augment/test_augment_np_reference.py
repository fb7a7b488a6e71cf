"""Sanity checks of the NumPy reference itself (np_ada_reference), independent of tfgan_fs."""

import np_ada_reference as ref
import numpy as np
import pytest


def _x(shape, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, shape)


def test_sym6_orthogonal_to_even_shifts():
    f = np.asarray(ref.SYM6)
    acf = np.correlate(f, f, "full")
    lags = np.arange(len(acf)) - (len(f) - 1)
    assert acf[lags == 0][0] == pytest.approx(1.0, abs=1e-12)
    np.testing.assert_allclose(acf[(lags % 2 == 0) & (lags != 0)], 0, atol=1e-12)


def test_resampling_round_trip_and_integer_shifts_are_exact():
    x = _x([2, 12, 10, 3])
    np.testing.assert_allclose(ref.geometric(x, np.eye(3)), x, atol=1e-10)
    for tx, ty in [(2, -1), (-3, 2), (0, 1)]:
        np.testing.assert_allclose(ref.geometric(x, ref.translate2d_inv(tx, ty)),
                                   ref.reflect_shift(x, tx, ty), atol=1e-10)


def test_reference_mirror_is_mirror_plus_fir():
    """The reference's resampled x-flip = exact flip, then a 12-tap FIR along x."""
    x = np.zeros([1, 8, 32, 1])
    x[0, :, 16, 0] = 1
    row = ref.geometric(x, ref.scale2d(-1, 1))[0, 4, :, 0]
    taps = np.convolve(ref.SYM6, ref.SYM6)[::2][::-1]
    expected = np.zeros(32)
    expected[15 - 6:15 + 6] = taps  # mirror of column 16 is column 15
    np.testing.assert_allclose(row, expected, atol=1e-10)
    assert np.abs(taps).max() < 0.97  # not an exact mirror


def test_reference_transpose_is_exact():
    x = _x([1, 12, 12, 2])
    swap = np.array([[0, 1, 0], [1, 0, 0], [0, 0, 1.0]])
    np.testing.assert_allclose(ref.geometric(x, swap), np.transpose(x, (0, 2, 1, 3)), atol=1e-10)


def test_filter_bank_reconstructs_and_is_symmetric():
    bank = ref.imgfilter_bank()
    assert bank.shape == (4, 43)
    np.testing.assert_allclose(bank, bank[:, ::-1], atol=1e-15)
    delta = np.zeros(43)
    delta[21] = 1
    np.testing.assert_allclose(bank.sum(axis=0), delta, atol=1e-11)
    np.testing.assert_allclose(ref.imgfilter_gains(0.5), 1, atol=1e-15)


def test_color_matrices():
    v = ref.LUMA4[:3]
    for theta in (0.3, -2.0):
        r = ref.rotate3d(v, theta)[:3, :3]
        np.testing.assert_allclose(r @ r.T, np.eye(3), atol=1e-12)
        np.testing.assert_allclose(r @ v, v, atol=1e-12)
    # Luma flip is a reflection of the grey axis; on grey images it negates.
    C = ref.color_matrix(ref.full_config(lumaflip=1), 0.9, 1)
    np.testing.assert_allclose(ref.apply_color(np.full([1, 1, 1, 1], 0.4), C), -0.4, atol=1e-12)


def test_reflect_shift_direction():
    x = np.arange(6.0).reshape(1, 1, 6, 1)
    np.testing.assert_array_equal(ref.reflect_shift(x, 2, 0)[0, 0, :, 0], [2, 1, 0, 1, 2, 3])
    np.testing.assert_array_equal(ref.reflect_shift(x, -1, 0)[0, 0, :, 0], [1, 2, 3, 4, 5, 4])
