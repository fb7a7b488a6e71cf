"""The custom upfirdn2d kernel (CPU) vs the pure-TF reference: values, 1st and 2nd gradients."""

import numpy as np
import pytest
import tensorflow as tf

from ops_np_reference import upfirdn2d_np
from tfgan_fs import ops

_RNG = np.random.default_rng(7)
F2D = _RNG.uniform(-1, 1, size=[3, 4]).astype(np.float32)        # non-symmetric 2-D
F1D = np.array([1.0, 3.0, 3.0, 1.0], np.float32) / 8.0            # separable, 4 taps
BINOMIAL = np.outer([1, 3, 3, 1], [1, 3, 3, 1]).astype(np.float32) / 64.0

# (shape NHWC, filter, kwargs): up/down 1/2/4, asymmetric pad/crop, flip, gain, odd sizes.
CASES = [
    ([1, 7, 5, 3], F2D, dict()),
    ([2, 7, 5, 3], F2D, dict(up=2, padding=[2, 1, 1, 2], gain=4.0)),
    ([2, 6, 9, 2], F2D, dict(down=2, padding=[1, 2, 0, 1], flip_filter=True)),
    ([1, 5, 6, 2], F1D, dict(up=4, padding=[3, 2, 3, 2], gain=16.0)),
    ([2, 9, 11, 3], F1D, dict(down=4, padding=[2, 1, 1, 2], flip_filter=True)),
    ([2, 5, 7, 3], F2D, dict(up=[2, 1], down=[1, 2], padding=[3, -1, -1, 2], gain=2.5)),
    ([1, 8, 8, 4], BINOMIAL, dict(up=2, padding=[2, 1, 2, 1], gain=4.0)),
    ([3, 8, 8, 4], BINOMIAL, dict(down=2, padding=1)),
    ([2, 7, 7, 5], BINOMIAL, dict(padding=[2, 1, 2, 1], flip_filter=True, gain=0.5)),
    ([2, 7, 5, 3], None, dict(up=2, down=1, padding=[0, -1, 1, 0], gain=3.0)),
    ([2, 9, 6, 3], F1D, dict(up=2, down=2, padding=[-1, 3, 2, 0])),
]


def _grads(impl, x, f, dtype, kwargs):
    """y, dL/dx and d(sum(v * dL/dx))/dx for L = sum(w * y^2)."""
    x = tf.constant(x, dtype)
    f = None if f is None else tf.constant(f)
    with tf.GradientTape() as outer:
        outer.watch(x)
        with tf.GradientTape() as inner:
            inner.watch(x)
            y = ops.upfirdn2d(x, f, impl=impl, **kwargs)
            w = tf.constant(np.random.default_rng(1).normal(size=y.shape), dtype)
            loss = tf.reduce_sum(w * y * y)
        g = inner.gradient(loss, x)
        v = tf.constant(np.random.default_rng(2).normal(size=x.shape), dtype)
        gv = tf.reduce_sum(v * g)
    gg = outer.gradient(gv, x)
    return [t.numpy().astype(np.float64) for t in (y, g, gg)]


@pytest.mark.parametrize("case", range(len(CASES)))
@pytest.mark.parametrize("dtype", [tf.float32, tf.float16])
def test_matches_reference(custom_ops, case, dtype):
    shape, f, kwargs = CASES[case]
    x = np.random.default_rng(case).normal(size=shape).astype(np.float32)
    # float16: the reference runs in float32 on the same (float16-rounded) inputs.
    ref_dtype = tf.float32
    if dtype == tf.float16:
        x = x.astype(np.float16).astype(np.float32)
    got = _grads("custom", x, f, dtype, kwargs)
    want = _grads("ref", x, f, ref_dtype, kwargs)
    rtol = 1e-5 if dtype == tf.float32 else 2e-2
    for name, a, b in zip(("forward", "gradient", "2nd gradient"), got, want):
        assert a.shape == b.shape, (name, a.shape, b.shape)
        scale = max(np.abs(b).max(), 1e-6)
        np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol * scale, err_msg=name)


def test_forward_matches_numpy(custom_ops):
    """Independent of the TF reference: scipy-based upfirdn2d on a 2-D filter with up and down."""
    x = np.random.default_rng(3).normal(size=[2, 7, 6, 3]).astype(np.float32)
    kwargs = dict(up=2, down=2, padding=[3, 0, 1, 2], flip_filter=False, gain=1.5)
    got = ops.upfirdn2d(tf.constant(x), tf.constant(F2D), impl="custom", **kwargs).numpy()
    np.testing.assert_allclose(got, upfirdn2d_np(x, F2D, **kwargs), rtol=1e-5, atol=1e-5)


def test_helpers_and_tf_function(custom_ops):
    x = tf.constant(np.random.default_rng(4).normal(size=[2, 8, 8, 3]), tf.float32)
    f = ops.setup_filter([1, 3, 3, 1])
    for fn in (ops.upsample2d, ops.downsample2d, ops.filter2d):
        got = tf.function(lambda x: fn(x, f, impl="custom"))(x)
        np.testing.assert_allclose(got, fn(x, f, impl="ref"), rtol=1e-5, atol=1e-5)


def test_graph_contains_custom_op_only_for_custom(custom_ops):
    f = ops.setup_filter([1, 3, 3, 1])
    spec = tf.TensorSpec([1, 8, 8, 2])
    for impl, expected in (("custom", True), ("ref", False)):
        graph = tf.function(lambda x: ops.upsample2d(x, f, impl=impl)).get_concrete_function(
            spec).graph
        found = any(op.type == "TfganFsUpFirDn2D" for op in graph.get_operations())
        assert found == expected, impl


def test_errors(custom_ops):
    f = tf.constant(F2D)
    with pytest.raises(ValueError, match="smaller than the filter"):
        ops.upfirdn2d(tf.zeros([1, 2, 2, 1]), f, padding=0, impl="custom")
    with pytest.raises(ValueError, match="impl='custom' does not support float64"):
        ops.upfirdn2d(tf.zeros([1, 8, 8, 1], tf.float64), f, impl="custom")
    with pytest.raises(ValueError, match="static height and width"):
        tf.function(lambda x: ops.upfirdn2d(x, f, impl="custom")).get_concrete_function(
            tf.TensorSpec([1, None, None, 1]))
