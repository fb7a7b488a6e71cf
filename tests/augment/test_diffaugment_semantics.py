"""DiffAugment against the semantics of its module docstring (the authors' TF implementation)."""

import numpy as np
import pytest
import tensorflow as tf

from tfgan_fs.augment import DiffAugment

SEED = tf.constant([9, 9], tf.int64)


def _positive(shape, seed=0):
    """Images with no zeros, so zero fill / cutout is detectable."""
    return np.random.default_rng(seed).uniform(0.2, 1.0, shape).astype(np.float32)


def _shift_zero_fill(img, ty, tx):
    """out[y, x] = img[y + ty, x + tx], zero outside ([H, W, C])."""
    h, w = img.shape[:2]
    out = np.zeros_like(img)
    ys = np.arange(h) + ty
    xs = np.arange(w) + tx
    oky = (ys >= 0) & (ys < h)
    okx = (xs >= 0) & (xs < w)
    out[np.ix_(oky, okx)] = img[np.ix_(ys[oky], xs[okx])]
    return out


@pytest.mark.parametrize("height,width", [(16, 16), (24, 16)])
def test_translation_integer_shift_with_zero_fill(height, width):
    x = _positive([64, height, width, 3])
    out = DiffAugment("translation")(tf.constant(x), seed=SEED).numpy()
    sy, sx = int(height / 8 + 0.5), int(width / 8 + 0.5)
    shifts = []
    for k in range(len(x)):
        matches = [(ty, tx) for ty in range(-sy, sy + 1) for tx in range(-sx, sx + 1)
                   if np.array_equal(out[k], _shift_zero_fill(x[k], ty, tx))]
        assert len(matches) == 1, (k, matches)
        shifts.append(matches[0])
    tys, txs = zip(*shifts)
    # The whole range [-shift, shift] is used, both extremes included.
    assert set(tys) == set(range(-sy, sy + 1))
    assert set(txs) == set(range(-sx, sx + 1))


def _interval(mask_1d):
    idx = np.flatnonzero(mask_1d)
    assert idx.size and np.array_equal(idx, np.arange(idx[0], idx[-1] + 1)), "not contiguous"
    return idx[0], idx[-1] + 1


@pytest.mark.parametrize("height,width", [(16, 16), (18, 12)])
def test_cutout_zeroes_one_square_of_the_right_size(height, width):
    x = _positive([64, height, width, 2])
    out = DiffAugment("cutout")(tf.constant(x), seed=SEED).numpy()
    size_y, size_x = int(height / 2 + 0.5), int(width / 2 + 0.5)
    full = 0
    for k in range(len(x)):
        cut = (out[k] == 0).all(axis=-1)
        assert ((out[k] == 0).any(axis=-1) == cut).all()  # all channels cut together
        assert np.array_equal(out[k][~cut], x[k][~cut])  # the rest is untouched
        y0, y1 = _interval(cut.any(axis=1))
        x0, x1 = _interval(cut.any(axis=0))
        assert cut[y0:y1, x0:x1].all() and cut.sum() == (y1 - y0) * (x1 - x0)  # a rectangle
        for lo, hi, size, n in ((y0, y1, size_y, height), (x0, x1, size_x, width)):
            assert size // 2 <= hi - lo <= size
            if lo > 0 and hi < n:
                assert hi - lo == size  # clipped only at the border
        full += (y1 - y0 == size_y) and (x1 - x0 == size_x)
    assert full > 0


def test_color_semantics():
    """brightness + U(-.5, .5); saturation around the channel mean * U(0, 2); contrast around
    the image mean * U(0.5, 1.5). Recover the three draws per sample and check the formula."""
    n = 16
    rng = np.random.default_rng(3)
    grey = np.repeat(rng.uniform(-1, 1, [n, 8, 8, 1]), 3, axis=-1).astype(np.float32)
    rgb = rng.uniform(-1, 1, [n, 8, 8, 3]).astype(np.float32)
    layer = DiffAugment("color")
    out_grey = layer(tf.constant(grey), seed=SEED).numpy().astype(np.float64)
    out_rgb = layer(tf.constant(rgb), seed=SEED).numpy().astype(np.float64)  # same draws
    for k in range(n):
        g = grey[k].astype(np.float64)
        # Grey: saturation does nothing; out = (g - mean) * c + mean + b.
        c = out_grey[k].std() / g.std()
        b = out_grey[k].mean() - g.mean()
        assert -0.5 <= b < 0.5 and 0.5 <= c < 1.5
        np.testing.assert_allclose(out_grey[k], (g - g.mean()) * c + g.mean() + b, atol=1e-5)
        # RGB: out = ((x1 - m_c) * s + m_c - M) * c + M with x1 = x + b, m_c its channel mean,
        # M its overall mean; solve for s by least squares.
        x1 = rgb[k].astype(np.float64) + b
        m_c = x1.mean(axis=-1, keepdims=True)
        big_m = x1.mean()
        a = ((x1 - m_c) * c).ravel()
        rhs = (out_rgb[k] - (m_c - big_m) * c - big_m).ravel()
        s = float(a @ rhs / (a @ a))
        assert 0 <= s < 2
        np.testing.assert_allclose(out_rgb[k], ((x1 - m_c) * s + m_c - big_m) * c + big_m,
                                   atol=1e-5)


def test_color_is_differentiable_and_keeps_shape():
    x = tf.constant(np.random.default_rng(4).normal(size=[2, 8, 8, 3]))
    r = tf.constant(np.random.default_rng(5).normal(size=[2, 8, 8, 3]))
    layer = DiffAugment("color")
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = layer(x, seed=SEED)
        loss = tf.reduce_sum(y * r)
    assert y.shape == x.shape and y.dtype == x.dtype
    grad = tape.gradient(loss, x).numpy()
    assert np.isfinite(grad).all() and np.abs(grad).max() > 0
    d = np.random.default_rng(6).normal(size=x.shape)
    eps = 1e-4
    fd = (tf.reduce_sum(layer(x + eps * d, seed=SEED) * r)
          - tf.reduce_sum(layer(x - eps * d, seed=SEED) * r)).numpy() / (2 * eps)
    np.testing.assert_allclose(np.sum(grad * d), fd, rtol=1e-6)


def test_full_policy_shape_determinism_and_gradient_in_tf_function():
    x = tf.constant(np.random.default_rng(7).normal(size=[4, 16, 16, 3]), tf.float32)
    layer = DiffAugment()
    a = layer(x, seed=SEED)
    assert a.shape == x.shape
    assert np.array_equal(a.numpy(), layer(x, seed=SEED).numpy())
    assert not np.allclose(a.numpy(), layer(x, seed=tf.constant([9, 10], tf.int64)).numpy())

    @tf.function
    def grad(images):
        with tf.GradientTape() as tape:
            tape.watch(images)
            loss = tf.reduce_sum(tf.square(layer(images, seed=SEED)))
        return tape.gradient(loss, images)

    g = grad(x).numpy()
    assert np.isfinite(g).all() and np.abs(g).max() > 0


@pytest.mark.parametrize("policy", ["colour", "color,flip", "translation,cutout,noise"])
def test_policy_validation(policy):
    with pytest.raises(ValueError):
        DiffAugment(policy)


def test_policy_parsing():
    assert DiffAugment(" color , cutout ").policies == ["color", "cutout"]
    assert DiffAugment("").policies == []
    x = tf.ones([1, 8, 8, 3])
    assert np.array_equal(DiffAugment("")(x, seed=SEED).numpy(), x.numpy())
