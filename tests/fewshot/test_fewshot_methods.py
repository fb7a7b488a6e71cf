"""MixDL and CDC as methods: mixup coefficients, schedules, where the distance terms' gradients
go, options and their errors, anchors across --resume."""

import dataclasses

import keras
import numpy as np
import pytest
import tensorflow as tf

from tfgan_fs.data import open_dataset
from tfgan_fs.methods import BUILTIN, OptionsError, ResolveEnv, StepContext
from tfgan_fs.methods.mixdl import mixup_coefficients
from tfgan_fs.runs import checkpoints
from tfgan_fs.training.loop import Trainer
from tfgan_fs.training.resume import check_resume_args

DATA = "builtin:shapes?resolution=16&count=16"
SMALL = dict(cbase=128, cmax=8, map=1, batch=4, aug="noaug", kimg=1, max_images=10)


@pytest.fixture(scope="module")
def info():
    return open_dataset(DATA).info


def options(info, **args):
    env = ResolveEnv(info=info, init_from=bool(args.pop("init_from", None)))
    return BUILTIN.resolve({"data": DATA, **SMALL, **args}, env)


def method_of(opts, seed=0):
    keras.utils.set_random_seed(seed)
    opts.config.G_kwargs.update(z_dim=8, w_dim=8)
    return BUILTIN.get(opts.method).build(opts, open_dataset(DATA))


def run_term(method, phase_name, term_type, variables):
    phase = next(p for p in method.phases() if p.name == phase_name)
    term = next(t for t in method.terms_of(phase) if type(t).__name__ == term_type)
    real = tf.random.stateless_uniform([4, 16, 16, 3], [1, 2], -1, 1)
    with tf.GradientTape() as tape:
        ctx = StepContext(method, phase, real, tf.zeros([4, 0]), tf.constant([3, 4], tf.int64))
        result = term(ctx)
    grads = tape.gradient(result.loss, variables)
    reached = {v.path for v, g in zip(variables, grads)
               if g is not None and float(tf.reduce_max(tf.abs(g))) > 0}
    return result, reached


# --- mixup coefficients -------------------------------------------------------------------------

@pytest.mark.parametrize("dir_div", [1.0, 4.0])
def test_dirichlet_rows_sum_to_one_with_the_configured_concentration(dir_div):
    n = 4
    alpha = np.concatenate([mixup_coefficients(tf.constant([s, 7], tf.int64), n, "dirichlet",
                                               dir_div).numpy() for s in range(1500)])
    np.testing.assert_allclose(alpha.sum(1), 1, atol=1e-5)
    assert (alpha >= 0).all()
    # Dirichlet(a, ..., a), a = 1 / dir_div: E = 1/n, Var = (n - 1) / (n^2 (n a + 1)).
    a = 1.0 / dir_div
    var = (n - 1) / (n ** 2 * (n * a + 1))
    assert alpha.mean() == pytest.approx(1 / n, abs=1e-6)
    assert alpha.var() == pytest.approx(var, rel=0.08)  # 6000 rows


def test_gaussian_and_uniform_mixup_rows():
    seed = tf.constant([1, 2], tf.int64)
    g = mixup_coefficients(seed, 4, "gaussian").numpy()
    u = mixup_coefficients(seed, 4, "uniform").numpy()
    np.testing.assert_allclose(g.sum(1), 1, atol=1e-6)
    np.testing.assert_allclose(u.sum(1), 1, atol=1e-6)
    assert (u > 0).all() and (g > 0).all()


# --- schedules ----------------------------------------------------------------------------------

def test_mixdl_schedule_and_r1_on_patch_logits(info):
    method = method_of(options(info, method="mixdl"))
    phases = {p.name: p for p in method.phases()}
    assert list(phases) == ["Gmix", "Gmain", "Greg", "Dmix", "Dmain", "Dreg"]
    runs = {name: [s for s in range(8) if p.runs_at(s)] for name, p in phases.items()}
    assert runs["Gmix"] == runs["Dmix"] == [0, 2, 4, 6]
    assert runs["Gmain"] == runs["Dmain"] == [1, 3, 5, 7]
    assert runs["Greg"] == [0, 4] and runs["Dreg"] == [0]
    assert phases["Dreg"].discriminator == "patch" and phases["Dmix"].discriminator == "patch"
    assert phases["Dmain"].discriminator == "image"
    assert [p.loss_scale for p in phases.values()] == [1, 1, 4, 1, 1, 16]


