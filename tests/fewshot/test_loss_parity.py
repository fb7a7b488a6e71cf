"""One D step and one G step of our MixDL and CDC against the authors' training code, with the
same weights and the same draws: every loss term and the gradient norm of every parameter group
within 1e-4 relative (fixtures/README.md, "One-step loss parity": reyllama/mixdl 668d158
`train_mixdl.py`, utkarshojha/few-shot-gan-adaptation 5617920 `train.py`, their networks with
512 channels shrunk to 32, at 64x64, run on the CPU)."""

import dataclasses
import json
import pathlib
import zlib

import keras
import numpy as np
import pytest
import tensorflow as tf

from tests.resolve_options import build_options
from tfgan_fs.convert import rosinality_layout as layout
from tfgan_fs.convert.weights import assign_state, pt_name
from tfgan_fs.data import open_dataset
from tfgan_fs.methods import BUILTIN, StepContext
from tfgan_fs.methods.fewshot import fix_draws

FIXTURES = pathlib.Path(__file__).parent / "fixtures"
DATA = "builtin:shapes?resolution=64&count=8"
RTOL = 1e-4
# Our flags for the fixture's networks: rosinality's channel table / 16 is channel_base 2048,
# channel_max 32; n_mlp 2; batch 4 (minibatch-std group 4, as min(batch, 4)); no augmentation.
FLAGS = dict(data=DATA, cbase=2048, cmax=32, map=2, batch=4, aug="noaug", kimg=1, fp32=True)
# MixDL's and CDC's Patch_Discriminator take their patch maps at 32x32 and 16x16 whatever the
# size (`shape[2] == 32 or shape[2] == 16`); our default at 64x64 would be (8, 4).
PATCH_RES = [32, 16]


@pytest.fixture(scope="module")
def ref():
    return dict(np.load(FIXTURES / "parity.npz"))


@pytest.fixture(scope="module")
def meta():
    return json.loads((FIXTURES / "parity.json").read_text())


# --- the fixture's weights (make_parity_fixtures.py: det_value, det_images) --------------------

def det_value(prefix, name, shape, lr_mlp):
    rs = np.random.RandomState(zlib.crc32(f"{prefix}:{name}".encode()))
    x = rs.standard_normal(shape)
    if name.endswith("noise.weight"):
        x = np.zeros(shape)
    elif name.startswith("style."):
        x = (x if name.endswith(".weight") else 0.1 * x) / lr_mlp
    elif name.endswith("modulation.bias"):
        x = 1.0 + 0.1 * x
    elif name.endswith("bias"):
        x = 0.1 * x
    return x.astype(np.float32)


def real_images(meta):
    n, size = meta["batch"], meta["size"]
    rs = np.random.RandomState(zlib.crc32(b"real"))
    return rs.uniform(-1.0, 1.0, (n, 3, size, size)).astype(np.float32).transpose(0, 2, 3, 1)


def state(meta, method, prefix):
    """{rosinality name: value} of network `prefix`, checked against the script's checksums."""
    out = {}
    for name, rec in meta["weights"][method][prefix].items():
        value = det_value(prefix, name, tuple(rec["shape"]), meta["lr_mlp"])
        v = value.astype(np.float64)
        assert v.sum() == pytest.approx(rec["sum"], rel=1e-9, abs=1e-9), name
        assert (v ** 2).sum() == pytest.approx(rec["sumsq"], rel=1e-9), name
        out[name] = value
    return out


def generator_names(meta):
    """{rosinality name: our (StyleGAN2-ADA) name} of G."""
    return {ros: ours for ros, ours, _ in layout.generator_pairs(meta["size"], meta["n_mlp"])}


def discriminator_names(meta, patch_heads):
    """{rosinality name: our name} of Patch_Discriminator and Extra (with the script's 'extra.'
    prefix): the lead's layout, plus `sim_linear` -> `proj` (MixDL's projection head) and
    `Extra.new_conv[i]` (ConvLayer: EqualConv2d `.0`, FusedLeakyReLU `.1`) -> `patch{i}`."""
    names = {ros: ours for ros, ours, _ in layout.discriminator_pairs(meta["size"])}
    names.update({"sim_linear.weight": "proj.weight", "sim_linear.bias": "proj.bias"})
    for i in range(patch_heads):
        names[f"extra.new_conv.{i}.0.weight"] = f"patch{i}.weight"
        names[f"extra.new_conv.{i}.1.bias"] = f"patch{i}.bias"
    return names


