"""StyleGAN-NADA as a method: which layers train (phases, adaptive selection), the selective Adam
against PyTorch's Adam, the CLIP wrapper, options and their errors, exact --resume."""

import dataclasses
import pathlib

import keras
import numpy as np
import pytest
import tensorflow as tf

from conftest import make_source_generator
from resolve_options import build_options
from tfgan_fs.clip import ClipLoadError, ClipModel
from tfgan_fs.methods import BUILTIN, OptionsError
from tfgan_fs.methods.nada import (NADA, NADAConfig, load_clip_models, phase_layers,
                                   selection_candidates)
from tfgan_fs.methods.optimizers import SelectiveAdam
from tfgan_fs.runs import checkpoints
from tfgan_fs.training.loop import Trainer
from tfgan_fs.training.step import make_phase_step

BATCH = 2


def make_nada(tiny_clip, seed=0, **overrides):
    cfg = NADAConfig(network="unused", source_class="photo", target_class="sketch",
                     clip_models=(tiny_clip,), auto_layer_batch=2, **overrides)
    method = NADA(cfg, load_clip_models(cfg.clip_models, cfg.clip_model_weights, log=print),
                  source=make_source_generator(seed), log=print)
    method.build_optimizers()
    return method


def snapshot(variables):
    return {v.path: v.numpy().copy() for v in variables}


def changed(before, variables):
    return {v.path for v in variables if not np.array_equal(before[v.path], v.numpy())}


def step_fn(method):
    return make_phase_step(method, method.phases()[0], tf.distribute.get_strategy(),
                           batch_size=BATCH)


# --- which layers are trained ----------------------------------------------------------------------

def layer_names(method, layers):
    return [method._layer_name(layer) for layer in layers]


def test_phase_sets_and_selection_candidates_follow_the_reference_layer_lists():
    # 64x64: conv1 + 8 convs (b8..b64, two each), to_rgb1 + 4 to_rgbs; rosinality's
    # get_training_layers slices `convs` (the convs of blocks 8.. in order).
    G = make_source_generator(img_resolution=64)
    method = type("M", (), {"G": G, "_layer_name": NADA._layer_name})()
    convs = [f"b{r}.conv{i}" for r in (8, 16, 32, 64) for i in (0, 1)]
    base = ["input", "b4.conv1"]
    assert layer_names(method, phase_layers(G, "default")) == base + convs
    assert layer_names(method, phase_layers(G, "texture")) == base + convs[2:10]
    assert layer_names(method, phase_layers(G, "shape")) == base + convs[:2]
    assert layer_names(method, phase_layers(G, "no_fine")) == base + convs[:10]
    assert layer_names(method, phase_layers(G, "shape_expanded")) == base + convs[:3]
    rgbs = [f"b{r}.torgb" for r in (8, 16, 32, 64)]
    assert layer_names(method, phase_layers(G, "all")) == base + ["b4.torgb"] + convs + rgbs
    # idx_to_layer = [conv1, to_rgb1] + convs: one entry per W+ index (num_ws = 10 at 64x64).
    candidates = layer_names(method, selection_candidates(G))
    assert candidates == ["b4.conv1", "b4.torgb"] + convs
    assert len(candidates) == G.num_ws
    with pytest.raises(ValueError, match="unknown phase"):
        phase_layers(G, "everything")


def test_without_selection_mapping_and_to_rgb_stay_bit_identical(tiny_clip):
    method = make_nada(tiny_clip, auto_layer_iters=0)
    G = method.G
    frozen_parts = G.mapping.weights + [v for b in G.synthesis.blocks for v in b.torgb.weights]
    before = snapshot(G.weights)
    frozen_before = snapshot(method.G_frozen.weights)
    step = step_fn(method)
    for i in range(2):
        step(None, None, tf.constant([0, i], tf.int64))
    moved = changed(before, G.weights)
    assert not moved & {v.path for v in frozen_parts}
    assert G.synthesis.blocks[0].const.path in moved
    convs = {v.path for v in G.synthesis.trainable_variables
             if "torgb" not in v.path and "const" not in v.path}
    assert convs <= moved  # every synthesis conv of the default phase trained
    assert not changed(frozen_before, method.G_frozen.weights)


def test_layer_selection_trains_only_the_selected_layers(tiny_clip):
    method = make_nada(tiny_clip, auto_layer_iters=1, auto_layer_k=2)
    step = step_fn(method)
    for i in range(3):
        before = snapshot(method.G.weights)
        step(None, None, tf.constant([1, i], tf.int64))
        mask = method.selection.numpy()
        assert mask.sum() == 2
        selected = {v.path for g, vs in enumerate(method.group_variables) if mask[g]
                    for v in vs}
        assert changed(before, method.G.weights) == selected
    assert step.experimental_get_tracing_count() == 1


