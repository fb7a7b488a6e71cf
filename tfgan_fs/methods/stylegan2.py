"""StyleGAN2 training recipe (Karras et al. 2020) as used by StyleGAN2-ADA (Karras et al. 2020b).

Phases (NVlabs `training_loop.py`): Gmain (non-saturating loss), Greg (path-length penalty every
`G_reg_interval` = 4 steps), Dmain (logistic loss on fakes and reals), Dreg (R1 every
`D_reg_interval` = 16 steps). With an interval of None the regulariser joins the main phase.
Style mixing with probability 0.9; G_ema tracks G. An optional augmentation pipe is applied to
every image D sees (ADA plugs in here).

With `reg_type='ggdr'` (Lee et al., ECCV 2022) D carries a U-Net decoder (`decoder_res` in
`D_kwargs`) and Dmain gains the `GGDRLoss` term: the decoder must predict G's features of the
generated images it judges.
"""

import dataclasses
from typing import Optional

import numpy as np
import tensorflow as tf

from tfgan_fs import distribute
from tfgan_fs import feature_pictures
from tfgan_fs import images
from tfgan_fs import interpolation
from tfgan_fs import losses
from tfgan_fs import rng
from tfgan_fs.methods.base import DOutput, GenOutput, Method, Phase, Term, TermResult
from tfgan_fs.methods.optimizers import AdamConfig, lazy_regularization_adam
from tfgan_fs.networks import Discriminator, Generator

BUFFER_NAMES = ("w_avg", "noise_const")
INTERP_KEYFRAMES = 4  # snapshot 'interp': rows of W-space interpolation between 4 latents
INTERP_STEPS = 8


@dataclasses.dataclass
class StyleGAN2Config:
    """Hyperparameters of the StyleGAN2 recipe (defaults are the reference's)."""
    G_kwargs: dict
    D_kwargs: dict
    G_opt: AdamConfig = AdamConfig()
    D_opt: AdamConfig = AdamConfig()
    r1_gamma: float = 10.0
    pl_weight: float = 2.0
    pl_batch_shrink: int = 2
    pl_decay: float = 0.01
    style_mixing_prob: float = 0.9
    G_reg_interval: Optional[int] = 4
    D_reg_interval: Optional[int] = 16
    reg_type: str = "none"
    ggdr_res: tuple = (64,)
    ggdr_weight: float = 10.0


def _score_stats(out, kind):
    """'Loss/scores/{kind}' and 'Loss/signs/{kind}' of a D output (patch means on patches)."""
    return {f"Loss/scores/{kind}": out.per_image(), f"Loss/signs/{kind}": out.per_image(tf.sign)}


class GeneratorMainLoss(Term):
    """Non-saturating logistic loss softplus(-D(G(z))) (Gmain). On a patch-level phase D's
    logits are per patch and the loss is their mean (CDC/MixDL relaxed realism)."""

    def __call__(self, ctx):
        loss = ctx.fake.per_image(losses.generator_ns_loss)
        stats = {**_score_stats(ctx.fake, "fake"), "Loss/G/loss": loss}
        if ctx.phase.discriminator == "patch":
            stats["Loss/G/patch"] = loss
        return TermResult(loss, stats)


class DiscriminatorMainLoss(Term):
    """Logistic loss softplus(D(G(z))) + softplus(-D(x)) (Dmain), per patch on a patch-level
    phase."""

    def __call__(self, ctx):
        loss = (ctx.fake.per_image(losses.discriminator_fake_loss)
                + ctx.real.per_image(losses.discriminator_real_loss))
        stats = {**_score_stats(ctx.fake, "fake"), **_score_stats(ctx.real, "real"),
                 "Loss/D/loss": loss}
        if ctx.phase.discriminator == "patch":
            stats["Loss/D/patch"] = loss
        return TermResult(loss, stats)


class GGDRLoss(Term):
    """GGDR (Lee et al. 2022): D's decoder predicts G's features of the generated images (Dmain).

    weight * sum_r (1 - mean_pixels cos_channels(D_dec(aug(G(z)))[r], aug(G_feat(z)[r]))) / |R|,
    the features augmented with the images' geometric transform and constant for D. Shares the
    fake branch's D forward (same augmentation) with the logistic loss; reals are not involved.

    Args:
        phase: Phase name (Dmain).
        resolutions: Feature resolutions R (the reference's `ggdr_res`, default [64]).
        weight: Loss weight (10).
    """

    needs = frozenset({"fake.decoder"})

    def __init__(self, phase, resolutions, weight):
        super().__init__(phase)
        self.resolutions = tuple(int(r) for r in resolutions)
        self.aligned_features = self.resolutions
        self.weight = float(weight)

    def __call__(self, ctx):
        loss = losses.ggdr_loss(ctx.fake.decoder, ctx.fake.aligned, self.resolutions,
                                self.weight)
        return TermResult(loss, {"Loss/D/ggdr": loss})


