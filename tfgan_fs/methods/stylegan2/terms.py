"""The terms of the StyleGAN2 recipe (Karras et al. 2020) and GGDR (Lee et al., ECCV 2022).

Gmain: the non-saturating loss; Greg: path-length regularisation; Dmain: the logistic loss (and
GGDR's feature reconstruction); Dreg: R1. On a patch-level phase (CDC, MixDL) D's logits are per
patch and the adversarial losses are their mean.
"""

import numpy as np
import tensorflow as tf

from tfgan_fs import distribute
from tfgan_fs import losses
from tfgan_fs import rng
from tfgan_fs.methods.base import Term, TermResult


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
