"""The CUDA kernels against the reference on a GPU (tile kernels and the general one)."""

import numpy as np
import pytest
import tensorflow as tf

from tfgan_fs import ops

pytestmark = pytest.mark.gpu

# Shapes that hit the shared-memory tile kernels (4x4 filter, >= 16 channels: up 2, down 2,
# pad-only FIR) and the general kernel (3 channels; up 4).
CASES = [
    ([2, 16, 16, 32], ops.upsample2d, dict(up=2)),
    ([2, 33, 17, 48], ops.downsample2d, dict(down=2)),
    ([2, 20, 20, 64], ops.filter2d, dict(padding=[2, 1, 2, 1])),
    ([2, 16, 16, 3], ops.upsample2d, dict(up=2)),
    ([1, 12, 12, 16], ops.upsample2d, dict(up=4)),
]


@pytest.fixture
def require_cuda(custom_ops):
    if not custom_ops.cuda:
        pytest.fail("the custom ops were built without CUDA kernels (no nvcc 12.x); "
                    "run python tools/build_ops.py --cuda=on")


@pytest.mark.parametrize("case", range(len(CASES)))
@pytest.mark.parametrize("dtype", [tf.float32, tf.float16])
def test_upfirdn2d_gpu(require_cuda, case, dtype):
    shape, helper, kwargs = CASES[case]
    f = ops.setup_filter([1, 3, 3, 1])
    x = tf.constant(np.random.default_rng(case).normal(size=shape), dtype)
    w = tf.constant(np.random.default_rng(9).normal(size=shape), tf.float32)

    def value_and_grad(impl, x):
        with tf.device("/GPU:0"), tf.GradientTape() as tape:
            tape.watch(x)
            y = helper(x, f, impl=impl, **kwargs)
            loss = tf.reduce_sum(tf.cast(y, tf.float32) ** 2) + tf.reduce_sum(
                w * tf.cast(x, tf.float32))
        return tf.cast(y, tf.float32), tf.cast(tape.gradient(loss, x), tf.float32)

    got = value_and_grad("custom", x)
    want = value_and_grad("ref", tf.cast(x, tf.float32))
    tol = 1e-5 if dtype == tf.float32 else 2e-2
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol * float(tf.reduce_max(tf.abs(b))))


@pytest.mark.parametrize("act", list(ops.ACTIVATIONS))
def test_bias_act_gpu(require_cuda, act):
    x = tf.constant(np.random.default_rng(0).normal(size=[4, 8, 8, 16]), tf.float32)
    b = tf.constant(np.random.default_rng(1).normal(size=[16]), tf.float32)
    with tf.device("/GPU:0"):
        y = ops.bias_act(x, b, act=act, clamp=1.5, impl="custom")
    np.testing.assert_allclose(y, ops.bias_act(x, b, act=act, clamp=1.5, impl="ref"),
                               rtol=1e-5, atol=1e-5)
