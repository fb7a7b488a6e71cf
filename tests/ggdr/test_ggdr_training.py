"""GGDR in the training loop: the term's gradients, options, snapshot pictures, exact resume.

(The reference outputs of the networks, the loss and the feature augmentation are checked in
test_ggdr_reference.py; one replica vs two in tests/training/test_mirrored.py.)
"""

import json
import os
import pathlib
import subprocess
import sys

import keras
import numpy as np
import PIL.Image
import pytest
import tensorflow as tf

from tfgan_fs import feature_pictures
from tfgan_fs import rng
from tfgan_fs.augment import AugmentPipe, DiffAugment, augpipe_kwargs
from tfgan_fs.data import open_dataset
from resolve_options import build_options
from tfgan_fs.methods import BUILTIN, OptionsError, StepContext, StyleGAN2, StyleGAN2Config
from tfgan_fs.runs import checkpoints
from tfgan_fs.training.loop import Trainer

DATA = "builtin:shapes?resolution=16&count=64"
REPO = pathlib.Path(__file__).resolve().parents[2]


def ggdr_method(pipe=None, ggdr_res=8):
    keras.utils.set_random_seed(1)
    cfg = StyleGAN2Config(
        G_kwargs=dict(z_dim=16, w_dim=16, mapping_kwargs=dict(num_layers=1),
                      synthesis_kwargs=dict(channel_base=128, channel_max=8)),
        D_kwargs=dict(channel_base=128, channel_max=8, decoder_res=ggdr_res,
                      epilogue_kwargs=dict(mbstd_group_size=2)),
        reg_type="ggdr", ggdr_res=(ggdr_res,))
    return StyleGAN2(cfg, 16, 3, augment_pipe=pipe)


def test_ggdr_term_gradients_reach_d_encoder_and_decoder_not_g():
    pipe = AugmentPipe(**augpipe_kwargs("bgc"), initial_p=0.5)
    method = ggdr_method(pipe)
    dmain = next(p for p in method.phases() if p.name == "Dmain")
    term = next(t for t in method.terms_of(dmain) if type(t).__name__ == "GGDRLoss")
    real = tf.random.stateless_uniform([4, 16, 16, 3], [1, 2], -1, 1)
    variables = method.D.trainable_variables + method.G.trainable_variables
    with tf.GradientTape(persistent=True) as tape:
        ctx = StepContext(method, dmain, real, tf.zeros([4, 0]), tf.constant([3, 4], tf.int64),
                          term.needs, term.aligned_features)
        result = term(ctx)
        loss = tf.reduce_mean(result.loss)
    assert result.loss.shape == (4,) and set(result.stats) == {"Loss/D/ggdr"}
    assert 0 < float(loss) < 20  # 10 * (1 - cos), cos in [-1, 1]
    grads = {v.path: g for v, g in zip(variables, tape.gradient(loss, variables))}
    nonzero = {k for k, g in grads.items() if g is not None and float(tf.reduce_max(tf.abs(g)))}
    assert {"D/b8_dec/weight", "D/b8_dec/bias"} <= nonzero
    assert {k for k in grads if k.startswith("D/b16/") or k.startswith("D/b8/")} <= nonzero
    assert not any(k.startswith("D/b4/") for k in nonzero)  # the logit head is not involved
    # The targets are constants: no gradient flows into G through them.
    target_grads = tape.gradient(tf.reduce_sum(ctx.fake.aligned[8]), method.G.trainable_variables)
    assert all(g is None for g in target_grads)


