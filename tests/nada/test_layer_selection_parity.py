"""StyleGAN-NADA's layer choices against the authors' code (fixtures/README.md, "Layer
choices": rinongal/StyleGAN-nada dc8406a `SG2Generator.get_training_layers` and
`ZSSGAN.determine_opt_layers` run on a small 256 x 256 rosinality generator).

The generator is the fixture's rosinality `g_ema` state dict converted with
`tfgan_fs.convert.rosinality.build_generator`; rosinality layer names are mapped onto ours
with the converter's own layout table (`rosinality_layout.generator_pairs`).
"""

import dataclasses
import json
import pathlib
import zlib

import numpy as np
import pytest
import tensorflow as tf

from tfgan_fs import rng
from tfgan_fs.clip import clip_preprocess
from tfgan_fs.convert import rosinality_layout as layout
from tfgan_fs.convert.rosinality import build_generator
from tfgan_fs.methods.nada.config import NADAConfig
from tfgan_fs.methods.nada.method import (
    NADA,
    layer_variables,
    phase_layers,
    selection_candidates,
)

FIXTURES = pathlib.Path(__file__).parent / "fixtures"
# The reference's phase argument -> ours (`--phase`); None is its default (train_options).
PHASE_NAMES = {"None": "default", "texture": "texture", "shape": "shape", "no_fine": "no_fine",
               "shape_expanded": "shape_expanded", "all": "all"}
# The layer weights mean |w_opt - w_init| per W+ index (4e-6 .. 1.2e-4 here): float32
# gradients through a 256 x 256 synthesis and bicubic resizes in another op order. Largest
# relative difference measured: 1.6e-4; the fixture's k-th and (k+1)-th scores are >= 2.7%
# apart, so the choice itself is not a matter of tolerance.
SCORE_RTOL = 1e-3
# Stub embeddings of the first rendered image (|values| up to 5.8): largest difference
# measured 9.5e-6 (32 px) / 4.8e-6 (16 px).
EMB_ATOL = 2e-4


@pytest.fixture(scope="module")
def ref():
    info = json.loads((FIXTURES / "nada_layers.json").read_text())
    arrays = dict(np.load(FIXTURES / "nada_layers.npz"))
    state = dict(np.load(FIXTURES / "nada_layers_g_ema.npz"))
    return info, arrays, state


@pytest.fixture(scope="module")
def G(ref):
    info, _, state = ref
    G = build_generator(state, name="G_ema")
    s = info["settings"]
    assert (G.img_resolution, G.w_dim, G.num_ws) == (s["size"], s["style_dim"], s["n_latent"])
    return G


def rosinality_names(G, n_mlp):
    """{id(our layer): rosinality layer name} from the converter's parameter table: a
    modulated layer is named by its affine ('convs.3.conv.modulation.weight' <->
    'synthesis.b16.conv1.affine.weight'); rosinality's constant `input` is our 4x4 block
    (whose trainable part `layer_variables` takes to be its const, as the reference's
    ConstantInput)."""
    blocks = {b.name: b for b in G.synthesis.blocks}
    names = {id(blocks["b4"]): "input"}
    suffix_ros, suffix_ours = ".conv.modulation.weight", ".affine.weight"
    for ros, ours, _ in layout.generator_pairs(G.img_resolution, n_mlp):
        if ros.endswith(suffix_ros):
            _, block, layer = ours[:-len(suffix_ours)].split(".")  # synthesis.b16.conv1
            names[id(getattr(blocks[block], layer))] = ros[:-len(suffix_ros)]
    return names


def numel(layer):
    return int(sum(np.prod(v.shape) for v in layer_variables(layer)))


# ---------------------------------------------------------------------------- --phase

@pytest.mark.parametrize("ref_phase", list(PHASE_NAMES))
def test_phase_layers_match_get_training_layers(ref, G, ref_phase):
    info, _, _ = ref
    expected = info["phases"][ref_phase]
    names = rosinality_names(G, info["settings"]["n_mlp"])
    layers = phase_layers(G, PHASE_NAMES[ref_phase])
    got = [names[id(layer)] for layer in layers]
    # Deliberate difference: 'all' also unfreezes the mapping (`style.*`), which gets no
    # gradient in the reference either (its ws come from the frozen generator's mapping).
    mapping = [name for name in expected["trained_layers"] if name.startswith("style.")]
    assert mapping == ([f"style.{i + 1}" for i in range(info["settings"]["n_mlp"])]
                       if ref_phase == "all" else [])
    want = [name for name in expected["trained_layers"] if name not in mapping]
    assert got == want
    # the same parameters, counted per layer (const, weights, affine, noise strength, bias)
    by_layer = expected["trained_numel_by_layer"]
    assert {names[id(layer)]: numel(layer) for layer in layers} == {n: by_layer[n] for n in want}
    assert sum(numel(layer) for layer in layers) == expected["trained_numel"] - sum(
        by_layer[n] for n in mapping)


