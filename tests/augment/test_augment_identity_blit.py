"""AugmentPipe: p = 0 is the identity bit for bit; blit-only pipes are exact pixel permutations."""

import numpy as np
import pytest
import tensorflow as tf
import np_ada_reference as ref
from np_ada_reference import reflect_shift

from tfgan_fs.augment import AugmentPipe, augpipe_kwargs

SEED = tf.constant([7, 11], tf.int64)


def _images(shape, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, shape).astype(np.float32)


def _same_bits(a, b):
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and a.dtype == b.dtype and a.tobytes() == b.tobytes()


# -- p = 0 ------------------------------------------------------------------------------------

def test_p0_is_identity_eager_and_in_tf_function():
    pipe = AugmentPipe(**augpipe_kwargs("bgcfnc"), initial_p=0.0)
    x = _images([3, 32, 32, 3])
    assert _same_bits(pipe(tf.constant(x), seed=SEED), x)
    assert _same_bits(pipe(tf.constant(x)), x)  # seed=None: random seed, still identity

    fn = tf.function(lambda images, seed: pipe(images, seed=seed))
    assert _same_bits(fn(tf.constant(x), SEED), x)

    # p is read at run time: the same trace augments for p > 0 and is the identity again at 0.
    pipe.p.assign(0.7)
    assert not np.array_equal(fn(tf.constant(x), SEED), x)
    pipe.p.assign(0.0)
    assert _same_bits(fn(tf.constant(x), SEED), x)


def test_p0_is_identity_with_features():
    pipe = AugmentPipe(**augpipe_kwargs("bgcfnc"), initial_p=0.0)
    x = _images([2, 32, 32, 3])
    f_full = _images([2, 32, 32, 5], seed=1)
    f_half = _images([2, 16, 16, 4], seed=2)

    out, feats = pipe(tf.constant(x), seed=SEED, features=[tf.constant(f_full),
                                                           tf.constant(f_half)])
    assert isinstance(feats, list) and len(feats) == 2
    # The image is returned bit for bit; features are resampled with the identity transform,
    # as GGDR's AugmentPipeGFeat does whenever a geometric transform is enabled.
    assert _same_bits(out, x)
    for got, f in [(feats[0], f_full), (feats[1], f_half)]:
        np.testing.assert_allclose(got.numpy(), ref.geometric_feature(f, np.eye(3)), rtol=0,
                                   atol=1e-5)

    fn = tf.function(lambda images, feats, seed: pipe(images, seed=seed, features=feats))
    out, feats = fn(tf.constant(x), {"a": tf.constant(f_full), "b": tf.constant(f_half)}, SEED)
    assert set(feats) == {"a", "b"}
    assert _same_bits(out, x)
    np.testing.assert_allclose(feats["b"].numpy(), ref.geometric_feature(f_half, np.eye(3)),
                               rtol=0, atol=1e-5)


def test_p0_features_untouched_without_geometric_transforms():
    pipe = AugmentPipe(**augpipe_kwargs("color"), initial_p=0.0)
    f = _images([2, 16, 16, 4], seed=2)
    _, feats = pipe(tf.constant(_images([2, 32, 32, 3])), seed=SEED, features=[tf.constant(f)])
    assert _same_bits(feats[0], f)


# -- Pixel blitting: exact permutations ------------------------------------------------------

@pytest.mark.parametrize("q,flipped", [(0.2, False), (0.49, False), (0.5, True), (0.7, True)])
def test_xflip_is_exact_mirror(q, flipped):
    x = _images([2, 12, 16, 3])
    pipe = AugmentPipe(xflip=1)  # p = 0: debug_percentile applies every enabled transform
    out = pipe(tf.constant(x), seed=SEED, debug_percentile=q).numpy()
    expected = np.flip(x, axis=2) if flipped else x
    assert _same_bits(out, expected)


@pytest.mark.parametrize("q,k", [(0.1, 0), (0.3, 1), (0.6, 2), (0.9, 3)])
def test_rotate90_is_exact_rotation(q, k):
    # rotate2d_inv(-pi/2 * i) = [[0, -1], [1, 0]] for i = 1: out(x, y) = in(-y, x) in centred
    # coordinates, i.e. out[r, c] = in[c, W - 1 - r]: np.rot90 with k = i on the (H, W) axes.
    x = _images([2, 16, 16, 3])
    pipe = AugmentPipe(rotate90=1, initial_p=0.3)
    out = pipe(tf.constant(x), seed=SEED, debug_percentile=q).numpy()
    assert _same_bits(out, np.ascontiguousarray(np.rot90(x, k=k, axes=(1, 2))))


@pytest.mark.parametrize("q", [0.05, 0.3, 0.5, 0.7, 0.9, 0.99])
def test_xint_is_exact_reflect_shift(q):
    height, width = 16, 24
    x = _images([2, height, width, 1])
    t = (q * 2 - 1) * 0.125
    tx, ty = int(np.round(t * width)), int(np.round(t * height))
    pipe = AugmentPipe(xint=1, initial_p=1.0)
    out = pipe(tf.constant(x), seed=SEED, debug_percentile=q).numpy()
    # translate2d_inv(tx, ty): out[y, x] = in[y - ty, x - tx], reflect boundary.
    assert _same_bits(out, reflect_shift(x, tx, ty).astype(np.float32))


def test_xint_max_is_respected():
    x = _images([1, 16, 16, 3])
    pipe = AugmentPipe(xint=1, xint_max=0.25)
    out = pipe(tf.constant(x), seed=SEED, debug_percentile=0.95).numpy()
    t = int(np.round((0.95 * 2 - 1) * 0.25 * 16))  # 3.6 -> 4
    assert t == 4
    assert _same_bits(out, reflect_shift(x, t, t).astype(np.float32))


@pytest.mark.parametrize("q", [0.4, 0.8])
def test_combined_blit_is_composed_permutation(q):
    # G_inv = Flip @ Rot @ Shift: out(p) = in(F R S p), i.e. flip first, then rotate, then shift.
    size = 16
    x = _images([2, size, size, 3])
    pipe = AugmentPipe(**augpipe_kwargs("blit"))
    out = pipe(tf.constant(x), seed=SEED, debug_percentile=q).numpy()
    y = np.flip(x, axis=2) if np.floor(q * 2) == 1 else x
    y = np.rot90(y, k=int(np.floor(q * 4)), axes=(1, 2))
    t = int(np.round((q * 2 - 1) * 0.125 * size))
    y = reflect_shift(np.ascontiguousarray(y), t, t)
    assert _same_bits(out, y.astype(np.float32))


def test_blit_random_draws_are_permutations_of_each_sample():
    """Without debug_percentile every output sample is one of the 8 dihedral images, shifted."""
    size = 8
    x = _images([64, size, size, 1])
    pipe = AugmentPipe(xflip=1, rotate90=1, initial_p=1.0)
    out = pipe(tf.constant(x), seed=SEED).numpy()
    seen = set()
    for k in range(len(x)):
        candidates = [(f, r) for f in (0, 1) for r in range(4)]
        matches = [(f, r) for f, r in candidates if np.array_equal(
            out[k], np.rot90(np.flip(x[k], axis=1) if f else x[k], k=r, axes=(0, 1)))]
        assert len(matches) == 1, k
        seen.add(matches[0])
    assert len(seen) >= 6  # several of the 8 cases occur in 64 draws