def load_generator(G, meta, method, prefix):
    st = state(meta, method, prefix)
    renamed = layout.rename(st, layout.generator_pairs(meta["size"], meta["n_mlp"]),
                            layout.generator_blur_buffers(meta["size"]), prefix)
    renamed["mapping.w_avg"] = np.zeros([G.w_dim], np.float32)
    assign_state(G, renamed, prefix)


def load_discriminator(D, meta, method, prefix):
    st = state(meta, method, prefix + "/d")
    st.update({f"extra.{k}": v for k, v in state(meta, method, prefix + "/extra").items()})
    names = discriminator_names(meta, D.patch_heads)
    assign_state(D, {ours: st[ros] for ros, ours in names.items() if ros in st}, prefix)


# --- our methods ------------------------------------------------------------------------------

def build_method(meta, name):
    info = open_dataset(DATA).info
    flags = dict(FLAGS, method=name, init_from="x" if name == "cdc" else None)
    opts = build_options(flags, info)
    opts.config.G_kwargs.update(z_dim=meta["latent"], w_dim=meta["latent"])
    opts.config.D_kwargs.update(patch_res=PATCH_RES, patch_heads=4 if name == "mixdl" else 1)
    if name == "cdc":
        # The reference's `random.random()` in mixing_noise was fixed to 0.95 >= 0.9 (no style
        # mixing: its 10% branch); here: no style mixing either.
        opts.config.style_mixing_prob = 0.0
    keras.utils.set_random_seed(0)
    method = BUILTIN.get(name).build(opts, open_dataset(DATA))
    load_generator(method.G, meta, name, f"{name}/g")
    load_discriminator(method.D, meta, name, name)
    if name == "cdc":
        load_generator(method.G_source, meta, name, "cdc/g_source")
    assert method.G.synthesis.num_layers == 9 and method.G.num_ws == 10  # rosinality's 9, 10
    return method


@pytest.fixture(scope="module")
def mixdl(meta):
    return build_method(meta, "mixdl")


@pytest.fixture(scope="module")
def cdc(meta):
    return build_method(meta, "cdc")


class ReplayContext(StepContext):
    """A step context that replays the reference's base-level draws: the latents of the
    ordinary fakes (`gen_z`, CDC's patch steps) and the patch head of each D forward, by
    stream ('real' / 'fake'); the methods' own draws are set with `fix_draws`."""

    def __init__(self, *args, gen_z=None, patch_heads=None, **kwargs):
        super().__init__(*args, **kwargs)
        self._gen_z = gen_z
        self.patch_heads = dict(patch_heads or {})

    @property
    def gen_z(self):
        assert self._gen_z is not None, "this step was expected not to use gen_z"
        return tf.constant(self._gen_z)

    def run_D(self, img, c, stream, **kwargs):
        out = super().run_D(img, c, stream, **kwargs)
        if out.patch_index is None:
            return out
        return dataclasses.replace(out, patch_index=tf.constant(self.patch_heads[stream],
                                                                tf.int32))


TERMS = {"GeneratorMainLoss": "adv", "DiscriminatorMainLoss": "adv",
         "MixupGeneratorDistance": "dist", "MixupDiscriminatorDistance": "dist",
         "CrossDomainDistance": "dist"}


