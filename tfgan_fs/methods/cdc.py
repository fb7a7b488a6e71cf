"""CDC (Ojha et al., CVPR 2021): adapting a pretrained generator to ~10 images with cross-domain
distance consistency and anchor-based relaxed realism, as a variant of the StyleGAN2 method.

- A frozen copy of the source generator, `G_source` (from `--init_from`'s G_ema).
- Anchors: `n_train` latents drawn once per run (saved in checkpoints). Every `subspace_freq`
  steps (slot 0, 'Ganchor'/'Danchor') the fakes come from the anchor regions
  z ~ N(anchor, subspace_std^2) (no style mixing) and D judges whole images; the other steps
  ('Gmain'/'Dmain') use ordinary latents with style mixing and a patch-level D.
- Every G step: kl_wt * KL(softmax(s^S) || softmax(s^T)) on `feat_const_batch` fresh latents,
  s_ij = cos(F_l(z_i), F_l(z_j)) for j != i, one random conv layer l_i in [1, L - 1] per row,
  S the source (no gradients), T the adapted G (`CrossDomainDistance`).

Reference: utkarshojha/few-shot-gan-adaptation `train.py` + `model.py` (reference/fewshot.md
section 5). R1 every 16 steps falls on anchor steps and reads image-level logits, as there.
"""

import dataclasses

import tensorflow as tf

from tfgan_fs import losses
from tfgan_fs import rng
from tfgan_fs.methods.base import Phase, Term, TermResult
from tfgan_fs.methods.fewshot import FewShotConfig, FewShotSpec, draw
from tfgan_fs.methods.options import setting
from tfgan_fs.methods.stylegan2 import StyleGAN2
from tfgan_fs.networks import Generator


@dataclasses.dataclass
class CDCConfig(FewShotConfig):
    """StyleGAN2 with CDC's settings (the reference's defaults)."""
    n_train: int = setting(10, "CDC: number of anchor latents (default 10).", at_least=1)
    subspace_std: float = setting(0.1, "CDC: std of the anchor regions (default 0.1).",
                                  at_least=0)
    subspace_freq: int = setting(4, "CDC: an anchor step (image-level D) every N steps "
                                 "(default 4).", at_least=1)
    feat_const_batch: int = setting(4, "CDC: latents of the distance-consistency term "
                                    "(default 4; each row compares a sample with the others).",
                                    at_least=3)


class CrossDomainDistance(Term):
    """kl_wt * KL(softmax(s^S) || softmax(s^T)), self excluded (every G phase).

    Its `feat_const_batch` latents are its own, not the step's batch: with gradient
    accumulation it runs once per step, in the first round.
    """

    batch_dependence = "none"

    def __init__(self, phase, weight, batch_size, num_layers):
        super().__init__(phase)
        self.weight = float(weight)
        self.batch_size = int(batch_size)
        self.num_layers = int(num_layers)

    def __call__(self, ctx):
        method = ctx.method
        n = self.batch_size
        # The same latents on every replica (each draws its own noise inputs, so the replicas'
        # losses differ by the noise and their mean is what trains G).
        z = draw(ctx, "dist/z", lambda cx: rng.normal(cx.seed_for("dist/z"), [n, method.z_dim],
                                                      batched=False))
        c = method.sample_labels(ctx.seed_for("dist/c"), n, batched=False)
        layer = draw(ctx, "dist/layer", lambda cx: rng.uniform(
            cx.seed_for("dist/layer"), [n], 1, self.num_layers, tf.int32, batched=False))
        source = method.G_source(z, c, noise_mode="random",
                                 noise_seed=ctx.seed_for("dist/source_noise"),
                                 return_layers=True)[1]
        source_sims = tf.stop_gradient(losses.layer_row_similarities(source, source, layer))
        ws = ctx.run_mapping(z, c, "dist", mixing=False)
        target = ctx.run_synthesis(ws, "dist", return_layers=True).layers
        target_sims = losses.layer_row_similarities(target, target, layer)
        loss = self.weight * losses.distance_kl(source_sims, target_sims, exclude_self=True)
        return TermResult(loss, {"Loss/G/dist": loss})


class CDC(StyleGAN2):
    """StyleGAN2 adapted with CDC (see the module docstring). Build it, then load the source
    weights into G, D and G_ema and call `on_init_from()` (the Trainer does on --init_from).

    Args:
        config: CDCConfig (checked by its spec); its D_kwargs must give D patch heads.
        seed: Seed of the anchors.
        Others: as StyleGAN2.
    """

    ANCHOR_PHASES = ("Ganchor", "Danchor")
    snapshot_interpolation = True

    def __init__(self, config, *args, seed=0, **kwargs):
        super().__init__(config, *args, **kwargs)
        self.G_source = Generator.from_config(self.G.get_config() | {"name": "G_source"})
        self.G_source.trainable = False
        self.networks["G_source"] = self.G_source
        self.anchors = tf.Variable(
            rng.normal(rng.make_seed(seed, "cdc_anchors"), [config.n_train, self.z_dim],
                       batched=False), trainable=False, name="anchors")

    def on_init_from(self):
        """G_source <- G_ema (the reference's `g_source` is the source checkpoint's g_ema)."""
        for dst, src in zip(self.G_source.weights, self.G_ema.weights):
            dst.assign(src)

    def adversarial_phases(self, net, trainables, lazy_reg):
        k = self.config.subspace_freq
        phases = [Phase(net + "anchor", net, trainables, k, (0,), lazy=False)]
        if k > 1:
            phases.append(Phase(net + "main", net, trainables, k, tuple(range(1, k)),
                                lazy=False, discriminator="patch"))
        return phases

    def extra_terms(self, phase):
        if phase.name.startswith("G"):
            return [CrossDomainDistance(phase.name, self.config.kl_wt,
                                        self.config.feat_const_batch,
                                        self.G.synthesis.num_layers)]
        return []

    def sample_anchor_latents(self, seed, batch_size):
        """z ~ N(anchor_k, subspace_std^2), k uniform over the anchors (with replacement)."""
        k = rng.uniform(rng.fold(seed, "index"), [batch_size], 0, self.config.n_train,
                        tf.int32)
        noise = rng.normal(rng.fold(seed, "offset"), [batch_size, self.z_dim])
        return tf.gather(self.anchors, k) + self.config.subspace_std * noise

    def generate(self, ctx):
        """Anchor steps: G of anchor-region latents without style mixing."""
        if ctx.phase.name not in self.ANCHOR_PHASES:
            return super().generate(ctx)
        z = draw(ctx, "anchors/z", lambda c: self.sample_anchor_latents(c.seed_for("anchors"),
                                                                        c.batch_size))
        ws = ctx.run_mapping(z, ctx.gen_c, "gen", mixing=False)
        return ctx.run_synthesis(ws, "gen", return_features=ctx.gen_features_needed)

    def checkpoint_items(self):
        return {**super().checkpoint_items(), "cdc_anchors": self.anchors}


class CDCSpec(FewShotSpec):
    """`--method=cdc`: adapt the `--init_from` generator to a few images."""

    name = "cdc"
    title = ("CDC (Ojha et al., CVPR 2021): adapt the --init_from generator to a few images "
             "with cross-domain distance consistency")
    config_class = CDCConfig
    method_class = CDC
    cycle_flag = "subspace_freq"
    default_patch_heads = 1
    requires_init_from = True

    def method_kwargs(self, options):
        return {"seed": options.seed}  # the anchors


SPEC = CDCSpec()