def test_dmain_step_with_ggdr_trains_d_and_its_decoder_only():
    from tfgan_fs.training.step import make_phase_step
    method = ggdr_method(AugmentPipe(**augpipe_kwargs("bgc"), initial_p=0.5))
    method.build_optimizers()
    dmain = next(p for p in method.phases() if p.name == "Dmain")
    before = {v.path: v.numpy().copy() for net in (method.G, method.D) for v in net.weights}
    stats = make_phase_step(method, dmain, tf.distribute.get_strategy())(
        tf.zeros([4, 16, 16, 3], tf.uint8), tf.zeros([4, 0]), tf.constant([0, 0], tf.int64))
    assert "Loss/D/ggdr" in stats and "Loss/D/loss" in stats
    changed = {v.path for net in (method.G, method.D) for v in net.weights
               if not np.array_equal(v.numpy(), before[v.path])}
    assert {"D/b8_dec/weight", "D/b8_dec/bias", "D/b16/conv0/weight"} <= changed
    # (G's w_avg buffer moves in every phase that runs the mapping, as in the reference.)
    assert not changed & {v.path for v in method.G.trainable_variables}


def test_ggdr_decoder_learns_g_features_on_fixed_g():
    """The term's effect: D steps on a fixed G bring the decoder's maps toward G's features,
    so 10 (1 - cos) falls (seed 1: ~10 at the first step, ~4.5 over steps 30-39)."""
    from tfgan_fs.training.step import make_phase_step
    method = ggdr_method(AugmentPipe(**augpipe_kwargs("bgc"), initial_p=0.5))
    method.build_optimizers()
    dmain = next(p for p in method.phases() if p.name == "Dmain")
    step = make_phase_step(method, dmain, tf.distribute.get_strategy())
    real = tf.constant(np.random.RandomState(0).randint(0, 255, [4, 16, 16, 3]), tf.uint8)
    G_before = [v.numpy().copy() for v in method.G.trainable_variables]
    losses = []
    for i in range(40):
        total, count = step(real, tf.zeros([4, 0]), tf.constant([0, i], tf.int64))[
            "Loss/D/ggdr"].numpy()
        losses.append(total / count)
    assert all(np.array_equal(a, v.numpy()) for a, v in zip(G_before,
                                                            method.G.trainable_variables))
    first, last = np.mean(losses[:5]), np.mean(losses[-10:])
    assert first > 8 and last < 0.7 * first, (first, last)


def test_ggdr_targets_are_g_features_augmented_with_the_images():
    pipe = AugmentPipe(**augpipe_kwargs("bg"), initial_p=1.0)
    method = ggdr_method(pipe)
    dmain = next(p for p in method.phases() if p.name == "Dmain")
    ctx = StepContext(method, dmain, tf.zeros([4, 16, 16, 3]), tf.zeros([4, 0]),
                      tf.constant([5, 6], tf.int64), {"fake.decoder"}, (8,))
    target, pred = ctx.fake.aligned[8], ctx.fake.decoder[8]
    assert target.shape == pred.shape == (4, 8, 8, 8)
    # The same draws as D's image augmentation, applied to the generator's features.
    seed = rng.fold(ctx.seed_for("fake/D"), "augment")
    _, expected = pipe(ctx.gen.img, seed, features=[ctx.gen.features[8]])
    np.testing.assert_allclose(target.numpy(), expected[0].numpy(), rtol=0, atol=1e-6)
    assert np.abs(target.numpy() - ctx.gen.features[8].numpy()).mean() > 1e-3  # transformed


def test_ggdr_loss_hand_derived_values():
    from tfgan_fs.losses import ggdr_loss
    x = tf.random.stateless_normal([2, 4, 4, 6], [0, 1])
    orth_a = tf.concat([x[..., :3], tf.zeros_like(x[..., 3:])], -1)
    orth_b = tf.concat([tf.zeros_like(x[..., :3]), x[..., 3:]], -1)
    np.testing.assert_allclose(ggdr_loss({4: x}, {4: 3 * x}, [4]).numpy(), 0, atol=1e-5)
    np.testing.assert_allclose(ggdr_loss({4: x}, {4: -x}, [4]).numpy(), 20, atol=1e-4)
    np.testing.assert_allclose(ggdr_loss({4: orth_a}, {4: orth_b}, [4], weight=2).numpy(), 2,
                               atol=1e-5)
    # Two resolutions: the mean of the per-resolution losses.
    both = ggdr_loss({4: x, 8: x}, {4: -x, 8: x}, [4, 8]).numpy()
    np.testing.assert_allclose(both, 10, atol=1e-4)