def run_step(method, phase_name, real, draws, gen_z=None, patch_heads=None):
    """({'adv'|'dist'|'total': loss}, {term: [grad per variable]}, variables, ctx) of one phase
    step, computed as training/step.py does (sum of the terms' means times loss_scale)."""
    phase = next(p for p in method.phases() if p.name == phase_name)
    terms = method.terms_of(phase)
    assert sorted(TERMS[type(t).__name__] for t in terms) in (["adv"], ["adv", "dist"])
    variables = [v for _, vs in phase.optimizer_groups() for v in vs]
    sources = [v.value for v in variables]
    with tf.GradientTape(persistent=True, watch_accessed_variables=False) as tape:
        tape.watch(sources)
        ctx = ReplayContext(method, phase, tf.constant(real), tf.zeros([len(real), 0]),
                            tf.constant([3, 4], tf.int64),
                            frozenset().union(*(t.needs for t in terms)),
                            frozenset().union(*(t.aligned_features for t in terms)),
                            gen_z=gen_z, patch_heads=patch_heads)
        fix_draws(ctx, draws)
        losses = {TERMS[type(t).__name__]: tf.reduce_mean(tf.cast(t(ctx).loss, tf.float32))
                  for t in terms}
    assert phase.loss_scale == 1
    grads = {k: tape.gradient(loss, sources, unconnected_gradients=tf.UnconnectedGradients.ZERO)
             for k, loss in losses.items()}
    losses["total"] = tf.add_n(list(losses.values()))
    grads["total"] = [tf.add_n(list(g)) for g in zip(*grads.values())]
    return ({k: float(v) for k, v in losses.items()},
            {k: [g.numpy().astype(np.float64) for g in gs] for k, gs in grads.items()},
            variables, ctx)


def group_of(name):
    """Parameter group of one of our (StyleGAN2-ADA) names: the mapping, each synthesis
    block, each D block (b4 = the epilogue), each patch head, the projection head."""
    parts = name.split(".")
    return ".".join(parts[:2]) if parts[0] == "synthesis" else parts[0]


def compare_grads(ref, meta, step, network, names, grads, variables, terms):
    """Group norms of our gradients vs the reference's per-parameter norms (noise strengths
    left out: their gradients are the random noise inputs' correlations, drawn differently on
    each side); returns {(term, group): relative error}."""
    ref_names = meta["grad_params"][step]
    ours_by_name = {pt_name(network, v): i for i, v in enumerate(variables)}
    compared = set()
    errors = {}
    for term in terms:
        ref_sq, our_sq = {}, {}
        norms = ref[f"{step}_grad_{term}"]
        for ros, norm in zip(ref_names, norms):
            if ros.endswith("noise.weight"):
                continue
            if ros not in names:  # Extra's heads that our D does not have (CDC: heads 1-3)
                assert norm == 0, (step, term, ros, norm)  # never used by the reference
                continue
            ours = names[ros]
            g = grads[term][ours_by_name[ours]]
            group = group_of(ours)
            ref_sq[group] = ref_sq.get(group, 0.0) + float(norm) ** 2
            our_sq[group] = our_sq.get(group, 0.0) + float((g ** 2).sum())
            compared.add(ours)
        for group in ref_sq:
            r, o = np.sqrt(ref_sq[group]), np.sqrt(our_sq[group])
            if r == 0:
                assert o == 0, (step, term, group, o)
                errors[(term, group)] = 0.0
            else:
                errors[(term, group)] = abs(o - r) / r
    expected = {n for n in (pt_name(network, v) for v in variables)
                if not n.endswith("noise_strength")}
    assert compared == expected, sorted(expected ^ compared)  # every trained variable compared
    return errors


def check(ref, step, losses, errors):
    for term, value in losses.items():
        expected = float(ref[f"{step}_loss_{term}"])
        assert value == pytest.approx(expected, rel=RTOL), (step, term, value, expected)
    bad = {k: v for k, v in errors.items() if v > RTOL}
    assert not bad, f"{step}: gradient group norms off by more than {RTOL} (relative): {bad}"


def print_report(step, losses, ref, errors):
    rel = {k: abs(v - float(ref[f"{step}_loss_{k}"])) / abs(float(ref[f"{step}_loss_{k}"]))
           for k, v in losses.items()}
    print(f"\n{step}: loss rel err {rel}; max grad-group rel err per term "
          f"{ {t: max(e for (tt, _), e in errors.items() if tt == t) for t, _ in errors} }")


# --- MixDL: iteration 2 (a mixup iteration; no R1, no path-length step) ------------------------