def test_the_selection_tensor_changes_the_trained_set_without_a_retrace(tiny_clip):
    method = make_nada(tiny_clip, auto_layer_iters=0)  # no prepare: the test sets the mask
    step = step_fn(method)
    groups = method.group_variables
    for i, on in enumerate([[0, 2], [1], [3, 4, 5]]):
        mask = np.zeros(len(groups), np.float32)
        mask[on] = 1
        method.selection.assign(mask)
        before = snapshot(method.G.weights)
        step(None, None, tf.constant([2, i], tf.int64))
        assert changed(before, method.G.weights) == {v.path for g in on for v in groups[g]}
    assert step.experimental_get_tracing_count() == 1


def test_the_directional_loss_falls_on_a_fixed_batch(tiny_clip):
    method = make_nada(tiny_clip, auto_layer_iters=0, lr=0.01)
    step = step_fn(method)
    seed = tf.constant([5, 5], tf.int64)  # the same latents and noise every step
    values = []
    for _ in range(12):
        total, count = step(None, None, seed)["Loss/clip/direction"].numpy()
        values.append(total / count)
    assert values[-1] < values[0] - 0.05, values


def test_the_global_loss_trains_g_alone_and_adds_to_the_directional_one(tiny_clip):
    # --lambda_global alone: L = 1 - cos(E_I(G(w)), E_T("a sketch")) falls on a fixed batch.
    method = make_nada(tiny_clip, auto_layer_iters=0, lr=0.01, lambda_direction=0.0,
                       lambda_global=1.0)
    step = step_fn(method)
    seed = tf.constant([5, 5], tf.int64)
    values = []
    for _ in range(12):
        stats = {k: v.numpy() for k, v in step(None, None, seed).items()}
        assert "Loss/clip/direction" not in stats
        values.append(stats["Loss/clip/global"][0] / stats["Loss/clip/global"][1])
        np.testing.assert_allclose(stats["Loss/G/loss"], stats["Loss/clip/global"], rtol=1e-6)
    assert values[-1] < values[0] - 0.02, values
    # Both terms: L = lambda_direction L_dir + lambda_global L_glob.
    method = make_nada(tiny_clip, auto_layer_iters=0, lambda_direction=0.5, lambda_global=2.0)
    stats = {k: v.numpy()[0] / v.numpy()[1] for k, v in step_fn(method)(None, None, seed).items()}
    assert stats["Loss/clip/global"] > 0.01 and stats["Loss/clip/direction"] > 0.01
    assert stats["Loss/G/loss"] == pytest.approx(
        0.5 * stats["Loss/clip/direction"] + 2.0 * stats["Loss/clip/global"], rel=1e-5)


# --- the optimizer -------------------------------------------------------------------------------

def torch_adam(x, grads, masks, lr, b1, b2, eps):
    """NumPy PyTorch Adam where a masked-off step leaves param, moments and step alone."""
    x = x.copy()
    m = np.zeros_like(x)
    v = np.zeros_like(x)
    t = 0
    for g, on in zip(grads, masks):
        if not on:
            continue
        t += 1
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        denom = np.sqrt(v) / np.sqrt(1 - b2 ** t) + eps
        x = x - lr / (1 - b1 ** t) * m / denom
    return x


def test_selective_adam_is_pytorch_adam_with_per_variable_steps():
    rs = np.random.RandomState(0)
    a = keras.Variable(rs.randn(3).astype(np.float32), name="a")
    b = keras.Variable(rs.randn(2, 2).astype(np.float32), name="b")
    start = [a.numpy(), b.numpy()]
    selection = tf.Variable([1.0, 1.0], trainable=False)
    opt = SelectiveAdam(learning_rate=0.01, beta_1=0.5, beta_2=0.9, epsilon=1e-8,
                        selection=selection, groups={a.path: 0, b.path: 1})
    opt.build([a, b])
    masks = [[1, 1], [0, 1], [1, 0], [0, 0], [1, 1]]
    grads = [[rs.randn(3).astype(np.float32), rs.randn(2, 2).astype(np.float32)]
             for _ in masks]
    for g, mask in zip(grads, masks):
        selection.assign(np.array(mask, np.float32))
        opt.apply_gradients(zip([tf.constant(x) for x in g], [a, b]))
    for i, var in enumerate([a, b]):
        expected = torch_adam(start[i], [g[i] for g in grads], [m[i] for m in masks],
                              0.01, 0.5, 0.9, 1e-8)
        np.testing.assert_allclose(var.numpy(), expected, rtol=1e-5, atol=1e-6)