def test_diffaugment_translates_features_with_the_image():
    pipe = DiffAugment("translation")
    x = tf.random.stateless_normal([6, 16, 16, 3], [2, 3])
    half = tf.constant(np.random.RandomState(0).randn(6, 8, 8, 2).astype(np.float32))
    out, feats = pipe(x, seed=tf.constant([7, 8], tf.int64), features={16: x, 8: half})
    np.testing.assert_array_equal(feats[16].numpy(), out.numpy())  # same map, same shift
    ty, tx = pipe._translation_shift(x, rng.fold(tf.constant([7, 8], tf.int64), "translation"), 6)
    assert len(set(ty.numpy().ravel()) | set(tx.numpy().ravel())) > 1
    for i in range(6):  # the half-resolution map moves by round(t / 2) pixels, zero fill
        dy, dx = int(np.round(ty[i, 0] / 2)), int(np.round(tx[i, 0] / 2))
        padded = np.pad(half.numpy()[i], [(8, 8), (8, 8), (0, 0)])
        expected = padded[8 + dy:16 + dy, 8 + dx:16 + dx]
        np.testing.assert_array_equal(feats[8].numpy()[i], expected)


def test_diffaugment_colour_and_cutout_leave_features():
    pipe = DiffAugment("color,cutout")
    f = tf.random.stateless_normal([2, 8, 8, 4], [0, 0])
    _, feats = pipe(tf.random.stateless_normal([2, 16, 16, 3], [1, 1]), seed=tf.constant(
        [1, 2], tf.int64), features=[f])
    np.testing.assert_array_equal(feats[0].numpy(), f.numpy())


def test_options_ggdr_flags():
    info = open_dataset(DATA).info
    base = dict(data=DATA, batch=4)
    opts = build_options({**base, "reg_type": "ggdr", "ggdr_res": 8}, info)
    assert opts.config.reg_type == "ggdr" and opts.config.ggdr_res == (8,)
    assert opts.config.ggdr_weight == 10 and opts.config.D_kwargs["decoder_res"] == 8
    assert opts.desc.endswith("-ggdr8")
    assert "decoder_res" not in build_options(base, info).config.D_kwargs
    with pytest.raises(OptionsError, match="--ggdr_res: must be a power of two between 8 and"):
        build_options({**base, "reg_type": "ggdr"}, info)  # default 64 > 16 px
    with pytest.raises(OptionsError, match="--ggdr_res: only valid with --reg_type=ggdr"):
        build_options({**base, "ggdr_res": 8}, info)
    with pytest.raises(OptionsError, match="--ggdr_weight: must be > 0"):
        build_options({**base, "reg_type": "ggdr", "ggdr_res": 8, "ggdr_weight": 0}, info)
    assert BUILTIN.options_from_json(opts.to_json()) == opts


def test_feature_picture_rows_and_colours():
    rs = np.random.RandomState(0)
    feats = rs.randn(3, 4, 4, 6)
    images = rs.randint(0, 255, [3, 16, 16, 3]).astype(np.uint8)
    picture = feature_pictures.feature_picture(images, feats, 2.5 * feats,  # scale-invariant
                                               min_tile=16)
    assert picture.shape == (48, 48, 3) and picture.dtype == np.uint8
    np.testing.assert_array_equal(picture[:16], np.concatenate(list(images), axis=1))
    np.testing.assert_array_equal(picture[16:32], picture[32:48])  # D row == G row
    assert len(np.unique(picture[16:32].reshape(-1, 3), axis=0)) > 10  # not a flat colour
    # Small tiles are enlarged by an integer factor (here 16 px -> 48 px).
    big = feature_pictures.feature_picture(images, feats, min_tile=40)
    assert big.shape == (2 * 48, 3 * 48, 3)
    np.testing.assert_array_equal(big[:48:3, :48:3], images[0])