def test_mixdl_discriminator_step(ref, meta, mixdl):
    step = "mixdl_d"
    losses, grads, variables, ctx = run_step(
        mixdl, "Dmix", real_images(meta),
        {"gen/z": ref[f"{step}_z"], "mixup/alpha": ref[f"{step}_alpha"]},
        patch_heads={"real": int(ref[f"{step}_patch_real"]),
                     "fake": int(ref[f"{step}_patch_fake"])})
    # the patch logits of the drawn heads (localises a difference before the losses)
    np.testing.assert_allclose(ctx.real.patches[int(ref[f"{step}_patch_real"])],
                               ref[f"{step}_real_logits"], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(ctx.fake.patches[int(ref[f"{step}_patch_fake"])],
                               ref[f"{step}_fake_logits"], rtol=1e-4, atol=1e-5)
    real_part = float(tf.reduce_mean(ctx.real.per_image(lambda x: tf.nn.softplus(-x))))
    assert real_part == pytest.approx(float(ref[f"{step}_loss_real"]), rel=RTOL)
    errors = compare_grads(ref, meta, step, mixdl.D, discriminator_names(meta, 4), grads,
                           variables, ["adv", "dist", "total"])
    print_report(step, losses, ref, errors)
    check(ref, step, losses, errors)


def test_mixdl_generator_step(ref, meta, mixdl):
    step = "mixdl_g"
    losses, grads, variables, ctx = run_step(
        mixdl, "Gmix", real_images(meta),
        {"gen/z": ref[f"{step}_z"], "gdist/z": ref[f"{step}_dist_z"],
         "mixup/alpha": ref[f"{step}_alpha"], "gdist/layer": ref[f"{step}_layer"]},
        patch_heads={"fake": int(ref[f"{step}_patch_fake"])})
    np.testing.assert_allclose(ctx.fake.patches[int(ref[f"{step}_patch_fake"])],
                               ref[f"{step}_fake_logits"], rtol=1e-4, atol=1e-5)
    errors = compare_grads(ref, meta, step, mixdl.G, generator_names(meta), grads, variables,
                           ["adv", "dist", "total"])
    print_report(step, losses, ref, errors)
    check(ref, step, losses, errors)


# --- CDC: iteration 1 (patch-level D) and 4 (anchors, image-level D); no R1 --------------------

@pytest.mark.parametrize("i", [1, 4])
def test_cdc_discriminator_step(ref, meta, cdc, i):
    step = f"cdc{i}_d"
    anchor = i % 4 == 0
    losses, grads, variables, ctx = run_step(
        cdc, "Danchor" if anchor else "Dmain", real_images(meta),
        {"anchors/z": ref[f"{step}_z"]} if anchor else {},
        gen_z=None if anchor else ref[f"{step}_z"], patch_heads={"real": 0, "fake": 0})
    real_logits = ctx.real.logits if anchor else ctx.real.patches[0]
    np.testing.assert_allclose(real_logits, ref[f"{step}_real_logits"], rtol=1e-4, atol=1e-5)
    for part, fn in [("real", lambda x: tf.nn.softplus(-x)), ("fake", tf.nn.softplus)]:
        value = float(tf.reduce_mean(getattr(ctx, part).per_image(fn)))
        assert value == pytest.approx(float(ref[f"{step}_loss_{part}"]), rel=RTOL), part
    errors = compare_grads(ref, meta, step, cdc.D, discriminator_names(meta, 1), grads,
                           variables, ["adv", "total"])
    losses.pop("total")  # = adv: the reference's step has no other D term here
    print_report(step, losses, ref, errors)
    check(ref, step, losses, errors)


@pytest.mark.parametrize("i", [1, 4])
def test_cdc_generator_step(ref, meta, cdc, i):
    step = f"cdc{i}_g"
    anchor = i % 4 == 0
    draws = {"dist/z": ref[f"{step}_dist_z"], "dist/layer": ref[f"{step}_layer"]}
    if anchor:
        draws["anchors/z"] = ref[f"{step}_z"]
    losses, grads, variables, _ = run_step(
        cdc, "Ganchor" if anchor else "Gmain", real_images(meta), draws,
        gen_z=None if anchor else ref[f"{step}_z"], patch_heads={"fake": 0})
    errors = compare_grads(ref, meta, step, cdc.G, generator_names(meta), grads, variables,
                           ["adv", "dist", "total"])
    print_report(step, losses, ref, errors)
    check(ref, step, losses, errors)
