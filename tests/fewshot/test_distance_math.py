"""MixDL / CDC similarity-distribution math against NumPy (the reference outputs are checked in
test_distance_vs_official.py)."""

import numpy as np
import pytest
import tensorflow as tf

from tfgan_fs.losses import distance_kl, drop_diagonal, pairwise_cosine


def np_softmax(x):
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def test_pairwise_cosine_of_flattened_rows():
    rs = np.random.RandomState(0)
    a, b = rs.randn(3, 4, 4, 5), rs.randn(6, 4, 4, 5)
    fa, fb = a.reshape(3, -1), b.reshape(6, -1)
    expected = fa @ fb.T / np.outer(np.linalg.norm(fa, axis=1), np.linalg.norm(fb, axis=1))
    np.testing.assert_allclose(pairwise_cosine(a, b).numpy(), expected, atol=1e-6)
    np.testing.assert_allclose(np.diag(pairwise_cosine(a, a).numpy()), 1, atol=1e-6)
    zero = pairwise_cosine(np.zeros([1, 8]), rs.randn(2, 8)).numpy()
    np.testing.assert_array_equal(zero, 0)  # clamped norms: 0, not NaN


def test_distance_kl_is_the_mean_over_all_entries():
    rs = np.random.RandomState(1)
    t, s = rs.randn(4, 4), rs.randn(4, 4)
    p, q = np_softmax(t), np_softmax(s)
    elementwise = p * (np.log(p) - np.log(q))
    got = float(distance_kl(t, s))
    assert got == pytest.approx(elementwise.mean(), rel=1e-5)
    # Not 'batchmean' (the sum over a row, averaged over rows): that is 4x larger here.
    assert got == pytest.approx(elementwise.sum(axis=1).mean() / 4, rel=1e-5)
    assert float(distance_kl(t, t)) == pytest.approx(0, abs=1e-7)
    assert float(distance_kl(t, s)) > 0


def test_distance_kl_exclude_self_drops_the_diagonal_before_the_softmax():
    rs = np.random.RandomState(2)
    t, s = rs.randn(4, 4), rs.randn(4, 4)
    off = ~np.eye(4, dtype=bool)
    t3, s3 = t[off].reshape(4, 3), s[off].reshape(4, 3)
    np.testing.assert_array_equal(drop_diagonal(tf.constant(t)).numpy(), t3)
    p, q = np_softmax(t3), np_softmax(s3)
    expected = (p * (np.log(p) - np.log(q))).mean()
    assert float(distance_kl(t, s, exclude_self=True)) == pytest.approx(expected, rel=1e-5)
    # The diagonal does not matter.
    t[np.eye(4, dtype=bool)] = 100.0
    assert float(distance_kl(t, s, exclude_self=True)) == pytest.approx(expected, rel=1e-5)
