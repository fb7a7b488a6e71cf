"""`tfgan_fs.losses.ggdr_loss` / `cosine_similarity` against the reference's
`StyleGAN2GGDRLoss.get_ggdr_reg` and `F.cosine_similarity` (fixtures/loss.npz).

The inputs include a source pixel scaled by 1e3, a negated target sample and an all-zero target
pixel (torch clamps each norm at eps 1e-8 separately: cosine 0, distance 1).
"""

import numpy as np
import pytest
import tensorflow as tf

from tfgan_fs.losses import cosine_similarity, ggdr_loss

LOSS_RTOL = 1e-5
COS_ATOL = 1e-6


def _maps(loss_data, kind):
    return {res: tf.constant(loss_data[f"{kind}_{res}"]) for res in (8, 16)}


@pytest.mark.parametrize("key,resolutions", [("loss_16", [16]), ("loss_8_16", [8, 16])])
def test_ggdr_loss_batch_mean_is_get_ggdr_reg(loss_data, key, resolutions):
    per_sample = ggdr_loss(_maps(loss_data, "source"), _maps(loss_data, "target"), resolutions)
    assert per_sample.shape == (4,)
    loss = float(tf.reduce_mean(per_sample))
    assert loss == pytest.approx(float(loss_data[key]), rel=LOSS_RTOL)
    assert loss == pytest.approx(float(loss_data[f"{key}_f64"]), rel=LOSS_RTOL)


@pytest.mark.parametrize("res", [8, 16])
def test_cosine_similarity_per_pixel(loss_data, res):
    cos = cosine_similarity(loss_data[f"source_{res}"], loss_data[f"target_{res}"]).numpy()
    expected = loss_data[f"cos_{res}"]
    assert cos.shape == expected.shape == (4, res, res)
    np.testing.assert_allclose(cos, expected, rtol=0, atol=COS_ATOL)
    zero = (3, res // 2 - 1, res // 2)  # the all-zero target pixel
    assert not np.any(loss_data[f"target_{res}"][zero])
    assert cos[zero] == 0.0 and expected[zero] == 0.0
    # Target sample 2 is negated: its cosines are negative where the source is not.
    assert np.mean(expected[2]) < 0 and np.mean(cos[2]) < 0
