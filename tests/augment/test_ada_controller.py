"""AdaController: p <- clip(p + sign(rt - target) * N / (ada_kimg * 1000), 0, max_p)."""

import math

import numpy as np
import pytest
import tensorflow as tf

from tfgan_fs.augment import AdaController

BATCH, INTERVAL = 64, 4
STEP = BATCH * INTERVAL / (500 * 1000)  # 0.000512 with the default ada_kimg = 500


def test_step_size_default():
    assert STEP == pytest.approx(0.000512, abs=1e-15)
    ada = AdaController(target=0.6, interval=INTERVAL, ada_kimg=500)
    assert ada.adjust(0.1, 0.9, BATCH * INTERVAL) == pytest.approx(0.1 + 0.000512, abs=1e-15)
    assert ada.adjust(0.1, 0.2, BATCH * INTERVAL) == pytest.approx(0.1 - 0.000512, abs=1e-15)


def test_stream_of_positive_signs_raises_p_linearly():
    ada = AdaController(target=0.6, interval=INTERVAL, ada_kimg=500)
    p = 0.0
    for k in range(1, 101):
        p = ada.adjust(p, 1.0, BATCH * INTERVAL)
        assert p == pytest.approx(k * STEP, abs=1e-12)
    assert p == pytest.approx(0.0512, abs=1e-12)


def test_stream_of_negative_signs_lowers_p_and_stops_at_zero():
    ada = AdaController(target=0.6, interval=INTERVAL, ada_kimg=500)
    p = 0.01
    for k in range(1, 20):
        p = ada.adjust(p, -1.0, BATCH * INTERVAL)
        assert p == pytest.approx(max(0.01 - k * STEP, 0.0), abs=1e-12)
    for _ in range(100):
        p = ada.adjust(p, -0.3, BATCH * INTERVAL)
        assert p >= 0.0
    assert p == 0.0


def test_only_the_sign_matters():
    ada = AdaController(target=0.6, interval=INTERVAL, ada_kimg=500)
    assert ada.adjust(0.5, 0.6000001, 256) == ada.adjust(0.5, 1.0, 256)
    assert ada.adjust(0.5, 0.5999999, 256) == ada.adjust(0.5, -1.0, 256)


def test_rt_equal_to_target_leaves_p():
    ada = AdaController(target=0.6)
    assert ada.adjust(0.37, 0.6, 256) == 0.37


def test_nan_rt_leaves_p():
    ada = AdaController(target=0.6)
    assert ada.adjust(0.37, float("nan"), 256) == 0.37
    assert not math.isnan(ada.adjust(0.0, float("nan"), 256))


def test_p_capped_at_max_p():
    ada = AdaController(target=0.6, ada_kimg=500, max_p=1.0)
    p = 0.9999
    for _ in range(10):
        p = ada.adjust(p, 1.0, 256)
        assert p <= 1.0
    assert p == 1.0
    assert ada.adjust(1.0, -1.0, 256) == pytest.approx(1.0 - STEP, abs=1e-15)  # reacts at once
    assert AdaController(max_p=0.5).adjust(0.4999, 1.0, 10 ** 6) == 0.5
    assert AdaController(max_p=math.inf).adjust(0.9999, 1.0, 256) > 1.0  # reference behaviour


def test_ada_kimg_and_num_images_scale_the_step():
    assert AdaController(ada_kimg=100).adjust(0.0, 1.0, 256) == pytest.approx(256 / 100000)
    assert AdaController(ada_kimg=500).adjust(0.0, 1.0, 512) == pytest.approx(2 * STEP)


@pytest.mark.parametrize("kwargs", [dict(target=-0.1), dict(target=1.5), dict(interval=0),
                                    dict(ada_kimg=0)])
def test_invalid_arguments(kwargs):
    with pytest.raises(ValueError):
        AdaController(**kwargs)


def test_observe_and_update_average_signs_over_the_interval():
    ada = AdaController(target=0.6, interval=4, ada_kimg=500)
    ada.observe([3.0, 4.0])   # Dmain: 3 of 4 reals with positive logits
    ada.observe([-2.0, 4.0])  # Dreg: mean over both is 1/8 < 0.6, so p goes down
    assert ada.update(0.5, 64) == pytest.approx(0.5 - 64 * 4 / 500000)
    np.testing.assert_array_equal(ada.signs.numpy(), [0.0, 0.0])
    assert ada.update(0.5, 64) == 0.5  # no statistics since the last update: p stays


def test_sign_statistics_survive_a_checkpoint(tmp_path):
    ada = AdaController()
    ada.observe([5.0, 8.0])
    tf.train.Checkpoint(ada=ada).write(str(tmp_path / "ckpt"))
    fresh = AdaController()
    tf.train.Checkpoint(ada=fresh).read(str(tmp_path / "ckpt")).assert_consumed()
    np.testing.assert_array_equal(fresh.signs.numpy(), [5.0, 8.0])
