"""PPL pieces: percentile outlier filtering by hand, slerp geometry and the reference formula,
lerp in W."""

import numpy as np
import pytest
import tensorflow as tf

from tfgan_fs.metrics.path_length import lerp_latents, ppl_from_distances, slerp


def test_ppl_filtering_by_hand_200_values():
    # N = 200: the 1st percentile with 'lower' sits at rank floor(0.01 * 199) = 1, the 99th with
    # 'higher' at rank ceil(0.99 * 199) = 198, so exactly the smallest and the largest value go.
    values = np.random.default_rng(0).permutation(200).astype(np.float32)
    assert ppl_from_distances(values) == pytest.approx(np.arange(1, 199).mean(), rel=1e-12)
    values[values == 199] = 1e9   # an outlier at the top changes nothing
    assert ppl_from_distances(values) == pytest.approx(99.5, rel=1e-12)


def test_ppl_filtering_small_sets():
    # N = 100: ranks floor(0.99) = 0 and ceil(98.01) = 99, i.e. nothing is dropped.
    values = np.array([1e6] + [1.0] * 98 + [1e-6])
    assert ppl_from_distances(values) == pytest.approx((1e6 + 98 + 1e-6) / 100, rel=1e-12)
    # N = 101: ranks 1 and 99 exactly: the single minimum and maximum are dropped.
    values = np.array([1e6] + [2.0] * 99 + [-5.0])
    assert ppl_from_distances(values) == pytest.approx(2.0, rel=1e-12)
    # Ties with the cut-off value are all kept (>= lo, <= hi).
    values = np.array([0.0] * 5 + list(range(1, 196)))
    assert ppl_from_distances(values) == pytest.approx(values[values <= 194].mean(), rel=1e-12)
    assert ppl_from_distances(np.array([3.0])) == 3.0
    with pytest.raises(ValueError):
        ppl_from_distances(np.array([]))
    with pytest.raises(ValueError):
        ppl_from_distances(np.array([1.0, np.nan]))


def _np_slerp(a, b, t):
    """The reference's slerp, transcribed to NumPy."""
    a = a / np.linalg.norm(a, axis=-1, keepdims=True)
    b = b / np.linalg.norm(b, axis=-1, keepdims=True)
    d = (a * b).sum(-1, keepdims=True)
    p = t * np.arccos(d)
    c = b - d * a
    c = c / np.linalg.norm(c, axis=-1, keepdims=True)
    d = a * np.cos(p) + c * np.sin(p)
    return d / np.linalg.norm(d, axis=-1, keepdims=True)


def test_slerp_endpoints_norm_and_constant_angular_speed():
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal((8, 16)), rng.standard_normal((8, 16))
    unit_a = a / np.linalg.norm(a, axis=-1, keepdims=True)
    unit_b = b / np.linalg.norm(b, axis=-1, keepdims=True)
    np.testing.assert_allclose(slerp(a, b, np.zeros((8, 1))).numpy(), unit_a, atol=1e-12)
    np.testing.assert_allclose(slerp(a, b, np.ones((8, 1))).numpy(), unit_b, atol=1e-12)
    t = rng.uniform(0, 1, (8, 1))
    out = slerp(a, b, t).numpy()
    np.testing.assert_allclose(np.linalg.norm(out, axis=-1), 1.0, rtol=1e-12)
    theta = np.arccos((unit_a * unit_b).sum(-1))
    np.testing.assert_allclose(np.arccos(np.clip((out * unit_a).sum(-1), -1, 1)),
                               t[:, 0] * theta, atol=1e-7)
    np.testing.assert_allclose(out, _np_slerp(a, b, t), atol=1e-12)


def test_slerp_float32_in_a_compiled_function():
    rng = np.random.default_rng(2)
    a = rng.standard_normal((4, 512)).astype(np.float32)
    b = rng.standard_normal((4, 512)).astype(np.float32)
    t = rng.uniform(0, 1, (4, 1)).astype(np.float32)
    eps = 1e-4
    out0, out1 = tf.function(lambda a, b, t: (slerp(a, b, t), slerp(a, b, t + eps)))(
        tf.constant(a), tf.constant(b), tf.constant(t))
    assert out0.dtype == tf.float32 and out0.shape == (4, 512)
    np.testing.assert_allclose(out0.numpy(), _np_slerp(a.astype(np.float64), b, t), atol=1e-5)
    # The epsilon step moves by epsilon * theta along the great circle.
    theta = np.arccos(np.sum(_np_slerp(a, b, np.zeros((4, 1))) * _np_slerp(a, b, np.ones((4, 1))),
                             axis=-1))
    np.testing.assert_allclose(np.linalg.norm(out1.numpy() - out0.numpy(), axis=-1),
                               eps * theta, rtol=0.05)


def test_lerp_latents_per_sample_t():
    rng = np.random.default_rng(3)
    w0, w1 = rng.standard_normal((5, 14, 32)), rng.standard_normal((5, 14, 32))
    t = rng.uniform(0, 1, 5)
    eps = 1e-4
    wt0, wt1 = lerp_latents(w0, w1, t, eps)
    assert wt0.shape == w0.shape and wt0.dtype == tf.float64
    np.testing.assert_allclose(wt0.numpy(), w0 + t[:, None, None] * (w1 - w0), rtol=1e-12)
    np.testing.assert_allclose((wt1 - wt0).numpy(), eps * (w1 - w0), rtol=1e-8, atol=1e-15)
    # sampling='end': t = 0 starts exactly at w0.
    end0, _ = lerp_latents(w0, w1, np.zeros(5), eps)
    np.testing.assert_array_equal(end0.numpy(), w0)
    # A scalar t and 2-D latents work too.
    s0, s1 = lerp_latents(w0[:, 0], w1[:, 0], 0.5, eps)
    np.testing.assert_allclose(s0.numpy(), (w0[:, 0] + w1[:, 0]) / 2, rtol=1e-12)
    np.testing.assert_allclose((s1 - s0).numpy(), eps * (w1[:, 0] - w0[:, 0]), rtol=1e-8,
                               atol=1e-15)


def test_lerp_latents_float32_compiled():
    rng = np.random.default_rng(4)
    w0 = rng.standard_normal((2, 3, 8)).astype(np.float32)
    w1 = rng.standard_normal((2, 3, 8)).astype(np.float32)
    fn = tf.function(lambda w0, w1, t: lerp_latents(w0, w1, t, 1e-4),
                     input_signature=[tf.TensorSpec([None, 3, 8]), tf.TensorSpec([None, 3, 8]),
                                      tf.TensorSpec([None])])
    wt0, wt1 = fn(w0, w1, np.array([0.0, 0.5], np.float32))
    np.testing.assert_allclose(wt0.numpy()[1], (w0[1] + w1[1]) / 2, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose((wt1 - wt0).numpy(), 1e-4 * (w1 - w0), atol=1e-6)