def test_cdc_schedule_and_r1_on_image_logits(info):
    opts = options(info, method="cdc", init_from="x")
    method = method_of(opts)
    phases = {p.name: p for p in method.phases()}
    assert list(phases) == ["Ganchor", "Gmain", "Greg", "Danchor", "Dmain", "Dreg"]
    assert [s for s in range(8) if phases["Gmain"].runs_at(s)] == [1, 2, 3, 5, 6, 7]
    assert phases["Dmain"].discriminator == "patch"
    assert phases["Dreg"].discriminator == "image" == phases["Danchor"].discriminator
    dist = [type(t).__name__ for t in method.terms() if type(t).__name__ == "CrossDomainDistance"]
    assert len(dist) == 2  # every G step
    assert method.D.patch_heads == 1


# --- gradients ----------------------------------------------------------------------------------

def test_mixdl_generator_distance_reaches_synthesis_and_mapping(info):
    method = method_of(options(info, method="mixdl"))
    result, reached = run_term(method, "Gmix", "MixupGeneratorDistance",
                               method.G.trainable_variables)
    assert set(result.stats) == {"Loss/G/dist"} and float(result.loss) > 0
    assert any(p.startswith("G/mapping/") for p in reached)
    assert any(p.startswith("G/synthesis/b16/") for p in reached)


def test_mixdl_discriminator_distance_reaches_d_and_projection_head(info):
    method = method_of(options(info, method="mixdl"))
    variables = method.D.trainable_variables + method.G.trainable_variables
    result, reached = run_term(method, "Dmix", "MixupDiscriminatorDistance", variables)
    assert set(result.stats) == {"Loss/D/dist"} and float(result.loss) >= 0
    assert {"D/proj/weight", "D/b4/fc/weight", "D/b16/conv0/weight"} <= reached
    assert not any("patch" in p for p in reached)
    dmix = next(p for p in method.phases() if p.name == "Dmix")
    assert all(v.path.startswith("D/") for v in dmix.trainables())  # D steps train only D


def test_mixdl_patch_adversarial_loss_reaches_one_patch_head(info):
    method = method_of(options(info, method="mixdl"))
    result, reached = run_term(method, "Dmix", "DiscriminatorMainLoss",
                               method.D.trainable_variables)
    assert {"Loss/D/patch", "Loss/D/loss"} <= set(result.stats)
    # Reals and fakes each draw one head (the reference's p_ind per D call): 1 or 2 of 3.
    assert 1 <= len({p.split("/")[1] for p in reached if "/patch" in p}) <= 2
    assert "D/b4/out/weight" not in reached  # patch logits stop before the epilogue


@pytest.mark.parametrize("name,phase", [("mixdl", "Dmix"), ("cdc", "Dmain")])
def test_ggdr_joins_the_patch_level_d_phases(info, name, phase):
    opts = options(info, method=name, init_from="x", reg_type="ggdr", ggdr_res=8)
    method = method_of(opts)
    phase = next(p for p in method.phases() if p.name == phase)
    terms = method.terms_of(phase)
    assert phase.discriminator == "patch" and "GGDRLoss" in [type(t).__name__ for t in terms]
    term = next(t for t in terms if type(t).__name__ == "GGDRLoss")
    real = tf.random.stateless_uniform([4, 16, 16, 3], [1, 2], -1, 1)
    ctx = StepContext(method, phase, real, tf.zeros([4, 0]), tf.constant([3, 4], tf.int64),
                      term.needs, term.aligned_features)
    loss = term(ctx).loss
    assert loss.shape == (4,) and np.all(np.isfinite(loss))


def test_cdc_distance_reaches_adapted_g_not_the_frozen_source(info):
    method = method_of(options(info, method="cdc", init_from="x"))
    method.on_init_from()
    variables = method.G.trainable_variables + method.G_source.weights
    result, reached = run_term(method, "Gmain", "CrossDomainDistance", variables)
    assert float(result.loss) == pytest.approx(0, abs=1e-3)  # G == G_source: same similarities
    for v in method.G.trainable_variables:  # move G away from the source
        v.assign(v + 0.3 * tf.random.stateless_normal(v.shape, [9, 9]))
    result, reached = run_term(method, "Gmain", "CrossDomainDistance", variables)
    assert float(result.loss) > 1e-4
    assert any(p.startswith("G/mapping/") for p in reached)
    assert any(p.startswith("G/synthesis/") for p in reached)
    assert not any(p.startswith("G_source/") for p in reached)
    assert not method.G_source.trainable_variables


# --- options ------------------------------------------------------------------------------------