def test_selection_candidates_are_idx_to_layer(ref, G):
    info, _, _ = ref
    names = rosinality_names(G, info["settings"]["n_mlp"])
    candidates = [names[id(layer)] for layer in selection_candidates(G)]
    convs = [f"convs.{i}" for i in range(info["settings"]["n_latent"] - 2)]
    assert candidates == ["conv1", "to_rgb1"] + convs  # all_layers[2:4] + list(all_layers[4])
    assert len(candidates) == G.num_ws


# ---------------------------------------------------------------------------- auto layers

class StubClip:
    """The fixture script's StubCLIP on our side: `encode_images` = NCHW-flattened
    `clip_preprocess(images, n_px)` @ P, `encode_texts` = the CRC32-seeded vectors."""

    def __init__(self, n_px, seed, emb_dim):
        n = 3 * n_px * n_px
        proj = np.random.default_rng(seed).standard_normal((n, emb_dim), dtype=np.float32)
        self.proj = tf.constant(proj / np.float32(np.sqrt(n)))
        self.input_size, self.emb_dim = n_px, emb_dim

    def encode_images(self, images):
        x = tf.transpose(clip_preprocess(images, size=self.input_size), [0, 3, 1, 2])
        return tf.reshape(x, [tf.shape(x)[0], -1]) @ self.proj

    def encode_texts(self, texts):
        return np.stack([np.random.default_rng(zlib.crc32(t.encode())).standard_normal(
            self.emb_dim).astype(np.float32) for t in texts])


def stub_models(settings):
    return [(StubClip(settings["stub_n_px"][m], settings["stub_projection_seed"][m],
                      settings["stub_emb_dim"]), w)
            for m, w in zip(settings["clip_models"], settings["clip_model_weights"])]


def initial_w_codes(arrays, num_ws):
    """The reference's `initial_w_codes`: the fixed W [N, w_dim] repeated over W+."""
    return tf.tile(tf.constant(arrays["w"])[:, None], [1, num_ws, 1])


def test_noise_is_off(G):
    # the reference draws fresh noise in every selection step: the fixture's strengths are 0
    strengths = [v for v in G.weights if v.name == "noise_strength"]
    assert strengths and all(float(v.numpy()) == 0.0 for v in strengths)


def test_rendered_image_embeddings_match(ref, G):
    """Our conversion + synthesis + preprocessing + stub encoder on the fixed W+ agree with
    what the reference's CLIP models received in the first selection step."""
    info, arrays, _ = ref
    img = G.synthesis(initial_w_codes(arrays, G.num_ws), noise_mode="const")
    for (clip, _), name in zip(stub_models(info["settings"]), info["settings"]["clip_models"]):
        np.testing.assert_allclose(clip.encode_images(img).numpy(),
                                   arrays[f"iters1_k1_emb_{name}"][0], atol=EMB_ATOL)


@pytest.fixture(scope="module")
def nada(ref, G):
    """NADA on the converted generator with the stub CLIP models (one build for all cases:
    each case sets `auto_layer_iters` / `auto_layer_k` in its config, which is all that
    `select_layers_from` reads of it)."""
    info, _, _ = ref
    s = info["settings"]
    config = NADAConfig(network="(given)", source_class=s["source_class"],
                        target_class=s["target_class"], clip_models=tuple(s["clip_models"]),
                        clip_model_weights=tuple(s["clip_model_weights"]),
                        auto_layer_k=1, auto_layer_iters=1,
                        auto_layer_batch=s["auto_layer_batch"])
    return NADA(config, stub_models(s), source=G, log=lambda *a: None)


CASES = [c["key"] for c in json.loads((FIXTURES / "nada_layers.json").read_text())[
    "determine_opt_layers"]]


@pytest.mark.parametrize("key", CASES)
def test_adaptive_selection_matches_determine_opt_layers(ref, nada, key):
    info, arrays, _ = ref
    case = next(c for c in info["determine_opt_layers"] if c["key"] == key)
    nada.config = dataclasses.replace(nada.config, auto_layer_k=case["auto_layer_k"],
                                      auto_layer_iters=case["auto_layer_iters"])
    chosen, score = nada.select_layers_from(initial_w_codes(arrays, nada.G.num_ws),
                                            lambda i: rng.make_seed(0, f"noise{i}"))
    np.testing.assert_allclose(score.numpy(), arrays[f"{key}_layer_weights"], rtol=SCORE_RTOL)
    assert chosen.numpy().tolist() == case["chosen_indices"]
    # the layers the step trains: `selection` over the candidate groups, by rosinality name
    names = rosinality_names(nada.G, info["settings"]["n_mlp"])
    candidates = selection_candidates(nada.G)
    assert [[id(v) for v in vs] for vs in nada.group_variables] == [
        [id(v) for v in layer_variables(layer)] for layer in candidates]
    selected = [names[id(candidates[i])] for i in np.flatnonzero(nada.selection.numpy())]
    assert sorted(selected) == sorted(case["chosen_layers"])
    assert sorted(selected) == sorted(case["trained_layers_after_forward"])