class R1Penalty(Term):
    """R1 regularisation (gamma / 2) * ||grad_x D(x)||^2 on real images (Dreg); on a
    patch-level phase D(x) is the per-image mean of the patch logits, as CDC and MixDL.

    Args:
        phase: Phase name.
        gamma: R1 weight gamma.
    """

    def __init__(self, phase, gamma):
        super().__init__(phase)
        self.gamma = float(gamma)

    def __call__(self, ctx):
        penalty, logits = losses.r1_penalty(
            lambda img: ctx.run_D(img, ctx.real_c, "r1").per_image(), ctx.real_img)
        loss = penalty * (self.gamma / 2)
        return TermResult(loss, {"Loss/scores/real": logits, "Loss/signs/real": tf.sign(logits),
                                 "Loss/r1_penalty": penalty, "Loss/D/reg": loss})


class PathLengthPenalty(Term):
    """Path-length regularisation w_pl * (||J_w^T y|| - a)^2 (StyleGAN2 eq. 4, Greg).

    Runs its own generator forward on batch_size // pl_batch_shrink latents (with style mixing)
    and keeps the running mean `pl_mean` (a checkpointed variable), averaged over all replicas.

    Args:
        phase: Phase name.
        weight: w_pl (2).
        batch_shrink: Batch divisor for this term (2).
        decay: Decay of the running mean (0.01).
        img_shape: (H, W, C) of the generated images.
    """

    def __init__(self, phase, weight, batch_shrink, decay, img_shape):
        super().__init__(phase)
        self.weight = float(weight)
        self.batch_shrink = int(batch_shrink)
        self.decay = float(decay)
        self.img_shape = tuple(int(s) for s in img_shape)
        self.pl_mean = tf.Variable(0.0, trainable=False, name="pl_mean",
                                   aggregation=tf.VariableAggregation.ONLY_FIRST_REPLICA)

    def __call__(self, ctx):
        batch_size = max(ctx.batch_size // self.batch_shrink, 1)
        h, w, _ = self.img_shape
        z = rng.normal(ctx.seed_for("pl/z"), [batch_size, ctx.method.z_dim])
        c = ctx.method.sample_labels(ctx.seed_for("pl/c"), batch_size)
        ws = ctx.run_mapping(z, c, "pl")
        pl_noise = rng.normal(ctx.seed_for("pl/noise"), [batch_size, *self.img_shape]) / np.sqrt(
            h * w)
        pl_lengths = losses.path_lengths(lambda x: ctx.run_synthesis(x, "pl").img, ws, pl_noise)
        mean_length = distribute.cross_replica_mean(tf.reduce_mean(pl_lengths))
        penalty, new_mean = losses.path_length_penalty(pl_lengths, self.pl_mean, self.decay,
                                                       mean_length=mean_length)
        self.pl_mean.assign(tf.stop_gradient(new_mean))
        loss = penalty * self.weight
        return TermResult(loss, {"Loss/pl_penalty": penalty, "Loss/G/reg": loss})


def _level_at(phases, interval, net):
    """D's output level ('image'/'patch') in the adversarial phases at the steps that are
    multiples of `interval` (where lazy regularisation runs; R1 reads the same level)."""
    cycle = int(np.lcm.reduce([interval] + [p.interval for p in phases]))
    levels = {p.discriminator for p in phases for step in range(0, cycle, interval)
              if p.runs_at(step)}
    if len(levels) != 1:
        raise ValueError(f"the {net} regularisation interval {interval} falls on steps of both "
                         f"image- and patch-level phases; make the phases' interval divide it")
    return levels.pop()


class StyleGAN2(Method):
    """The StyleGAN2 method: G, D, G_ema, two Adam optimizers, four phases.

    Build inside `strategy.scope()`.

    Args:
        config: StyleGAN2Config.
        img_resolution: Image resolution.
        img_channels: Image channels.
        label_distribution: Class frequencies [c_dim] used to draw labels for generated images
            (empty for unconditional training).
        augment_pipe: Optional Keras layer `(images, seed) -> images` applied to every image D
            sees (AugmentPipe or DiffAugment); saved in checkpoints.
    """

    snapshot_interpolation = False  # few-shot methods show their latent space's smoothness

    def __init__(self, config, img_resolution, img_channels, label_distribution=(),
                 augment_pipe=None):
        self.config = config
        self.label_distribution = np.asarray(label_distribution, np.float32).reshape([-1])
        c_dim = int(self.label_distribution.size)
        common = dict(c_dim=c_dim, img_resolution=img_resolution, img_channels=img_channels)
        self.G = Generator(**config.G_kwargs, **common, name="G")
        self.D = Discriminator(**config.D_kwargs, **common, name="D")
        self.G_ema = Generator.from_config(self.G.get_config() | {"name": "G_ema"})
        for dst, src in zip(self.G_ema.weights, self.G.weights):
            dst.assign(src)
        self.z_dim = self.G.z_dim
        self.c_dim = c_dim
        self.augment_pipe = augment_pipe
        self.networks = {"G": self.G, "D": self.D, "G_ema": self.G_ema}
        self.ema_pairs = [(self.G, self.G_ema)]
        self.optimizers = {
            "G": lazy_regularization_adam(config.G_opt, config.G_reg_interval, name="G_opt"),
            "D": lazy_regularization_adam(config.D_opt, config.D_reg_interval, name="D_opt"),
        }
        self._phases, self._terms = self._build_phases_and_terms(img_resolution, img_channels)

    def _build_phases_and_terms(self, img_resolution, img_channels):
        cfg = self.config
        img_shape = (img_resolution, img_resolution, img_channels)
        g_reg = None
        if cfg.pl_weight != 0:
            g_reg = lambda ph: PathLengthPenalty(  # noqa: E731
                ph, cfg.pl_weight, cfg.pl_batch_shrink, cfg.pl_decay, img_shape)
        d_reg = None
        if cfg.r1_gamma != 0:
            d_reg = lambda ph: R1Penalty(ph, cfg.r1_gamma)  # noqa: E731
        phases, terms = [], []
        for net, trainables, main_term, reg_term, interval in [
                ("G", lambda: self.G.trainable_variables, GeneratorMainLoss, g_reg,
                 cfg.G_reg_interval),
                ("D", lambda: self.D.trainable_variables, DiscriminatorMainLoss, d_reg,
                 cfg.D_reg_interval)]:
            main_phases = self.adversarial_phases(net, trainables, lazy_reg=interval is not None)
            for phase in main_phases:
                phases.append(phase)
                terms.append(main_term(phase.name))
                if net == "D" and cfg.reg_type == "ggdr":
                    terms.append(GGDRLoss(phase.name, cfg.ggdr_res, cfg.ggdr_weight))
                terms += self.extra_terms(phase)
                if reg_term is not None and interval is None:
                    terms.append(reg_term(phase.name))
            if reg_term is not None and interval is not None:
                reg_phase = Phase(net + "reg", net, trainables, int(interval),
                                  discriminator=_level_at(main_phases, int(interval), net))
                phases.append(reg_phase)
                terms.append(reg_term(reg_phase.name))
        return phases, terms

    def adversarial_phases(self, net, trainables, lazy_reg):
        """The phases of `net` ('G' or 'D') that carry its adversarial loss: StyleGAN2 has one,
        'Gmain'/'Dmain' ('Gboth'/'Dboth' when the regulariser joins it, `lazy_reg` False).
        Few-shot methods alternate several (MixDL's mixup steps, CDC's anchor steps)."""
        return [Phase(net + ("main" if lazy_reg else "both"), net, trainables)]

    def extra_terms(self, phase):
        """Terms a method adds to one of its adversarial phases (MixDL's, CDC's distances)."""
        return []

    def phases(self):
        return list(self._phases)

    def terms(self):
        return list(self._terms)

    def sample_labels(self, seed, batch_size, batched=True):
        if self.c_dim == 0:
            return tf.zeros([batch_size, 0], tf.float32)
        idx = rng.categorical(seed, self.label_distribution, batch_size, batched=batched)
        return tf.one_hot(idx, self.c_dim, dtype=tf.float32)

    def run_mapping(self, z, c, seed, mixing=True):
        """G.mapping with style mixing (unless `mixing` is False): after a random cutoff the ws
        come from a second z."""
        ws = self.G.mapping(z, c, update_w_avg=True)
        prob = self.config.style_mixing_prob
        if mixing and prob > 0:
            num_ws = self.G.num_ws
            cutoff = rng.uniform(rng.fold(seed, "cutoff"), [], 1, num_ws, tf.int32,
                                 batched=False)
            mix = rng.uniform(rng.fold(seed, "mix"), [], batched=False) < prob
            cutoff = tf.where(mix, cutoff, num_ws)
            z2 = rng.normal(rng.fold(seed, "z2"), z.shape)
            ws2 = self.G.mapping(z2, c, update_w_avg=False)
            keep = tf.range(num_ws) < cutoff
            ws = tf.where(keep[tf.newaxis, :, tf.newaxis], ws, ws2)
        return ws

    def run_synthesis(self, ws, seed, return_features=False, return_layers=False):
        out = self.G.synthesis(ws, noise_mode="random", noise_seed=rng.fold(seed, "noise"),
                               return_features=return_features, return_layers=return_layers)
        out = list(out) if (return_features or return_layers) else [out]
        img = out.pop(0)
        features = out.pop(0) if return_features else None
        layers = out.pop(0) if return_layers else None
        return GenOutput(img=img, ws=ws, features=features, layers=layers)

    def run_D(self, img, c, seed, return_features=False, return_decoder=False, aligned=None,
              return_patches=False, return_embedding=False):
        """D on augmented images; with `return_patches` one patch head is drawn uniformly
        from D's heads for this forward (the references draw `p_ind` per D call)."""
        if self.augment_pipe is not None:
            out = self.augment_pipe(img, rng.fold(seed, "augment"), features=aligned)
            img, aligned = out if aligned is not None else (out, None)
        requests = (return_features, return_decoder, return_patches, return_embedding)
        out = self.D(img, c, return_features=return_features, return_decoder=return_decoder,
                     return_patches=return_patches, return_embedding=return_embedding)
        out = list(out) if any(requests) else [out]
        logits = out.pop(0)
        features, decoder, patches, embedding = (out.pop(0) if r else None for r in requests)
        patch_index = None
        if return_patches:
            patch_index = rng.uniform(rng.fold(seed, "patch_head"), [], 0, len(patches),
                                      tf.int32, batched=False)
        return DOutput(logits=logits, features=features, decoder=decoder, aligned=aligned,
                       patches=patches, patch_index=patch_index, embedding=embedding)

    def snapshot_pictures(self, z, c):
        """GGDR: 'gfeat', G_ema's features at ggdr_res (PCA to RGB) above D's predictions.
        Few-shot methods: 'interp', G_ema's W-space interpolations between the first
        keyframes, one row per pair (smooth, or stair-like jumps between training images)."""
        pictures = {}
        if self.config.reg_type == "ggdr":
            res = self.config.ggdr_res[0]
            img, features = self.G_ema(z, c, noise_mode="const", return_features=True)
            _, fmaps = self.D(img, c, return_decoder=True)
            pictures["gfeat"] = feature_pictures.feature_picture(
                images.to_uint8(img), features[res].numpy(), fmaps[res].numpy())
        if self.snapshot_interpolation:
            k = min(len(z), INTERP_KEYFRAMES)
            pictures["interp"] = interpolation.interpolation_grid(self.G_ema, z[:k], c[:k],
                                                                  steps=INTERP_STEPS)
        return pictures

    def is_buffer(self, variable):
        return variable.name in BUFFER_NAMES

    def init_from(self, path, resolution, log=print):
        """G, D and G_ema from a run dir or checkpoint (transfer learning, few-shot sources),
        then `on_init_from`; returns the checkpoint read."""
        from tfgan_fs.training import checkpoints  # noqa: PLC0415 (training imports methods)
        checkpoints.check_source_resolution(path, resolution)
        src = checkpoints.restore_weights({k: self.networks[k] for k in ("G", "D", "G_ema")},
                                          path, log=log)
        self.on_init_from()
        log(f"Initialised G, D and G_ema from {src}")
        return src

    def checkpoint_items(self):
        items = super().checkpoint_items()
        if self.augment_pipe is not None:
            items["augment_pipe"] = self.augment_pipe  # ADA's p survives --resume
        return items
