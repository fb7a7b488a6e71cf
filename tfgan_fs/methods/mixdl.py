"""MixDL (Kong et al., ECCV 2022): few-shot generation from scratch with mixup-based distance
learning, as a variant of the StyleGAN2 method.

Every `mixup_every` steps (slot 0, "mixup steps") G and D see mixups instead of ordinary fakes:
alpha ~ Dirichlet(1 / dir_div) per row, w~ = alpha @ w with single (not W+) codes of the batch.

- G (phase 'Gmix'): the non-saturating loss of a patch-level D on G(w~), plus
  kl_wt * KL(softmax(alpha) || softmax(s)) with s_ij = cos(F_l(w~_i), F_l(w_j)) of fresh codes,
  one random conv layer l per row (`MixupGeneratorDistance`).
- D (phase 'Dmix'): the logistic loss of the patch-level D on reals and G(w~), plus
  d_kl_wt * KL(softmax(alpha) || softmax(s)) with s_ij = cos(h(G(w~_i)), h(G(w_j))), h D's
  projection head on its fc features (`MixupDiscriminatorDistance`).
- The other steps ('Gmain', 'Dmain') are plain StyleGAN2 steps; R1 every 16 steps falls on mixup
  steps and reads the per-image mean of the patch logits, as the reference.

Reference: reyllama/mixdl `train_mixdl.py` + `model_cdc.py` (reference/fewshot.md section 1).
Its D step mixes `generator([z], return_latents=True)`, i.e. W+ codes [N, 14, 512], with alpha
[N, N] and raises at the first iteration (the inner dimensions differ); its G step mixes the
mapping's 2-D codes. Both steps here mix 2-D codes, as the G step and the paper do.
"""

import dataclasses

import numpy as np
import tensorflow as tf

from tfgan_fs import losses
from tfgan_fs import rng
from tfgan_fs.methods.base import Phase, Term, TermResult
from tfgan_fs.methods.fewshot import FewShotConfig, FewShotSpec, draw
from tfgan_fs.methods.options import setting
from tfgan_fs.methods.stylegan2 import StyleGAN2

MIXUP_DISTS = ("dirichlet", "gaussian", "uniform")


@dataclasses.dataclass
class MixDLConfig(FewShotConfig):
    """StyleGAN2 with MixDL's settings (the reference's defaults)."""
    mixup_every: int = setting(2, "MixDL: a mixup step every N steps (default 2).", at_least=2)
    mixup_dist: str = setting("dirichlet", "MixDL: distribution of the mixup coefficients "
                              "(default dirichlet; the reference's --gaussian / --uniform).",
                              choices=MIXUP_DISTS)
    dir_div: float = setting(1.0, "MixDL: Dirichlet concentration is 1 / dir_div (default 1).",
                             above=0)
    d_kl_wt: float = setting(1.0, "MixDL: weight of D's distance loss (default 1).",
                             at_least=0)


def mixup_coefficients(seed, batch_size, dist="dirichlet", dir_div=1.0):
    """[N, N] mixing coefficients, row i for mixup i over the N codes of the batch.

    'dirichlet': rows ~ Dirichlet(1 / dir_div); 'gaussian': softmax of N(0, I) rows;
    'uniform': U(0, 1) rows divided by their sums (the reference's three options).
    """
    shape = [batch_size, batch_size]
    if dist == "dirichlet":
        g = rng.gamma(seed, shape, 1.0 / dir_div)
        return g / tf.reduce_sum(g, axis=1, keepdims=True)
    if dist == "gaussian":
        return tf.nn.softmax(rng.normal(seed, shape), axis=1)
    if dist == "uniform":
        u = rng.uniform(seed, shape)
        return u / tf.reduce_sum(u, axis=1, keepdims=True)
    raise ValueError(f"mixup_dist must be one of {', '.join(MIXUP_DISTS)}, got {dist!r}")


@dataclasses.dataclass
class Mixup:
    """One mixup draw: coefficients [N, N], codes w [N, w_dim], the anchors' and mixups' ws."""
    alpha: tf.Tensor
    w: tf.Tensor
    anchor_ws: tf.Tensor
    mix_ws: tf.Tensor


def draw_mixup(ctx, stream):
    """Fresh z -> single codes w (no style mixing), their mixups alpha @ w, as ws [N, L, C]."""
    method = ctx.method
    cfg = method.config
    z = draw(ctx, stream + "/z", lambda c: rng.normal(c.seed_for(stream + "/z"),
                                                       [c.batch_size, method.z_dim]))
    alpha = draw(ctx, "mixup/alpha", lambda c: mixup_coefficients(
        c.seed_for("mixup/alpha"), c.batch_size, cfg.mixup_dist, cfg.dir_div))
    ws = ctx.run_mapping(z, ctx.gen_c, stream, mixing=False)
    w = ws[:, 0]
    num_ws = ws.shape[1]
    mix = tf.matmul(alpha, w)
    return Mixup(alpha=alpha, w=w, anchor_ws=ws,
                 mix_ws=tf.tile(mix[:, tf.newaxis], [1, num_ws, 1]))


