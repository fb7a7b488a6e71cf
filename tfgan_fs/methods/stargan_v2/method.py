"""StarGAN v2 training recipe (Choi et al., "StarGAN v2: Diverse Image Synthesis for Multiple
Domains", CVPR 2020), as clovaai/stargan-v2 `core/solver.py` trains it.

Four networks: generator G, mapping network F, style encoder E and the multi-task
discriminator D. Each iteration runs four phases on one batch (x_real, y_org) with target
domains y_trg, two latents z_trg, z_trg2 (drawn once per iteration) and two references
x_ref, x_ref2 of domain y_trg:

- **Dlatent** / **Dref** (steps D): softplus(-D_y(x)) + softplus(D_ỹ(G(x, s̃))) +
  lambda_reg R1 with s̃ = F_ỹ(z) resp. E_ỹ(x_ref) (fakes constant for D; R1 =
  0.5 ||grad_x D_y(x)||^2 on the reals, eq. 5 and the code's r1_reg);
- **Glatent** (steps G, F and E) / **Gref** (steps G only, as the reference; with
  `ref_step_style_encoder` also E): L_adv + lambda_sty |s̃ - E_ỹ(G(x, s̃))| -
  lambda_ds |G(x, s̃1) - G(x, s̃2)| + lambda_cyc |x - G(G(x, s̃), E_y(x))| (eq. 2-4, 6).

`lambda_ds` decays linearly to 0 over `ds_iter` iterations (the reference subtracts
initial / ds_iter after every iteration); the decayed value is a checkpointed variable, so it
survives `--resume` (the reference restarts it from the flag). Adam (PyTorch's, with L2
weight decay) for each network, lr 1e-4 (F: 1e-6), betas (0, 0.99); EMA 0.999 of G, F, E.
"""

import pathlib

import numpy as np
import tensorflow as tf

from tfgan_fs import losses
from tfgan_fs import rng
from tfgan_fs.convert.stargan_v2 import convert_wing
from tfgan_fs.data.domain_pairs import fixed_domain_samples, make_domain_pair_dataset
from tfgan_fs.methods.base import Method, Phase, Term, TermResult
from tfgan_fs.methods.optimizers import TorchAdam
from tfgan_fs.metrics.translation import calc_translation_metrics
from tfgan_fs.networks import stargan_v2 as nets
from tfgan_fs.runs.checkpoints import STATE_PREFIX, load_network_configs
from tfgan_fs.translation import grids, load_translator
from tfgan_fs.translation.translator import EMA_SUFFIX, INFERENCE_KEYS, TRAINED_KEYS, Translator

MODES = ("latent", "ref")


def build_networks(config, suffix=""):
    """{key: network} of G, F, E and D (D only without suffix) for `config`."""
    cfg = config
    out = {
        "generator": nets.Generator(cfg.img_size, cfg.style_dim, cfg.max_conv_dim, cfg.w_hpf,
                                    dim_in=cfg.dim_in, name="generator" + suffix),
        "mapping_network": nets.MappingNetwork(cfg.latent_dim, cfg.style_dim, cfg.num_domains,
                                               cfg.hidden_dim, name="mapping_network" + suffix),
        "style_encoder": nets.StyleEncoder(cfg.img_size, cfg.style_dim, cfg.num_domains,
                                           cfg.max_conv_dim, dim_in=cfg.dim_in,
                                           name="style_encoder" + suffix)}
    if not suffix:
        out["discriminator"] = nets.Discriminator(cfg.img_size, cfg.num_domains,
                                                  cfg.max_conv_dim, dim_in=cfg.dim_in,
                                                  name="discriminator")
    return {key + suffix: net.build_for_size() for key, net in out.items()}


def _mean_per_sample(x):
    """Mean over all but the batch axis: [N, ...] -> [N] (a global mean over N of it is the
    reference's `torch.mean` over the whole tensor)."""
    return tf.reduce_mean(tf.reshape(x, [tf.shape(x)[0], -1]), axis=1)


# --- Terms -----------------------------------------------------------------------------------

class DiscriminatorAdversarialLoss(Term):
    """softplus(-D_y(x)) + softplus(D_ỹ(G(x, s̃))): BCE with targets 1 / 0 (Dlatent, Dref)."""

    def __init__(self, phase, mode):
        super().__init__(phase, name=f"DiscriminatorAdversarialLoss_{mode}")
        self.mode = mode

    def __call__(self, ctx):
        method = ctx.method
        real = ctx.memo("d_real", method.real_logits_and_r1)[0]
        fake_img = tf.stop_gradient(method.translate(ctx, self.mode))
        fake = method.discriminator(fake_img, ctx.inputs["y_trg"])
        loss_real = losses.discriminator_real_loss(real)
        loss_fake = losses.discriminator_fake_loss(fake)
        p = f"Loss/D/{self.mode}_"
        return TermResult(loss_real + loss_fake, {p + "real": loss_real, p + "fake": loss_fake,
                                                   "Loss/D/loss": loss_real + loss_fake,
                                                   "Loss/scores/real": real,
                                                   "Loss/scores/fake": fake})


