"""Blit-only pipes versus the reference's resampling of the same transform.

The reference has no blitting shortcut: a pipe whose only enabled geometric transforms are
xflip / rotate90 / xint still goes through pad -> 2x upsample (sym6) -> bilinear sample -> 2x
downsample (flipped sym6). Our pipe executes such pipes as exact pixel copies
(`resample.blit_transform`).

That holds for integer translations: sym6 is orthogonal to its even shifts, so upsampling then
downsampling a shifted image is the identity. It also holds for a transposition (xflip with
rotate90 i = 1, only reachable with random draws). It does NOT hold when the transform reverses
an axis (xflip alone, rotate90 with i = 1, 2, 3, and their other combinations): reversing the
upsampled signal turns the downsampling correlation with sym6 into a convolution with it, and
sym6 is not symmetric, so the reference's result is the exact permutation followed by a 12-tap
FIR along each reversed axis (every other sample of the self-convolution of the listed sym6
coefficients, largest tap 0.9646; see test_augment_np_reference.py). That filtering is an artifact
of the reference (its TF1 version has it too), and blit-only pipes deliberately do not reproduce
it: they are exact permutations (test_augment_identity_blit.py). Pipes with general geometric
transforms (bgc, ...) keep the reference's path, artifact included (test_augment_vs_reference.py).
"""

import np_ada_reference as ref
import numpy as np
import pytest
import tensorflow as tf

from tfgan_fs.augment import AugmentPipe

SEED = tf.constant([1, 2], tf.int64)
ATOL = 2e-5


def _images(shape, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, shape).astype(np.float32)


def _compare(kwargs, q, shape):
    x = _images(shape)
    out = AugmentPipe(**kwargs)(tf.constant(x), seed=SEED, debug_percentile=q).numpy()
    np.testing.assert_allclose(out, ref.pipe(x, q, **kwargs), rtol=0, atol=ATOL)


@pytest.mark.parametrize("q", [0.05, 0.3, 0.9, 0.99])
def test_blit_xint_equals_reference_resampling(q):
    _compare(dict(xint=1), q, [2, 16, 24, 3])


def test_blit_identity_cases_equal_reference_resampling():
    _compare(dict(xflip=1), 0.3, [2, 16, 16, 3])       # floor(0.6) = 0: no flip
    _compare(dict(rotate90=1), 0.2, [2, 16, 16, 3])    # floor(0.8) = 0: no rotation
