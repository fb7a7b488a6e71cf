"""The custom bias_act kernel (CPU) against the pure-TF reference: values, 1st and 2nd gradients."""

import numpy as np
import pytest
import tensorflow as tf

from tfgan_fs import ops


def _grads(impl, x, b, dtype, kwargs):
    """y, dL/dx, dL/db and the gradients of sum(v * dL/dx) for L = sum(w * y^2)."""
    x = tf.constant(x, dtype)
    b = None if b is None else tf.constant(b, dtype)
    watched = [x] if b is None else [x, b]
    with tf.GradientTape() as outer:
        outer.watch(watched)
        with tf.GradientTape() as inner:
            inner.watch(watched)
            y = ops.bias_act(x, b, impl=impl, **kwargs)
            w = tf.constant(np.random.default_rng(1).normal(size=y.shape), dtype)
            loss = tf.reduce_sum(w * y * y)
        g = inner.gradient(loss, watched)
        v = tf.constant(np.random.default_rng(2).normal(size=x.shape), dtype)
        gv = tf.reduce_sum(v * g[0]) + (0 if b is None else tf.reduce_sum(g[1]))
    gg = outer.gradient(gv, watched)
    return [t.numpy().astype(np.float64) for t in [y, *g, *gg]]


def _compare(x, b, dtype, kwargs):
    if dtype == tf.float16:
        x = x.astype(np.float16).astype(np.float32)
        b = None if b is None else b.astype(np.float16).astype(np.float32)
    got = _grads("custom", x, b, dtype, kwargs)
    want = _grads("ref", x, b, tf.float32, kwargs)  # float16: the reference in float32
    rtol = 2e-5 if dtype == tf.float32 else 2e-2
    for i, (a, e) in enumerate(zip(got, want)):
        scale = max(np.abs(e).max(), 1e-6)
        np.testing.assert_allclose(a, e, rtol=rtol, atol=rtol * scale, err_msg=f"output {i}")


@pytest.mark.parametrize("act", list(ops.ACTIVATIONS))
@pytest.mark.parametrize("dtype", [tf.float32, tf.float16])
def test_matches_reference(custom_ops, act, dtype):
    rng = np.random.default_rng(len(act))
    x = rng.normal(size=[2, 5, 3, 4]).astype(np.float32) * 2
    b = rng.normal(size=[4]).astype(np.float32)
    _compare(x, b, dtype, dict(act=act))                                 # defaults
    _compare(x, b, dtype, dict(act=act, alpha=0.3, gain=0.7, clamp=1.1))  # alpha, gain, clamp


@pytest.mark.parametrize("act", ["lrelu", "swish", "tanh"])
def test_bias_axis_and_no_bias(custom_ops, act):
    rng = np.random.default_rng(5)
    x = rng.normal(size=[3, 6, 2]).astype(np.float32)
    _compare(x, rng.normal(size=[6]).astype(np.float32), tf.float32,
             dict(act=act, axis=1, clamp=0.9))
    _compare(x, None, tf.float32, dict(act=act, gain=1.3))
    _compare(x[:, 0, 0], rng.normal(size=[3]).astype(np.float32), tf.float32,
             dict(act=act, axis=0))  # 1-D x (a dense layer's bias axis is the last)


def test_clamped_outputs_have_zero_gradient(custom_ops):
    x = tf.constant([[-5.0, -0.5, 0.5, 5.0]])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = ops.bias_act(x, act="linear", clamp=1.0, impl="custom")
    np.testing.assert_allclose(y, [[-1.0, -0.5, 0.5, 1.0]])
    np.testing.assert_allclose(tape.gradient(y, x), [[0.0, 1.0, 1.0, 0.0]])


def test_graph_contains_custom_op_only_for_custom(custom_ops):
    spec = tf.TensorSpec([2, 4])
    for impl, expected in (("custom", True), ("ref", False)):
        graph = tf.function(lambda x: ops.bias_act(x, act="lrelu", impl=impl)) \
            .get_concrete_function(spec).graph
        assert any(op.type == "TfganFsBiasAct" for op in graph.get_operations()) == expected


def test_unsupported_arguments(custom_ops):
    x = tf.ones([2, 4])
    with pytest.raises(ValueError, match="does not support a tensor gain"):
        ops.bias_act(x, gain=tf.constant(2.0), impl="custom")
    # auto falls back to the reference for what the kernel cannot do
    np.testing.assert_allclose(ops.bias_act(x, gain=tf.constant(2.0)), 2 * np.ones([2, 4]))
    np.testing.assert_allclose(ops.bias_act(tf.ones([2], tf.float64), act="relu"),
                               np.sqrt(2) * np.ones([2]))
    with pytest.raises(ValueError, match="b has 3 elements"):
        ops.bias_act(x, tf.ones([3]), impl="custom")
