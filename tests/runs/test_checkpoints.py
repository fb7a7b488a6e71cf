"""RunState checkpoints: exact round trip, atomic writes, pruning, clear errors, loading."""

import json

import numpy as np
import pytest
import tensorflow as tf

from tfgan_fs.methods import StyleGAN2, StyleGAN2Config
from tfgan_fs.runs import checkpoints
from tfgan_fs.training.step import make_phase_step


def tiny_method(cmax=8):
    cfg = StyleGAN2Config(
        G_kwargs=dict(z_dim=16, w_dim=16, mapping_kwargs=dict(num_layers=1),
                      synthesis_kwargs=dict(channel_base=64, channel_max=cmax)),
        D_kwargs=dict(channel_base=64, channel_max=cmax, epilogue_kwargs=dict(mbstd_group_size=2)))
    method = StyleGAN2(cfg, 8, 3)
    method.build_optimizers()
    return method


def train_one_round(method):
    images = tf.constant(np.random.RandomState(0).randint(0, 255, [2, 8, 8, 3]), tf.uint8)
    for phase in method.phases():
        make_phase_step(method, phase, tf.distribute.get_strategy())(
            images, tf.zeros([2, 0]), tf.constant([1, 2], tf.int64))


def all_values(method, progress):
    values = [v.numpy() for net in method.networks.values() for v in net.weights]
    values += [v.numpy() for opt in method.optimizers.values() for v in opt.variables]
    values += [v.numpy() for t in method.terms() for v in t.variables]
    values += [v.numpy() for v in (progress.nimg, progress.step, progress.tick)]
    return values


def test_save_and_restore_everything(tmp_path):
    method, progress = tiny_method(), checkpoints.Progress()
    train_one_round(method)
    progress.nimg.assign(1234)
    progress.step.assign(7)
    progress.tick.assign(2)
    saved = checkpoints.RunState(method, progress).save(tmp_path / "checkpoints")
    assert saved.name == "ckpt-000001234"
    assert (tmp_path / "checkpoints" / "latest").read_text() == "ckpt-000001234"
    assert json.loads((saved / "progress.json").read_text())["kimg"] == 1.234
    expected = all_values(method, progress)

    fresh, fresh_progress = tiny_method(), checkpoints.Progress()
    assert not all(np.array_equal(a, b) for a, b in zip(all_values(fresh, fresh_progress),
                                                        expected))
    restored = checkpoints.RunState(fresh, fresh_progress).restore(tmp_path)
    assert restored == saved
    for a, b in zip(all_values(fresh, fresh_progress), expected):
        np.testing.assert_array_equal(a, b)
    assert int(fresh.optimizers["D"].iterations.numpy()) == 2


def test_failed_write_keeps_previous_checkpoint(tmp_path, monkeypatch):
    method, progress = tiny_method(), checkpoints.Progress()
    state = checkpoints.RunState(method, progress)
    first = state.save(tmp_path)
    progress.nimg.assign(64)

    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(state.checkpoint, "write", crash)
    with pytest.raises(OSError, match="disk full"):
        state.save(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ckpt-000000000", "latest"]
    assert checkpoints.find_checkpoint(tmp_path) == first


def test_keep_prunes_oldest(tmp_path):
    method, progress = tiny_method(), checkpoints.Progress()
    state = checkpoints.RunState(method, progress)
    for nimg in (0, 32, 64, 96):
        progress.nimg.assign(nimg)
        state.save(tmp_path, keep=2)
    assert sorted(p.name for p in tmp_path.glob("ckpt-*")) == ["ckpt-000000064",
                                                               "ckpt-000000096"]


def test_mismatched_architecture_is_a_clear_error(tmp_path):
    method = tiny_method(cmax=8)
    checkpoints.RunState(method, checkpoints.Progress()).save(tmp_path)
    other = tiny_method(cmax=4)
    with pytest.raises(checkpoints.CheckpointError, match="does not match.*--cmax"):
        checkpoints.RunState(other, checkpoints.Progress()).restore(tmp_path)
    with pytest.raises(checkpoints.CheckpointError, match="does not match"):
        checkpoints.restore_weights({"G": other.G}, tmp_path)


def test_missing_checkpoint_errors(tmp_path):
    with pytest.raises(checkpoints.CheckpointError, match="does not exist"):
        checkpoints.find_checkpoint(tmp_path / "nope")
    with pytest.raises(checkpoints.CheckpointError, match="no checkpoint"):
        checkpoints.find_checkpoint(tmp_path)
    (tmp_path / "latest").write_text("ckpt-000000001")
    with pytest.raises(checkpoints.CheckpointError, match="missing or incomplete"):
        checkpoints.find_checkpoint(tmp_path)


def test_load_network_rebuilds_g_ema_with_weights(tmp_path):
    method = tiny_method()
    train_one_round(method)
    for v in method.G_ema.weights:
        v.assign(v + 0.5)
    checkpoints.RunState(method, checkpoints.Progress()).save(tmp_path / "run" / "checkpoints")
    G = checkpoints.load_network(tmp_path / "run", "G_ema")
    z = tf.random.normal([2, 16])
    np.testing.assert_allclose(G(z, noise_mode="const").numpy(),
                               method.G_ema(z, noise_mode="const").numpy(), rtol=1e-6)
    D = checkpoints.load_network(tmp_path / "run", "D")
    img = tf.random.normal([2, 8, 8, 3])
    np.testing.assert_allclose(D(img).numpy(), method.D(img).numpy(), rtol=1e-6)
    with pytest.raises(checkpoints.CheckpointError, match="no network"):
        checkpoints.load_network(tmp_path / "run", "E")