def test_fewshot_option_errors_name_the_flag(info):
    with pytest.raises(OptionsError, match="--batch: .*10 image"):
        options(info, method="mixdl", batch=16)
    with pytest.raises(OptionsError, match="--init_from"):
        options(info, method="cdc")
    with pytest.raises(OptionsError, match="--mixup_every: must divide"):
        options(info, method="mixdl", mixup_every=3)
    with pytest.raises(OptionsError, match="--method=mixdl does not read --subspace_std"):
        options(info, method="mixdl", subspace_std=0.2)
    with pytest.raises(OptionsError, match="--dir_div: must be > 0"):
        options(info, method="mixdl", dir_div=0)
    with pytest.raises(OptionsError, match="--feat_const_batch: must be >= 3"):
        options(info, method="cdc", init_from="x", feat_const_batch=2)
    with pytest.raises(OptionsError, match="--patch_heads: must be between 1 and 3"):
        options(info, method="mixdl", patch_heads=4)
    opts = options(info, method="mixdl", kl_wt=10)
    assert opts.config.kl_wt == 10 and opts.config.D_kwargs["projection_dim"] == 8
    assert opts.config.D_kwargs["patch_heads"] == 3  # all candidates at 16x16: (8, 4)
    again = BUILTIN.options_from_json(opts.to_json())
    assert again == opts


def test_cdc_run_resumes_with_its_own_flags(info):
    # effective.flags has no --init_from (it is exclusive with --resume); ada_kimg is given,
    # so the run's record alone must say that it started from a source.
    run_flags = {"data": DATA, **SMALL, "aug": "ada", "ada_kimg": 50.0, "method": "cdc"}
    saved = BUILTIN.resolve(run_flags, ResolveEnv(info=info, init_from=True))
    check_resume_args(BUILTIN, saved, run_flags, run_flags, info)  # no error
    with pytest.raises(OptionsError, match="--kl_wt"):
        check_resume_args(BUILTIN, saved, run_flags, {**run_flags, "kl_wt": 5.0}, info)


def test_cdc_source_of_another_resolution_is_a_clear_error(tmp_path, info):
    source = options(info, max_images=None)
    data32 = open_dataset("builtin:shapes?resolution=32&count=16")
    trainer = Trainer(dataclasses.replace(source, data="builtin:shapes?resolution=32&count=16"),
                      tmp_path / "src", data32, log=lambda *a: None)
    trainer.state.save(tmp_path / "src" / "checkpoints")
    with pytest.raises(checkpoints.CheckpointError, match="32x32 images but the training data "
                       "is 16x16"):
        checkpoints.check_source_resolution(tmp_path / "src" / "checkpoints", 16)


def test_cdc_anchors_are_saved_and_survive_resume(tmp_path, info):
    data = open_dataset(DATA)
    src = Trainer(options(info, max_images=None), tmp_path / "src", data, log=lambda *a: None)
    src.state.save(tmp_path / "src" / "checkpoints")
    opts = options(info, method="cdc", init_from="x", seed=5)
    first = Trainer(opts, tmp_path / "a", data, init_from=tmp_path / "src" / "checkpoints",
                    log=lambda *a: None)
    np.testing.assert_array_equal(  # the source generator is the source run's G_ema
        first.method.G_source.weights[0].numpy(), src.method.G_ema.weights[0].numpy())
    anchors = first.method.anchors.numpy()
    first.method.anchors.assign(anchors + 1.0)  # as if drawn differently: the file must win
    first.state.save(tmp_path / "a" / "checkpoints")
    resumed = Trainer(dataclasses.replace(opts, seed=6), tmp_path / "b", data,
                      resume=tmp_path / "a" / "checkpoints", log=lambda *a: None)
    np.testing.assert_array_equal(resumed.method.anchors.numpy(), anchors + 1.0)


def test_mixdl_with_ada_resumes_exactly(tmp_path, info):
    # 12 steps uninterrupted vs 5 + 7 after --resume (a resume in a plain slot of the cycle).
    def run(run_dir, kimg, resume=None):
        opts = options(info, method="mixdl", aug="ada", p=0.3, ada_kimg=0.05, augpipe="blit",
                       kimg=kimg, tick=0.016, snap=1, cond=True, max_images=8, seed=3)
        run_dir.mkdir(parents=True, exist_ok=True)
        trainer = Trainer(opts, run_dir, open_dataset(DATA), resume=resume, log=lambda *a: None)
        trainer.run()
        return trainer

    def values(trainer):
        m = trainer.method
        out = {f"{n}/{v.path}": v.numpy() for n, net in m.networks.items() for v in net.weights}
        out.update({f"opt{n}/{i}": v.numpy() for n, o in m.optimizers.items()
                    for i, v in enumerate(o.variables)})
        out["p"] = trainer.method.augment_pipe.p.numpy()
        return out

    reference = values(run(tmp_path / "a", 0.048))
    run(tmp_path / "b", 0.02)
    resumed = values(run(tmp_path / "b", 0.048, resume=tmp_path / "b"))
    assert reference.keys() == resumed.keys()
    for key in reference:
        np.testing.assert_allclose(resumed[key], reference[key], rtol=1e-5, atol=1e-6,
                                   err_msg=key)
