"""StarGAN v2 training recipe: each loss against a hand computation, R1 against finite
differences, the lambda_ds schedule and its checkpoint, which networks each phase steps, and
PyTorch's Adam with L2 weight decay."""

import numpy as np
import pytest
import tensorflow as tf

from tfgan_fs import rng
from tfgan_fs.methods import StepContext, TorchAdam
from tfgan_fs.methods.stargan_v2 import StarGANv2, StarGANv2Config
from tfgan_fs.training.step import make_phase_step

B, SIZE = 4, 16
TINY = dict(img_size=SIZE, num_domains=3, latent_dim=4, hidden_dim=8, style_dim=4, w_hpf=0,
            max_conv_dim=16, dim_in=8)


def make_method(**kwargs):
    method = StarGANv2(StarGANv2Config(**{**TINY, **kwargs}), log=lambda *a: None)
    method.build_optimizers()
    return method


def make_batch(seed=0):
    r = np.random.RandomState(seed)
    img = lambda: tf.constant(r.uniform(-1, 1, (B, SIZE, SIZE, 3)).astype(np.float32))  # noqa
    return (img(), tf.constant([0, 1, 2, 0]), img(), img(), tf.constant([1, 2, 0, 2]))


def softplus(x):
    return np.logaddexp(0.0, np.asarray(x, np.float64))


@pytest.fixture(scope="module")
def method():
    return make_method(lambda_sty=1.5, lambda_ds=2.0, lambda_cyc=0.7, lambda_reg=1.3)


def run_terms(method, phase_name, batch, step_seed):
    """{term name: per-sample loss} and the merged stats of one phase, eagerly."""
    phase = [p for p in method.phases() if p.name == phase_name][0]
    real_img, real_c, inputs = method.batch_inputs(batch)
    ctx = StepContext(method, phase, real_img, real_c, rng.fold(step_seed, phase.name),
                      inputs=inputs, step_seed=step_seed)
    results = {term.name: term(ctx) for term in method.terms_of(phase)}
    return ({k: r.loss.numpy() for k, r in results.items()},
            {k: np.asarray(v) for r in results.values() for k, v in r.stats.items()})


@pytest.mark.parametrize("mode", ["latent", "ref"])
def test_losses_match_hand_computation(method, mode):
    batch = make_batch()
    x, y_org, x_ref, x_ref2, y_trg = (np.asarray(t) for t in batch)
    step_seed = tf.constant([3, 7], tf.int64)
    G, F, E, D = (method.networks[k] for k in ("generator", "mapping_network", "style_encoder",
                                                "discriminator"))
    if mode == "latent":
        z1, z2 = (rng.normal(rng.fold(step_seed, name), [B, 4]) for name in ("z_trg", "z_trg2"))
        s1, s2 = F(z1, y_trg).numpy(), F(z2, y_trg).numpy()
    else:
        s1, s2 = E(x_ref, y_trg).numpy(), E(x_ref2, y_trg).numpy()
    fake1, fake2 = G(x, s1).numpy(), G(x, s2).numpy()

    d_losses, _ = run_terms(method, f"D{mode}", batch, step_seed)
    expected_d = softplus(-D(x, y_org).numpy()) + softplus(D(fake1, y_trg).numpy())
    np.testing.assert_allclose(d_losses[f"DiscriminatorAdversarialLoss_{mode}"], expected_d,
                               rtol=1e-5, atol=1e-5)

    g_losses, stats = run_terms(method, f"G{mode}", batch, step_seed)
    np.testing.assert_allclose(g_losses[f"GeneratorAdversarialLoss_{mode}"],
                               softplus(-D(fake1, y_trg).numpy()), rtol=1e-5, atol=1e-5)
    sty = np.abs(E(fake1, y_trg).numpy() - s1).mean(axis=1)
    np.testing.assert_allclose(g_losses[f"StyleReconstructionLoss_{mode}"], 1.5 * sty,
                               rtol=1e-4, atol=1e-5)
    ds = np.abs(fake1 - fake2).reshape(B, -1).mean(axis=1)
    np.testing.assert_allclose(g_losses[f"DiversitySensitiveLoss_{mode}"], -2.0 * ds,
                               rtol=1e-4, atol=1e-5)
    rec = G(fake1, E(x, y_org)).numpy()
    cyc = np.abs(rec - x).reshape(B, -1).mean(axis=1)
    np.testing.assert_allclose(g_losses[f"CycleConsistencyLoss_{mode}"], 0.7 * cyc,
                               rtol=1e-4, atol=1e-5)
    assert float(stats["Loss/G/lambda_ds"]) == pytest.approx(2.0)
    # The reference's torch.mean over the whole batch is the mean of the per-sample means.
    assert np.mean(stats[f"Loss/G/{mode}_ds"]) == pytest.approx(np.abs(fake1 - fake2).mean(),
                                                                 rel=1e-4)


