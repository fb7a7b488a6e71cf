"""AugmentPipe random draws (no debug_percentile, p = 1) follow the reference's distributions.

Per-sample parameters are recovered from the outputs of single-transform pipes and compared with
the reference's distribution (Kolmogorov-Smirnov, fixed seeds, so deterministic).
"""

import numpy as np
import pytest
import scipy.stats
import tensorflow as tf
from np_ada_reference import reflect_shift

from tfgan_fs.augment import AugmentPipe

N = 2000
SEED = tf.constant([123, 4], tf.int64)
KS_MIN_P = 1e-3


def _run(kwargs, x):
    return AugmentPipe(**kwargs, initial_p=1.0)(tf.constant(x), seed=SEED).numpy().astype(
        np.float64)


def _x(shape, low=-1.0, seed=0):
    return np.random.default_rng(seed).uniform(low, 1, shape).astype(np.float32)


def _ks(samples, cdf, *args):
    assert scipy.stats.kstest(samples, cdf, args=args).pvalue > KS_MIN_P


def test_brightness_is_normal():
    x = _x([N, 2, 2, 3])
    b = (_run(dict(brightness=1), x) - x).reshape(N, -1)
    np.testing.assert_allclose(b, b[:, :1].repeat(b.shape[1], 1), atol=1e-6)  # one offset
    _ks(b[:, 0], "norm", 0, 0.2)


def test_contrast_is_lognormal():
    x = _x([N, 2, 2, 3], low=0.5)
    c = _run(dict(contrast=1), x) / x
    _ks(np.log2(c[:, 0, 0, 0]), "norm", 0, 0.5)


def _chroma(img):
    """Component orthogonal to the luma axis, in a 2-D basis of that plane, [..., 2]."""
    e1 = np.array([1, -1, 0]) / np.sqrt(2)
    e2 = np.array([1, 1, -2]) / np.sqrt(6)
    return np.stack([img @ e1, img @ e2], axis=-1)


def test_saturation_is_lognormal():
    x = _x([N, 1, 1, 3])
    out = _run(dict(saturation=1), x)
    np.testing.assert_allclose(out.mean(-1), x.mean(-1), atol=1e-5)  # luma unchanged
    s = np.linalg.norm(_chroma(out), axis=-1) / np.linalg.norm(_chroma(x), axis=-1)
    _ks(np.log2(s.ravel()), "norm", 0, 1.0)


def test_hue_is_uniform_rotation():
    x = _x([N, 1, 1, 3])
    out = _run(dict(hue=1), x)
    np.testing.assert_allclose(out.mean(-1), x.mean(-1), atol=1e-5)
    a, b = _chroma(x).reshape(N, 2), _chroma(out).reshape(N, 2)
    theta = np.arctan2(a[:, 0] * b[:, 1] - a[:, 1] * b[:, 0], (a * b).sum(-1))
    _ks(theta, "uniform", -np.pi, 2 * np.pi)


def test_lumaflip_is_a_fair_coin():
    x = _x([N, 1, 1, 3])
    out = _run(dict(lumaflip=1), x)
    flipped = np.abs(out.mean(-1) + x.mean(-1)).ravel() < 1e-5  # reflection negates luma
    kept = np.abs(out - x).reshape(N, -1).max(1) < 1e-6
    assert (flipped ^ kept).all()
    assert abs(flipped.mean() - 0.5) < 4 * np.sqrt(0.25 / N)


def test_xint_shifts_are_rounded_uniform():
    n, size = 800, 16
    x = _x([n, size, size, 1])
    out = _run(dict(xint=1), x)
    shifts = []
    for k in range(n):
        found = [(tx, ty) for tx in range(-2, 3) for ty in range(-2, 3)
                 if np.array_equal(out[k], reflect_shift(x[k:k + 1], tx, ty)[0])]
        assert len(found) == 1
        shifts.append(found[0])
    shifts = np.array(shifts)
    # t ~ U(-1/8, 1/8) * 16 rounded: P(+-2) = 1/8 each, P(-1, 0, 1) = 1/4 each.
    expected = np.array([1, 2, 2, 2, 1]) / 8
    for axis in range(2):
        counts = np.array([(shifts[:, axis] == v).sum() for v in range(-2, 3)])
        assert scipy.stats.chisquare(counts, expected * n).pvalue > KS_MIN_P
    assert abs(np.corrcoef(shifts[:, 0], shifts[:, 1])[0, 1]) < 0.15  # independent axes


def test_noise_sigma_is_half_normal():
    n = 1000
    x = _x([n, 16, 16, 3])
    d = _run(dict(noise=1), x) - x
    sigma = d.reshape(n, -1).std(axis=1)
    _ks(sigma, "halfnorm", 0, 0.1)


@pytest.mark.parametrize("size", [0.5, 0.25])
def test_cutout_centres_are_uniform(size):
    n, res = 1000, 32
    x = _x([n, res, res, 1], low=0.1)
    out = _run(dict(cutout=1, cutout_size=size), x)
    cut = out[..., 0] == 0
    for axis in (1, 2):  # columns (x) via axis 1 collapse, rows (y) via axis 2 collapse
        hit = cut.any(axis=axis)  # [n, res]
        centre = np.array([(np.flatnonzero(h).mean() + 0.5) / res for h in hit])
        # Fully inside squares locate their centre to within half a pixel.
        inside = np.array([h[0] == 0 and h[-1] == 0 for h in hit])
        c = centre[inside]
        lo, hi = size / 2, 1 - size / 2
        assert c.min() >= lo - 1 / res and c.max() <= hi + 1 / res
        _ks(c, "uniform", lo, hi - lo)