def test_nada_adam_uses_the_reference_learning_rate_and_betas(tiny_clip):
    method = make_nada(tiny_clip, auto_layer_iters=0, lr=0.002)
    opt = method.optimizers["G"]
    np.testing.assert_allclose(float(opt.learning_rate), 0.002 * 4 / 5, rtol=1e-6)
    assert opt.beta_1 == 0.0
    np.testing.assert_allclose(opt.beta_2, 0.99 ** 0.8, rtol=1e-6)


# --- CLIP -----------------------------------------------------------------------------------------

def test_clip_model_embeds_texts_and_differentiable_images(tiny_clip):
    clip = ClipModel.from_preset(tiny_clip)
    texts = clip.encode_texts(["a photo of a dog.", "a sketch of a cat."] * 20)  # 2 batches
    assert texts.shape == (40, clip.embedding_dim)
    np.testing.assert_allclose(texts[0], texts[2], rtol=1e-5, atol=1e-6)
    assert np.abs(texts[0] - texts[1]).max() > 1e-4
    tokens = clip.tokenize(["a photo"]).numpy()[0]
    assert tokens.shape == (77,)
    assert tokens[0] == clip.preprocessor.tokenizer.start_token_id
    assert tokens.argmax() == np.flatnonzero(tokens)[-1]  # end token last and highest
    img = tf.Variable(tf.random.stateless_uniform([2, 20, 24, 3], [0, 1], -1, 1))
    with tf.GradientTape() as tape:
        emb = clip.encode_images(img)
        total = tf.reduce_sum(emb)
    assert emb.shape == (2, clip.embedding_dim)
    grad = tape.gradient(total, img)
    assert float(tf.reduce_max(tf.abs(grad))) > 0


