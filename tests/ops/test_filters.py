"""Tests for tfgan_fs.ops.filters and tfgan_fs.ops.impl."""

import numpy as np
import pytest
import tensorflow as tf

from tfgan_fs import ops
from tfgan_fs.ops import filter_size, parse_padding, parse_scaling, setup_filter


def test_setup_filter_none_and_scalar_are_identity():
    for f in (None, 1, 3.0):
        out = setup_filter(f)
        assert out.dtype == tf.float32
        assert out.shape == (1, 1)
        np.testing.assert_allclose(out.numpy(), [[1.0]])


def test_setup_filter_short_1d_becomes_normalized_outer_product():
    out = setup_filter([1, 3, 3, 1]).numpy()
    expected = np.outer([1, 3, 3, 1], [1, 3, 3, 1]) / 64.0
    assert out.shape == (4, 4)
    np.testing.assert_allclose(out, expected, rtol=1e-6)
    assert out.sum() == pytest.approx(1.0, abs=1e-6)


def test_setup_filter_separable_rule():
    taps8 = np.arange(1, 9, dtype=np.float64)
    assert setup_filter(taps8).shape == (8,)  # >= 8 taps stays separable
    assert setup_filter(taps8, separable=False).shape == (8, 8)
    assert setup_filter([1, 2, 1], separable=True).shape == (3,)
    assert setup_filter(np.arange(7.0) + 1).shape == (7, 7)
    np.testing.assert_allclose(setup_filter(taps8).numpy(), taps8 / taps8.sum(), rtol=1e-6)


def test_setup_filter_no_normalize_flip_and_gain():
    rng = np.random.default_rng(0)
    f2 = rng.uniform(0.1, 1.0, size=[3, 5])
    out = setup_filter(f2, normalize=False).numpy()
    np.testing.assert_allclose(out, f2, rtol=1e-6)
    out = setup_filter(f2, flip_filter=True, gain=4).numpy()
    np.testing.assert_allclose(out, f2[::-1, ::-1] / f2.sum() * 4, rtol=1e-5)
    f1 = rng.uniform(0.1, 1.0, size=[9])
    out = setup_filter(f1, flip_filter=True, gain=4).numpy()  # separable: gain ** 0.5
    np.testing.assert_allclose(out, f1[::-1] / f1.sum() * 2, rtol=1e-5)


def test_setup_filter_accepts_tensor():
    out = setup_filter(tf.constant([1.0, 2.0, 1.0]))
    np.testing.assert_allclose(out.numpy(), np.outer([1, 2, 1], [1, 2, 1]) / 16.0, rtol=1e-6)


@pytest.mark.parametrize("kwargs,match", [
    (dict(f=np.ones([2, 2, 2])), "0-D, 1-D or 2-D"),
    (dict(f=np.ones([0])), "empty"),
    (dict(f=np.ones([3, 3]), separable=True), "separable"),
    (dict(f=[1.0, -1.0]), "sum to zero"),
])
def test_setup_filter_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        setup_filter(**kwargs)


def test_parse_padding():
    assert parse_padding(2) == (2, 2, 2, 2)
    assert parse_padding([1, -2]) == (1, 1, -2, -2)
    assert parse_padding((1, 2, 3, 4)) == (1, 2, 3, 4)
    assert parse_padding(np.int64(3)) == (3, 3, 3, 3)
    for bad in ([1, 2, 3], [1.5, 2], "1", None):
        with pytest.raises(ValueError, match="[Pp]adding"):
            parse_padding(bad)


def test_parse_scaling():
    assert parse_scaling(2) == (2, 2)
    assert parse_scaling([2, 4]) == (2, 4)
    for bad in (0, -1, [1, 0], [1, 2, 3], 1.5, True):
        with pytest.raises(ValueError):
            parse_scaling(bad)


def test_filter_size():
    assert filter_size(None) == (1, 1)
    assert filter_size(np.ones([5])) == (5, 5)
    assert filter_size(np.ones([3, 4])) == (4, 3)  # (width, height)
    assert filter_size(tf.ones([2, 6])) == (6, 2)
    with pytest.raises(ValueError, match="1-D"):
        filter_size(np.ones([2, 2, 2]))
    with pytest.raises(ValueError, match="1-D"):
        filter_size(np.float32(1.0))


def test_bad_resampling_arguments_raise_value_error():
    x = tf.zeros([1, 4, 4, 1])
    f = setup_filter([1, 1])
    with pytest.raises(ValueError):
        ops.upfirdn2d(x, f, up=-2)
    with pytest.raises(ValueError):
        ops.upfirdn2d(x, f, down=0)
    with pytest.raises(ValueError):
        ops.upfirdn2d(x, f, padding=[1, 2, 3])
    with pytest.raises(ValueError):
        ops.upfirdn2d(x, np.ones([2, 2, 2]))
    with pytest.raises(ValueError):
        ops.upfirdn2d(tf.zeros([4, 4, 1]), f)
    with pytest.raises(ValueError):
        ops.conv2d_resample(x, tf.zeros([3, 3, 2, 1]))  # channel mismatch
    with pytest.raises(ValueError):
        ops.conv2d_resample(x, tf.zeros([3, 3, 1, 1]), f, up=[2, 2])
    with pytest.raises(ValueError):
        ops.conv2d_resample(x, tf.zeros([3, 3, 1, 1], tf.float64))


@pytest.mark.parametrize("fn,args", [
    (ops.upfirdn2d, lambda x: (x, None)),
    (ops.filter2d, lambda x: (x, None)),
    (ops.upsample2d, lambda x: (x, None)),
    (ops.downsample2d, lambda x: (x, None)),
    (ops.bias_act, lambda x: (x,)),
])
def test_impl_values(fn, args):
    x = tf.ones([1, 4, 4, 2])
    for impl in ("auto", "ref"):
        fn(*args(x), impl=impl)
    with pytest.raises(ValueError, match="impl must be one of"):
        fn(*args(x), impl="cuda")


def test_select_impl():
    assert ops.VALID_IMPLS == ("auto", "ref", "custom")
    assert ops.select_impl("op", "ref") == "ref"
    with pytest.raises(ValueError, match="'auto', 'ref', 'custom'"):
        ops.select_impl("op", None)