class R1Penalty(Term):
    """lambda_reg * 0.5 ||grad_x D_y(x)||^2 on the reals (the reference's r1_reg)."""

    def __init__(self, phase, weight):
        super().__init__(phase, name="R1Penalty")
        self.weight = float(weight)

    def __call__(self, ctx):
        penalty = ctx.memo("d_real", ctx.method.real_logits_and_r1)[1]
        mode = "latent" if ctx.phase.name.endswith("latent") else "ref"
        return TermResult(self.weight * 0.5 * penalty, {f"Loss/D/{mode}_reg": 0.5 * penalty})


class GeneratorAdversarialLoss(Term):
    """softplus(-D_ỹ(G(x, s̃))) (non-saturating, BCE with target 1)."""

    def __init__(self, phase, mode):
        super().__init__(phase, name=f"GeneratorAdversarialLoss_{mode}")
        self.mode = mode

    def __call__(self, ctx):
        out = ctx.method.discriminator(ctx.method.translate(ctx, self.mode), ctx.inputs["y_trg"])
        loss = losses.generator_ns_loss(out)
        return TermResult(loss, {f"Loss/G/{self.mode}_adv": loss})


class StyleReconstructionLoss(Term):
    """lambda_sty * mean |s̃ - E_ỹ(G(x, s̃))| (eq. 2)."""

    def __init__(self, phase, mode, weight):
        super().__init__(phase, name=f"StyleReconstructionLoss_{mode}")
        self.mode, self.weight = mode, float(weight)

    def __call__(self, ctx):
        method = ctx.method
        s_pred = method.style_encoder(method.translate(ctx, self.mode), ctx.inputs["y_trg"])
        loss = _mean_per_sample(tf.abs(s_pred - method.target_style(ctx, self.mode)))
        return TermResult(self.weight * loss, {f"Loss/G/{self.mode}_sty": loss})


class DiversitySensitiveLoss(Term):
    """-lambda_ds * mean |G(x, s̃1) - G(x, s̃2)| with the second image constant (eq. 3).

    `lambda_ds` is a variable the method decays after every iteration (checkpointed)."""

    def __init__(self, phase, mode, lambda_ds):
        super().__init__(phase, name=f"DiversitySensitiveLoss_{mode}")
        self.mode, self.lambda_ds = mode, lambda_ds

    def __call__(self, ctx):
        method = ctx.method
        second = tf.stop_gradient(method.translate(ctx, self.mode, second=True))
        loss = _mean_per_sample(tf.abs(method.translate(ctx, self.mode) - second))
        weight = tf.cast(self.lambda_ds, tf.float32)
        return TermResult(-weight * loss, {f"Loss/G/{self.mode}_ds": loss,
                                           "Loss/G/lambda_ds": weight})


class CycleConsistencyLoss(Term):
    """lambda_cyc * mean |x - G(G(x, s̃), E_y(x))| (eq. 4), masks recomputed on the fake."""

    def __init__(self, phase, mode, weight):
        super().__init__(phase, name=f"CycleConsistencyLoss_{mode}")
        self.mode, self.weight = mode, float(weight)

    def __call__(self, ctx):
        method = ctx.method
        fake = method.translate(ctx, self.mode)
        s_org = method.style_encoder(ctx.real_img, ctx.real_c)
        x_rec = method.generator(fake, s_org, masks=method.masks(fake))
        loss = _mean_per_sample(tf.abs(x_rec - ctx.real_img))
        return TermResult(self.weight * loss, {f"Loss/G/{self.mode}_cyc": loss})


# --- Method ----------------------------------------------------------------------------------

