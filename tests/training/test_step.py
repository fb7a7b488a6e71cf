"""The compiled phase step: global-batch averaging, lazy-regularisation gain, gradient
sanitising, statistics, and phase isolation in the StyleGAN2 method."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from tfgan_fs.methods import Method, Phase, StyleGAN2, StyleGAN2Config, Term, TermResult
from tfgan_fs.training.step import make_phase_step, sanitize_gradient


class MeanPixelTerm(Term):
    """loss_n = w * mean(real_img_n) * scale; d mean(loss) / dw = scale * mean(real_img)."""

    def __init__(self, phase, scale):
        super().__init__(phase)
        self.scale = scale

    def __call__(self, ctx):
        w = ctx.method.weight
        per_sample = tf.reduce_mean(ctx.real_img, axis=[1, 2, 3])
        loss = w * per_sample * self.scale
        return TermResult(loss, {"Loss/toy": per_sample, "Loss/w": w})


class ToyMethod(Method):
    def __init__(self, scale=1.0, interval=4):
        layer = keras.layers.Dense(1)
        layer.build((None, 1))
        self.weight = layer.kernel
        self.networks, self.ema_pairs, self.z_dim = {}, [], 1
        self.optimizers = {"opt": keras.optimizers.SGD(learning_rate=1.0)}
        self._phases = [Phase("main", "opt", lambda: [self.weight]),
                        Phase("reg", "opt", lambda: [self.weight], interval)]
        self._terms = [MeanPixelTerm("main", scale), MeanPixelTerm("reg", scale)]

    def phases(self):
        return self._phases

    def terms(self):
        return self._terms


def _images(values):
    # uint8 images whose pixels are all `v`; after /127.5 - 1 the mean is v/127.5 - 1.
    return tf.constant(np.stack([np.full([4, 4, 3], v, np.uint8) for v in values]))


def test_phase_step_gradient_is_global_mean_times_interval():
    method = ToyMethod(interval=4)
    strategy = tf.distribute.get_strategy()
    steps = {p.name: make_phase_step(method, p, strategy) for p in method.phases()}
    values = [0, 51, 255, 102]
    mean_pixel = np.mean([v / 127.5 - 1 for v in values])
    w0 = float(method.weight.numpy()[0, 0])
    stats = steps["main"](_images(values), tf.zeros([4, 0]), tf.constant([0, 0], tf.int64))
    w1 = float(method.weight.numpy()[0, 0])
    assert w1 == pytest.approx(w0 - mean_pixel, rel=1e-5)
    steps["reg"](_images(values), tf.zeros([4, 0]), tf.constant([0, 1], tf.int64))
    assert float(method.weight.numpy()[0, 0]) == pytest.approx(w1 - 4 * mean_pixel, rel=1e-5)
    # Stats come back as (sum, count) over all elements.
    total, count = stats["Loss/toy"].numpy()
    assert count == 4 and total == pytest.approx(4 * mean_pixel, rel=1e-5)
    assert stats["Loss/w"].numpy()[1] == 1


def test_sanitize_gradient_replaces_nan_and_inf():
    g = tf.constant([1.0, np.nan, np.inf, -np.inf, -2.0])
    np.testing.assert_array_equal(sanitize_gradient(g).numpy(), [1.0, 0.0, 1e5, -1e5, -2.0])


def test_nan_gradient_leaves_weight_unchanged():
    method = ToyMethod(scale=np.nan)
    step = make_phase_step(method, method.phases()[0], tf.distribute.get_strategy())
    w0 = method.weight.numpy().copy()
    step(_images([10, 20]), tf.zeros([2, 0]), tf.constant([0, 0], tf.int64))
    np.testing.assert_array_equal(method.weight.numpy(), w0)


def tiny_config(**overrides):
    cfg = StyleGAN2Config(
        G_kwargs=dict(z_dim=32, w_dim=32, mapping_kwargs=dict(num_layers=2),
                      synthesis_kwargs=dict(channel_base=128, channel_max=8)),
        D_kwargs=dict(channel_base=128, channel_max=8, epilogue_kwargs=dict(mbstd_group_size=2)),
        r1_gamma=1.0)
    for key, value in overrides.items():
        setattr(cfg, key, value)
    return cfg


def test_stylegan2_phases_terms_and_optimizer_correction():
    method = StyleGAN2(tiny_config(), 8, 3)
    assert [(p.name, p.interval) for p in method.phases()] == [
        ("Gmain", 1), ("Greg", 4), ("Dmain", 1), ("Dreg", 16)]
    d_opt = method.optimizers["D"]
    assert float(d_opt.learning_rate) == pytest.approx(0.002 * 16 / 17)
    assert float(d_opt.beta_2) == pytest.approx(0.99 ** (16 / 17))
    assert float(method.optimizers["G"].learning_rate) == pytest.approx(0.002 * 0.8)
    no_lazy = StyleGAN2(tiny_config(G_reg_interval=None, pl_weight=0.0), 8, 3)
    assert [p.name for p in no_lazy.phases()] == ["Gboth", "Dmain", "Dreg"]
    assert [type(t).__name__ for t in no_lazy.terms_of(no_lazy.phases()[0])] == [
        "GeneratorMainLoss"]
    both = StyleGAN2(tiny_config(D_reg_interval=None), 8, 3)
    dboth = [p for p in both.phases() if p.name == "Dboth"][0]
    assert [type(t).__name__ for t in both.terms_of(dboth)] == ["DiscriminatorMainLoss",
                                                                "R1Penalty"]
    assert float(both.optimizers["D"].learning_rate) == pytest.approx(0.002)


def test_style_mixing_and_label_sampling():
    method = StyleGAN2(tiny_config(style_mixing_prob=1.0), 16, 3, label_distribution=[0, 1, 0])
    z = tf.random.normal([4, 32])
    c = method.sample_labels(tf.constant([1, 2], tf.int64), 4)
    np.testing.assert_array_equal(c.numpy(), np.tile([[0, 1, 0]], [4, 1]))
    ws = method.run_mapping(z, c, tf.constant([5, 6], tf.int64)).numpy()
    assert not np.allclose(ws[:, 0], ws[:, -1])  # a cutoff in [1, num_ws) always mixes
    no_mix = StyleGAN2(tiny_config(style_mixing_prob=0.0), 16, 3, label_distribution=[1, 1])
    ws = no_mix.run_mapping(z, tf.one_hot([0, 1, 0, 1], 2), tf.constant([5, 6], tf.int64))
    np.testing.assert_allclose(ws.numpy()[:, 0], ws.numpy()[:, -1])


def test_each_phase_only_updates_its_network():
    strategy = tf.distribute.get_strategy()
    method = StyleGAN2(tiny_config(), 8, 3)
    method.build_optimizers()
    images = tf.constant(np.random.RandomState(0).randint(0, 255, [4, 8, 8, 3]), tf.uint8)
    labels = tf.zeros([4, 0])
    for phase in method.phases():
        before = {k: [v.numpy().copy() for v in net.trainable_variables]
                  for k, net in (("G", method.G), ("D", method.D))}
        w_avg_before = method.G.mapping.w_avg.numpy().copy()
        stats = make_phase_step(method, phase, strategy)(images, labels,
                                                         tf.constant([0, 0], tf.int64))
        assert all(np.isfinite(v.numpy()).all() for v in stats.values())
        for net_name, net in (("G", method.G), ("D", method.D)):
            changed = [not np.array_equal(a, b.numpy())
                       for a, b in zip(before[net_name], net.trainable_variables)]
            assert any(changed) == (net_name == phase.name[0]), (phase.name, net_name)
        # Every training forward of G updates w_avg (as the reference); Dreg runs no G.
        updated = not np.array_equal(w_avg_before, method.G.mapping.w_avg.numpy())
        assert updated == (phase.name != "Dreg"), phase.name
    assert {k: int(o.iterations.numpy()) for k, o in method.optimizers.items()} == {"G": 2, "D": 2}
    pl_term = [t for t in method.terms() if type(t).__name__ == "PathLengthPenalty"][0]
    assert float(pl_term.pl_mean.numpy()) > 0