def test_clip_presets_that_do_not_exist_give_clear_errors(tmp_path):
    with pytest.raises(ClipLoadError, match="neither a folder nor a keras-hub CLIP preset"):
        ClipModel.from_preset(str(tmp_path / "missing"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(ClipLoadError, match="no config.json"):
        ClipModel.from_preset(str(tmp_path / "empty"))


def test_a_zero_weight_drops_the_model(tiny_clip):
    models = load_clip_models([tiny_clip, "/does/not/exist"], [1.0, 0.0], log=print)
    assert len(models) == 1 and models[0][1] == 1.0
    assert load_clip_models([tiny_clip], [0.0], log=print) == []
    with pytest.raises(ValueError, match="at least one CLIP model"):
        NADA(NADAConfig(clip_models=(tiny_clip,)), [], log=print)


# --- options ---------------------------------------------------------------------------------------

def nada_args(source_run, tiny_clip, **extra):
    return {"method": "nada", "network": source_run, "clip_models": [tiny_clip],
            "source_class": "photo", "target_class": "sketch", **extra}


@pytest.mark.parametrize("extra, flag, message", [
    (dict(target_class="Photo "), "target_class", "no direction between identical texts"),
    (dict(phase="everything"), "phase", "must be one of default, texture"),
    (dict(network="/no/such/run"), "network", "does not exist"),
    (dict(clip_model_weights=["1", "1"]), "clip_model_weights", "2 weight"),
    (dict(clip_model_weights=["0"]), "clip_model_weights", "weight > 0"),
    (dict(clip_model_weights=["heavy"]), "clip_model_weights", "list of floats"),
    (dict(mixing=1.5), "mixing", r"in \[0, 1\]"),
    (dict(iter=0), "iter", ">= 1"),
    (dict(kimg=5), "kimg", "does not read --kimg"),
    (dict(style_img_dir="/no/such/dir"), "style_img_dir", "not a directory"),
])
def test_bad_nada_flags_name_the_flag(source_run, tiny_clip, extra, flag, message):
    with pytest.raises(OptionsError, match=rf"--{flag}.*{message}|{message}"):
        build_options(nada_args(source_run, tiny_clip, **extra), None)


def test_nada_options_schedule_in_iterations_and_json_round_trip(source_run, tiny_clip):
    opts = build_options(nada_args(source_run, tiny_clip, iter=301, batch=2,
                                   output_interval=50), None)
    schedule = opts.schedule
    assert (schedule.unit, schedule.total, schedule.tick, schedule.snap) == ("iter", 301, 50, 1)
    assert opts.data is None and opts.method == "nada" and opts.batch_size == 2
    assert opts.config.clip_model_weights == (1.0,)
    again = BUILTIN.options_from_json(opts.to_json())
    assert again == opts and again.config.target_class == "sketch"


# --- a run: files, exact resume ------------------------------------------------------------------

def train(opts, run_dir, resume=None):
    trainer = Trainer(opts, run_dir, None, resume=resume, log=lambda *a, **k: None)
    trainer.run()
    return trainer


def test_a_nada_run_writes_before_after_pictures_and_resumes_exactly(source_run, tiny_clip,
                                                                     tmp_path):
    args = nada_args(source_run, tiny_clip, batch=BATCH, output_interval=2, auto_layer_k=2)
    straight = train(build_options({**args, "iter": 4}, None), tmp_path / "straight")
    first = train(build_options({**args, "iter": 2}, None), tmp_path / "split")
    assert sorted(p.name for p in (tmp_path / "split").glob("nada*.png"))
    resumed = train(dataclasses.replace(
        first.options, schedule=dataclasses.replace(first.options.schedule, total=4)),
                    tmp_path / "split", resume=tmp_path / "split")
    for a, b in zip(straight.method.G.weights, resumed.method.G.weights):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=0, atol=1e-6, err_msg=a.path)
    np.testing.assert_array_equal(straight.method.selection.numpy(),
                                  resumed.method.selection.numpy())
    # The adapted G is the run's G_ema for generate.py / export.py.
    G = checkpoints.load_network(tmp_path / "split", "G_ema")
    for a, b in zip(G.weights, resumed.method.G.weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


# --- sources, image targets, style mixing ---------------------------------------------------------

FIXTURES = pathlib.Path(__file__).resolve().parents[1] / "convert" / "fixtures"


def test_an_official_pickle_is_converted_on_the_fly(tiny_clip):
    from tfgan_fs.convert import convert_pickle
    cfg = NADAConfig(network=str(FIXTURES / "pt_uncond32.pkl"), clip_models=(tiny_clip,),
                     source_class="photo", target_class="sketch", auto_layer_iters=0)
    method = NADA(cfg, load_clip_models(cfg.clip_models, cfg.clip_model_weights, log=print),
                  log=print)
    official = convert_pickle(cfg.network, log=print).networks["G_ema"]
    for a, b, c in zip(method.G.weights, method.G_frozen.weights, official.weights):
        np.testing.assert_array_equal(a.numpy(), c.numpy())
        np.testing.assert_array_equal(b.numpy(), c.numpy())
    assert method.G.img_resolution == 32


def test_style_images_replace_the_text_direction(tiny_clip, tmp_path):
    from PIL import Image
    from tfgan_fs import losses, rng
    from tfgan_fs.clip import preprocess_pil
    style = tmp_path / "style"
    style.mkdir()
    rs = np.random.RandomState(0)
    for i, size in enumerate([(40, 30), (24, 24)]):
        Image.fromarray(rs.randint(0, 255, size + (3,)).astype(np.uint8)).save(
            style / f"s{i}.png")
    (style / "notes.txt").write_text("not an image")
    method = make_nada(tiny_clip, auto_layer_iters=0, style_img_dir=str(style),
                       img2img_batch=3)
    clip = method.clip_models[0][0]
    # By hand: the source images as NADA draws them, CLIP's PIL preprocessing for the style.
    z = rng.normal(rng.make_seed(0, "img2img"), [3, method.z_dim], batched=False)
    generated = method.G_frozen(z, tf.zeros([3, 0]), noise_mode="random",
                                noise_seed=rng.make_seed(0, "img2img/noise"))
    gen = clip.encode_images(generated).numpy()
    sty = clip.encode_image_arrays([preprocess_pil(style / f"s{i}.png", clip.input_size)
                                    for i in range(2)])
    unit = lambda x: x / np.linalg.norm(x, axis=-1, keepdims=True)  # noqa: E731
    expected = unit(unit(sty).mean(0) - unit(gen).mean(0))
    np.testing.assert_allclose(method.directions[0].numpy()[0], expected, atol=1e-5)
    text = losses.text_direction(clip.encode_texts(["a photo"]), clip.encode_texts(["a sketch"]))
    assert np.abs(method.directions[0].numpy() - text.numpy()).max() > 1e-3


def test_style_mixing_takes_the_ws_after_one_crossover_from_a_second_latent(tiny_clip):
    method = make_nada(tiny_clip, auto_layer_iters=0, mixing=1.0)
    z = tf.random.stateless_normal([3, method.z_dim], [1, 2])
    ws = method.frozen_mapping(z, tf.zeros([3, 0]), tf.constant([4, 4], tf.int64)).numpy()
    plain = method.G_frozen.mapping(z, tf.zeros([3, 0])).numpy()
    same = np.all(np.isclose(ws, plain, atol=1e-6), axis=(0, 2))  # per W+ entry
    cutoff = int(np.argmin(same))
    assert 1 <= cutoff < method.G.num_ws and same[:cutoff].all() and not same[cutoff:].any()
    no_mix = make_nada(tiny_clip, auto_layer_iters=0, mixing=0.0)
    np.testing.assert_allclose(
        no_mix.frozen_mapping(z, tf.zeros([3, 0]), tf.constant([4, 4], tf.int64)).numpy(),
        plain, atol=1e-6)