def test_r1_matches_finite_differences(method):
    """R1 = lambda_reg * 0.5 * ||grad_x D_y(x)||^2; D (no normalisation, LReLU, average
    pooling) is piecewise linear in x, so central differences give its gradient."""
    batch = make_batch(1)
    losses, stats = run_terms(method, "Dlatent", batch, tf.constant([0, 0], tf.int64))
    x, y = np.asarray(batch[0][:1]), np.asarray(batch[1][:1])
    D = method.networks["discriminator"]
    n, h = x.size, 1e-2
    eye = np.eye(n, dtype=np.float32).reshape((n,) + x.shape[1:]) * h
    plus = D(tf.constant(x + eye), tf.constant(np.repeat(y, n))).numpy()
    minus = D(tf.constant(x - eye), tf.constant(np.repeat(y, n))).numpy()
    grad = (plus.astype(np.float64) - minus) / (2 * h)
    expected = 0.5 * np.sum(grad ** 2)
    assert stats["Loss/D/latent_reg"][0] == pytest.approx(expected, rel=2e-2)
    assert losses["R1Penalty"][0] == pytest.approx(1.3 * expected, rel=2e-2)


def test_lambda_ds_decays_linearly_and_is_checkpointed(tmp_path):
    method = make_method(lambda_ds=2.0, ds_iter=8)
    values, prefix = [], None
    for step in range(12):
        values.append(float(method.lambda_ds.numpy()))
        method.end_iteration(step, batch_size=8)
        if step == 2:
            prefix = tf.train.Checkpoint(**method.checkpoint_items()).write(
                str(tmp_path / "state"))
    expected = [max(0.0, 2.0 * (1 - k / 8)) for k in range(12)]
    np.testing.assert_allclose(values, expected, atol=1e-12)
    # As the reference: it stops once it is no longer > 0 (never a negative diversity weight).
    assert min(values) > -1e-12

    restored = make_method(lambda_ds=2.0, ds_iter=8)
    assert float(restored.lambda_ds.numpy()) == 2.0
    tf.train.Checkpoint(**restored.checkpoint_items()).read(prefix).assert_consumed()
    assert float(restored.lambda_ds.numpy()) == pytest.approx(2.0 * (1 - 3 / 8), abs=1e-12)


@pytest.mark.parametrize("flag", [False, True])
def test_reference_guided_step_trains_style_encoder_only_with_the_flag(flag):
    method = make_method(ref_step_style_encoder=flag)
    phase = [p for p in method.phases() if p.name == "Gref"][0]
    before = {k: [v.numpy().copy() for v in net.weights] for k, net in method.networks.items()}
    make_phase_step(method, phase, tf.distribute.get_strategy())(
        *make_batch(), tf.constant([0, 0], tf.int64))

    def changed(key):
        return any(not np.array_equal(a, v.numpy())
                   for a, v in zip(before[key], method.networks[key].weights))

    assert changed("generator")
    assert changed("style_encoder") == flag
    assert not changed("mapping_network") and not changed("discriminator")
    for key in ("generator_ema", "mapping_network_ema", "style_encoder_ema"):
        assert not changed(key)  # the loop updates the EMA copies, not the phase


def test_phases_step_the_reference_networks():
    method = make_method()
    groups = {p.name: {key: len(vs) for key, vs in p.optimizer_groups()}
              for p in method.phases()}
    n = {k: len(method.networks[k].trainable_weights) for k in
         ("generator", "mapping_network", "style_encoder", "discriminator")}
    assert groups == {"Dlatent": {"D": n["discriminator"]}, "Dref": {"D": n["discriminator"]},
                      "Glatent": {"G": n["generator"], "F": n["mapping_network"],
                                  "E": n["style_encoder"]},
                      "Gref": {"G": n["generator"]}}
    opt = method.optimizers
    assert float(opt["F"].learning_rate) == pytest.approx(1e-6)
    assert all(float(opt[k].learning_rate) == pytest.approx(1e-4) for k in "GED")
    assert all((opt[k].beta_1, opt[k].beta_2, opt[k].l2) == (0.0, 0.99, 1e-4) for k in "GFED")
    assert method.ema_beta(None, 0) == 0.999


def test_torch_adam_matches_hand_computation():
    """Two steps of PyTorch's Adam with weight_decay (L2 added to the gradient)."""
    x0 = np.array([0.5, -1.0, 2.0], np.float32)
    grads = [np.array([0.1, -0.2, 0.0], np.float32), np.array([0.3, 0.1, -0.5], np.float32)]
    var = tf.Variable(x0)
    opt = TorchAdam(0.01, 0.5, 0.9, 1e-8, l2=0.1)
    x, m, v = x0.astype(np.float64), 0.0, 0.0
    for t, g in enumerate(grads, start=1):
        opt.apply_gradients([(tf.constant(g), var)])
        g = g + 0.1 * x
        m = 0.5 * m + 0.5 * g
        v = 0.9 * v + 0.1 * g * g
        x = x - 0.01 / (1 - 0.5 ** t) * m / (np.sqrt(v) / np.sqrt(1 - 0.9 ** t) + 1e-8)
    np.testing.assert_allclose(var.numpy(), x, rtol=1e-5, atol=1e-7)