class StarGANv2(Method):
    """StarGAN v2 (see the module docstring). Build inside `strategy.scope()`.

    Args:
        config: StarGANv2Config.
        fan: The FAN giving face masks (needed when w_hpf > 0), or None.
        log: Function for progress messages.
    """

    status_stats = {"G": "Loss/G/latent_adv", "D": "Loss/D/loss", "cyc": "Loss/G/latent_cyc"}
    divergence_hint = "a lower learning rate (--lr)"

    def __init__(self, config, fan=None, log=print):
        cfg = self.config = config
        if cfg.w_hpf > 0 and fan is None:
            raise ValueError(f"a generator with w_hpf {cfg.w_hpf:g} needs the FAN (fan=...)")
        self.fan = fan
        self.networks = {**build_networks(cfg), **build_networks(cfg, EMA_SUFFIX)}
        for key in INFERENCE_KEYS:  # EMA starts equal to the trained networks
            for src, dst in zip(self.networks[key].weights,
                                self.networks[key + EMA_SUFFIX].weights):
                dst.assign(src)
        self.generator = self.networks["generator"]
        self.mapping_network = self.networks["mapping_network"]
        self.style_encoder = self.networks["style_encoder"]
        self.discriminator = self.networks["discriminator"]
        self.ema_pairs = [(self.networks[k], self.networks[k + EMA_SUFFIX])
                          for k in INFERENCE_KEYS]

        def adam(lr, name):
            return TorchAdam(lr, cfg.beta1, cfg.beta2, 1e-8, l2=cfg.weight_decay, name=name)

        self.optimizers = {"D": adam(cfg.lr, "D_opt"), "G": adam(cfg.lr, "G_opt"),
                           "F": adam(cfg.f_lr, "F_opt"), "E": adam(cfg.lr, "E_opt")}
        self.lambda_ds = tf.Variable(float(cfg.lambda_ds), trainable=False, dtype=tf.float64,
                                     name="lambda_ds",
                                     aggregation=tf.VariableAggregation.ONLY_FIRST_REPLICA)

        def weights(key):
            return lambda: list(self.networks[key].trainable_weights)

        g_ref = (("G", "E"), lambda: [weights("generator")(), weights("style_encoder")()])
        if not cfg.ref_step_style_encoder:
            g_ref = ("G", weights("generator"))
        self._phases = [
            Phase("Dlatent", "D", weights("discriminator"), lazy=False),
            Phase("Dref", "D", weights("discriminator"), lazy=False),
            Phase("Glatent", ("G", "F", "E"),
                  lambda: [weights(k)() for k in ("generator", "mapping_network",
                                                  "style_encoder")], lazy=False),
            Phase("Gref", g_ref[0], g_ref[1], lazy=False)]
        self._terms = []
        for mode in MODES:
            d_phase, g_phase = f"D{mode}", f"G{mode}"
            self._terms += [
                DiscriminatorAdversarialLoss(d_phase, mode),
                R1Penalty(d_phase, cfg.lambda_reg),
                GeneratorAdversarialLoss(g_phase, mode),
                StyleReconstructionLoss(g_phase, mode, cfg.lambda_sty),
                DiversitySensitiveLoss(g_phase, mode, self.lambda_ds),
                CycleConsistencyLoss(g_phase, mode, cfg.lambda_cyc)]

    # --- forward passes shared by the terms of a phase (memoised in the StepContext) ---------

    def masks(self, x):
        """The FAN's face masks of x when w_hpf > 0 (constants), else None."""
        if self.config.w_hpf <= 0:
            return None
        return [tf.stop_gradient(m) for m in self.fan.get_masks(x)]

    def real_logits_and_r1(self, ctx):
        """(D_y(x_real) [N], ||grad_x D_y(x_real)||^2 [N])."""
        penalty, logits = losses.r1_penalty(
            lambda x: self.discriminator(x, ctx.real_c), ctx.real_img)
        return tf.reshape(logits, [-1]), penalty

    def target_style(self, ctx, mode, second=False):
        """s̃ = F_ỹ(z_trg) (latent) or E_ỹ(x_ref) (ref); `second`: z_trg2 / x_ref2."""
        def compute(ctx):
            y = ctx.inputs["y_trg"]
            if mode == "latent":
                z = rng.normal(ctx.iteration_seed_for("z_trg2" if second else "z_trg"),
                               [ctx.batch_size, self.config.latent_dim])
                return self.mapping_network(z, y)
            return self.style_encoder(ctx.inputs["x_ref2" if second else "x_ref"], y)
        return ctx.memo(("style", mode, second), compute)

    def translate(self, ctx, mode, second=False):
        """G(x_real, s̃) with the masks of x_real."""
        return ctx.memo(("fake", mode, second), lambda ctx: self.generator(
            ctx.real_img, self.target_style(ctx, mode, second),
            masks=ctx.memo("masks_real", lambda c: self.masks(c.real_img))))

    # --- Method interface ----------------------------------------------------------------------

    def phases(self):
        return list(self._phases)

    def terms(self):
        return list(self._terms)

    def batch_inputs(self, batch):
        x_src, y_src, x_ref, x_ref2, y_ref = batch
        return (tf.cast(x_src, tf.float32), tf.cast(y_src, tf.int32),
                {"x_ref": tf.cast(x_ref, tf.float32), "x_ref2": tf.cast(x_ref2, tf.float32),
                 "y_trg": tf.cast(y_ref, tf.int32)})

    def make_dataset(self, data, options, start_image, num_parallel_calls=None, shard=None):
        """Class-balanced sources and same-domain reference pairs (`domain_pairs`); each
        reference keeps one partner x_ref2 for the whole run, as the reference's
        ReferenceDataset pairs the files of a domain with a permutation of them."""
        return make_domain_pair_dataset(
            data, options.batch_size, seed=options.seed, img_size=self.config.img_size,
            randcrop_prob=self.config.randcrop_prob,
            start_step=start_image // options.batch_size, max_images=options.max_images,
            num_parallel_calls=num_parallel_calls, shard=shard, ref2="permutation")

    def ema_beta(self, options, nimg):
        return self.config.ema_beta

    def end_iteration(self, step, batch_size):
        """lambda_ds -= initial / ds_iter while it is > 0 (the reference's decay, in float64
        as Python's)."""
        cfg = self.config
        if cfg.ds_iter > 0 and float(self.lambda_ds.numpy()) > 0:
            self.lambda_ds.assign_sub(cfg.lambda_ds / cfg.ds_iter)

    def translator(self, ema=True):
        """The Translator of the EMA (or trained) networks."""
        suffix = EMA_SUFFIX if ema else ""
        return Translator(*(self.networks[k + suffix] for k in INFERENCE_KEYS), fan=self.fan)

    def init_from(self, path, resolution, log=print):
        """G, F, E (and their EMA copies) and D, where present, from a StarGAN v2 run or a
        converted official checkpoint (`nets_ema` only: D starts fresh)."""
        ckpt, configs = load_network_configs(path)
        mapping = {}
        for key in TRAINED_KEYS:
            found = [k for k in (key, key + EMA_SUFFIX) if k in configs]
            if not found:
                if key == "discriminator":
                    log(f"{ckpt} has no discriminator: D starts from its initialisation")
                    continue
                raise ValueError(f"--init_from={path}: no StarGAN v2 {key} in {ckpt} "
                                 f"(networks: {sorted(configs)})")
            mapping[key] = found[0]
            if key != "discriminator":
                ema = [k for k in (key + EMA_SUFFIX, key) if k in configs][0]
                mapping[key + EMA_SUFFIX] = ema
        for ours, theirs in mapping.items():
            own = self.networks[ours].get_config()
            other = configs[theirs]
            diff = {k: (other.get(k), v) for k, v in own.items()
                    if k != "name" and other.get(k) != v}
            if diff:
                raise ValueError(f"--init_from={path}: its {theirs} differs from this run's "
                                 f"{ours}: " + ", ".join(f"{k} {a} vs {b}"
                                                         for k, (a, b) in diff.items()))
            status = tf.train.Checkpoint(**{theirs: self.networks[ours]}).read(
                str(ckpt / STATE_PREFIX))
            status.expect_partial()
            status.assert_existing_objects_matched()
        log(f"Initialised {', '.join(f'{a} <- {b}' for a, b in mapping.items())} from {ckpt}")
        return ckpt

    def snapshot_inputs(self, data, seed):
        """Fixed sources (balanced over domains), references and latents of the snapshot grids."""
        n = 2 * self.config.num_domains if self.config.num_domains <= 4 else self.config.num_domains
        x_src, y_src = fixed_domain_samples(data, n, seed, self.config.img_size)
        x_ref, y_ref = fixed_domain_samples(data, n, seed + 1, self.config.img_size)
        z = np.random.RandomState(seed).randn(4, self.config.latent_dim).astype(np.float32)
        return {"x_src": x_src, "y_src": y_src, "x_ref": x_ref, "y_ref": y_ref, "z": z,
                "grid_w": n, "grid_h": 1, "seed": seed}

    def snapshot(self, fixed, max_samples=8):
        """'fakes' (latent-guided grid), 'translate_reference' and 'cycle' of the EMA nets."""
        if "translator" not in fixed:  # one Translator: its compiled calls are traced once
            fixed["translator"] = self.translator()
        pictures = grids.snapshot_pictures(fixed["translator"], fixed["x_src"], fixed["y_src"],
                                           fixed["x_ref"], fixed["y_ref"], fixed["z"],
                                           fixed["seed"])
        pictures["fakes"] = pictures.pop("translate_latent")
        return pictures

    def calc_metrics(self, names, context):
        """The reference's evaluation protocol on the EMA networks (one translation pass per
        mode for all of `names`)."""
        return calc_translation_metrics(self.translator(), list(names), context)["per_metric"]

    def checkpoint_items(self):
        items = {**super().checkpoint_items(), "lambda_ds": self.lambda_ds}
        if self.fan is not None:
            items["fan"] = self.fan
        return items


def load_fan(path, log=print):
    """The FAN of `--wing`: the official wing.ckpt, or a run dir converted with it."""
    if pathlib.Path(path).is_dir():
        fan = load_translator(path).fan
        if fan is None:
            raise ValueError(f"--wing={path}: the run has no FAN (convert with --wing)")
        return fan
    log(f"Loading the FAN from {path}")
    return convert_wing(path)[0]