def tiny_ggdr_options(kimg):
    args = dict(data=DATA, batch=4, cbase=128, cmax=8, map=1, mbstd_group=2, kimg=kimg,
                tick=0.004, snap=1, seed=5, max_images=8, p=0.3, ada_kimg=0.05,
                augpipe="blit", reg_type="ggdr", ggdr_res=8)
    return build_options(args, open_dataset(DATA).info)


def run(options, run_dir, **kwargs):
    run_dir.mkdir(parents=True, exist_ok=True)
    trainer = Trainer(options, run_dir, open_dataset(options.data), log=lambda *a: None,
                      **kwargs)
    trainer.run()
    return trainer


def test_ggdr_run_logs_loss_writes_pictures_and_resumes_exactly(tmp_path):
    reference = run(tiny_ggdr_options(0.012), tmp_path / "a")
    first = run(tiny_ggdr_options(0.004), tmp_path / "b")
    resumed = run(tiny_ggdr_options(0.012), tmp_path / "b", resume=tmp_path / "b")
    assert int(resumed.progress.nimg.numpy()) == 12
    lines = [json.loads(line) for line in (tmp_path / "a" / "stats.jsonl").read_text()
             .splitlines()]
    assert all(np.isfinite(r["Loss/D/ggdr"]) for r in lines)  # (falls: test above)
    assert (tmp_path / "a" / "gfeat000000.012.png").exists()
    assert (tmp_path / "b" / "gfeat000000.004.png").exists()
    expected = {v.path: v.numpy() for net in reference.method.networks.values()
                for v in net.weights}
    got = {v.path: v.numpy() for net in resumed.method.networks.values() for v in net.weights}
    assert "D/b8_dec/weight" in got and expected.keys() == got.keys()
    for key in expected:
        np.testing.assert_allclose(got[key], expected[key], rtol=1e-5, atol=1e-6, err_msg=key)
    # The decoder is part of D in the checkpoint: load_network("D") rebuilds it.
    D = checkpoints.load_network(tmp_path / "b", "D")
    np.testing.assert_array_equal(D.b8_dec.weight.numpy(), resumed.method.D.b8_dec.weight.numpy())
    del first

    # tools/visualize_features.py on the run: images, G features, D predictions.
    result = subprocess.run(
        [sys.executable, str(REPO / "tools" / "visualize_features.py"),
         f"--network={tmp_path / 'b'}", "--seeds=0-5", f"--outdir={tmp_path / 'vis'}"],
        capture_output=True, text=True, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
        timeout=600)
    assert result.returncode == 0, result.stderr
    assert "D's decoder predictions" in result.stdout
    picture = np.asarray(PIL.Image.open(tmp_path / "vis" / "gfeat_8.png"))
    assert picture.shape == (3 * 128, 6 * 128, 3)  # 16 px tiles enlarged 8x
    bad = subprocess.run(
        [sys.executable, str(REPO / "tools" / "visualize_features.py"),
         f"--network={tmp_path / 'b'}", "--res=12", f"--outdir={tmp_path / 'vis'}"],
        capture_output=True, text=True, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
        timeout=600)
    assert bad.returncode != 0 and "--res: [12] are not block resolutions" in bad.stderr


def test_freeze_d_counts_layers_as_without_decoder_and_decoder_trains():
    from tfgan_fs.networks import Discriminator
    kwargs = dict(c_dim=0, img_resolution=16, img_channels=3, channel_base=128, channel_max=8,
                  block_kwargs=dict(freeze_layers=3))
    plain = Discriminator(**kwargs, name="D")
    ggdr = Discriminator(**kwargs, decoder_res=16, name="D")
    frozen = lambda D: sorted(v.path for v in D.weights if not v.trainable)  # noqa: E731
    assert frozen(ggdr) == frozen(plain) and len(frozen(plain)) == 6  # 3 layers, w + b
    decoder = {v.path for v in ggdr.trainable_variables if "_dec/" in v.path}
    assert decoder == {f"D/b{r}_dec/{n}" for r in (8, 16) for n in ("weight", "bias")}