class MixupGeneratorDistance(Term):
    """MixDL-G: kl_wt * KL(softmax(alpha) || softmax_j cos(F_l(w~_i), F_l(w_j))) (Gmix).

    Fresh codes (the adversarial term's alpha), one random conv layer l_i in [1, L - 2] per row
    (the reference's `randint(1, num_layers - 1)`), full flattened features, self included.
    Every mixup mixes all N codes of the replica's batch: no gradient accumulation.
    """

    batch_dependence = "whole_batch"

    def __init__(self, phase, weight, num_layers):
        super().__init__(phase)
        self.weight = float(weight)
        self.num_layers = int(num_layers)

    def __call__(self, ctx):
        m = draw_mixup(ctx, "gdist")
        anchors = ctx.run_synthesis(m.anchor_ws, "gdist/anchors", return_layers=True).layers
        mixups = ctx.run_synthesis(m.mix_ws, "gdist/mixups", return_layers=True).layers
        layer = draw(ctx, "gdist/layer", lambda c: rng.uniform(
            c.seed_for("gdist/layer"), [c.batch_size], 1, self.num_layers - 1, tf.int32))
        sims = losses.layer_row_similarities(mixups, anchors, layer)
        loss = self.weight * losses.distance_kl(m.alpha, sims)
        return TermResult(loss, {"Loss/G/dist": loss})


def strided_group_order(batch_size, group_size):
    """A batch order under which D's minibatch-std groups of consecutive samples hold the
    samples that the references' strided groups hold (sample i in group i mod batch / G,
    G = min(group_size, batch); `group_size` None = the whole batch)."""
    g = batch_size if group_size is None else min(int(group_size), batch_size)
    k = batch_size // g
    return [i for r in range(k) for i in range(r, batch_size, k)]


class MixupDiscriminatorDistance(Term):
    """MixDL-D: d_kl_wt * KL(softmax(alpha) || softmax_j cos(h(G(w~_i)), h(G(w_j)))) (Dmix).

    One D forward on [anchors; mixups] (the reference's `torch.cat`), h the projection head on
    D's fc features; rows are the mixups, columns the anchors. The reference's minibatch-std
    groups are strided, so each group holds anchors and mixups alike (2N = 8: {a0, a2, m0,
    m2}, {a1, a3, m1, m3}); D's groups are runs of consecutive samples, which on [anchors;
    mixups] would put anchors and mixups in separate groups and change the embeddings. D sees
    the batch in `strided_group_order`, which gives it the reference's groups. Every mixup
    mixes all N codes of the replica's batch: no gradient accumulation.
    """

    batch_dependence = "whole_batch"

    def __init__(self, phase, weight):
        super().__init__(phase)
        self.weight = float(weight)

    def __call__(self, ctx):
        m = ctx.memo("mixup", lambda c: draw_mixup(c, "gen"))
        anchors = ctx.run_synthesis(m.anchor_ws, "ddist/anchors").img
        mixups = ctx.gen.img
        n = ctx.batch_size
        mbstd = ctx.method.D.b4.mbstd
        order = strided_group_order(2 * n, mbstd.group_size) if mbstd is not None else None
        both = tf.concat([anchors, mixups], axis=0)
        c = tf.concat([ctx.gen_c, ctx.gen_c], axis=0)
        if order is not None:
            both, c = tf.gather(both, order), tf.gather(c, order)
        embedding = ctx.run_D(both, c, "ddist", return_embedding=True,
                              return_patches=False).embedding
        if order is not None:
            embedding = tf.gather(embedding, np.argsort(order))
        sims = losses.pairwise_cosine(embedding[n:], embedding[:n])
        loss = self.weight * losses.distance_kl(m.alpha, sims)
        return TermResult(loss, {"Loss/D/dist": loss})


class MixDL(StyleGAN2):
    """StyleGAN2 with MixDL's mixup steps (see the module docstring).

    Args:
        config: MixDLConfig (checked by its spec); its D_kwargs must give D patch heads and a
            projection head.
        Others: as StyleGAN2.
    """

    MIX_PHASES = ("Gmix", "Dmix")
    snapshot_interpolation = True

    def adversarial_phases(self, net, trainables, lazy_reg):
        k = self.config.mixup_every
        return [Phase(net + "mix", net, trainables, k, (0,), lazy=False, discriminator="patch"),
                Phase(net + "main", net, trainables, k, tuple(range(1, k)), lazy=False)]

    def extra_terms(self, phase):
        if phase.name == "Gmix":
            return [MixupGeneratorDistance(phase.name, self.config.kl_wt,
                                           self.G.synthesis.num_layers)]
        if phase.name == "Dmix":
            return [MixupDiscriminatorDistance(phase.name, self.config.d_kl_wt)]
        return []

    def generate(self, ctx):
        """Mixup steps: G(alpha @ w) with random noise; other steps: StyleGAN2's fakes."""
        if ctx.phase.name not in self.MIX_PHASES:
            return super().generate(ctx)
        m = ctx.memo("mixup", lambda c: draw_mixup(c, "gen"))
        return ctx.run_synthesis(m.mix_ws, "gen/mixups", return_features=ctx.gen_features_needed)


class MixDLSpec(FewShotSpec):
    """`--method=mixdl`: 10-shot generation from scratch."""

    name = "mixdl"
    title = ("MixDL (Kong et al., ECCV 2022): few-shot generation from scratch with "
             "mixup-based distance learning")
    config_class = MixDLConfig
    method_class = MixDL
    cycle_flag = "mixup_every"
    projection = True
    whole_batch_note = ("its mixup steps mix the codes of each replica's whole batch (alpha is "
                        "N x N) and compare every mixup with every code of the batch")


SPEC = MixDLSpec()
