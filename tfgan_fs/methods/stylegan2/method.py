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

import numpy as np
import tensorflow as tf

from tfgan_fs import feature_pictures
from tfgan_fs import images
from tfgan_fs import interpolation
from tfgan_fs import rng
from tfgan_fs.methods.base import Phase
from tfgan_fs.methods.generator_method import DOutput, GenOutput, GeneratorMethod
from tfgan_fs.methods.optimizers import lazy_regularization_adam
from tfgan_fs.methods.stylegan2.config import ema_beta
from tfgan_fs.methods.stylegan2.terms import (DiscriminatorMainLoss, GeneratorMainLoss, GGDRLoss,
                                              PathLengthPenalty, R1Penalty)
from tfgan_fs.networks import Discriminator, Generator
from tfgan_fs.runs import checkpoints

BUFFER_NAMES = ("w_avg", "noise_const")
INTERP_KEYFRAMES = 4  # snapshot 'interp': rows of W-space interpolation between 4 latents
INTERP_STEPS = 8


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


class StyleGAN2(GeneratorMethod):
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
        ada: Optional AdaController: adapts the pipe's p to D's signs on the reals (ADA);
            saved in checkpoints.
    """

    snapshot_interpolation = False  # few-shot methods show their latent space's smoothness
    divergence_hint = "a lower learning rate (--glr/--dlr) or a larger R1 weight (--gamma)"

    def __init__(self, config, img_resolution, img_channels, label_distribution=(),
                 augment_pipe=None, ada=None):
        self.config = config
        self.ada = ada
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
        for net, trainables, reg_term, interval in [
                ("G", lambda: self.G.trainable_variables, g_reg, cfg.G_reg_interval),
                ("D", lambda: self.D.trainable_variables, d_reg, cfg.D_reg_interval)]:
            main_phases = self.adversarial_phases(net, trainables, lazy_reg=interval is not None)
            for phase in main_phases:
                phases.append(phase)
                terms.append(self.adversarial_term(net, phase))
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

    def adversarial_term(self, net, phase):
        """The adversarial loss of `net` ('G' or 'D') in `phase`: the non-saturating logistic
        loss (a variant with another loss overrides this)."""
        return (GeneratorMainLoss if net == "G" else DiscriminatorMainLoss)(phase.name)

    def extra_terms(self, phase):
        """Terms a method adds to one of its adversarial phases (MixDL's, CDC's distances)."""
        return []

    def accumulation_notes(self, batch_gpu, per_replica):
        """D's minibatch-std groups per round; the path-length batch per round."""
        notes = []
        mbstd = self.D.b4.mbstd
        if mbstd is not None:
            def group(n):
                return n if mbstd.group_size is None else min(mbstd.group_size, n)
            text = f"D's minibatch-std groups: {group(batch_gpu)} samples per group"
            if group(batch_gpu) != group(per_replica):
                text += (f" (unsplit: {group(per_replica)}; D's statistic is taken over fewer "
                         "samples, as the reference's does with a smaller --batch-gpu)")
            notes.append(text)
        terms = [t for t in self.terms() if isinstance(t, PathLengthPenalty)]
        for term in terms:
            per_round = max(batch_gpu // term.batch_shrink, 1)
            rounds = per_replica // batch_gpu
            notes.append(f"path length ({term.phase}): {per_round} latents per round, "
                         f"{per_round * rounds} per replica; pl_mean moves once per round")
        return notes

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
        out = self.D(img, c, return_features=return_features, return_decoder=return_decoder,
                     return_patches=return_patches, return_embedding=return_embedding)
        out = out if isinstance(out, dict) else {"logits": out}
        patch_index = None
        if return_patches:
            patch_index = rng.uniform(rng.fold(seed, "patch_head"), [], 0,
                                      len(out["patches"]), tf.int32, batched=False)
        return DOutput(logits=out["logits"], features=out.get("features"),
                       decoder=out.get("decoder"), aligned=aligned, patches=out.get("patches"),
                       patch_index=patch_index, embedding=out.get("embedding"))

    def snapshot_pictures(self, z, c):
        """GGDR: 'gfeat', G_ema's features at ggdr_res (PCA to RGB) above D's predictions.
        Few-shot methods: 'interp', G_ema's W-space interpolations between the first
        keyframes, one row per pair (smooth, or stair-like jumps between training images)."""
        pictures = {}
        if self.config.reg_type == "ggdr":
            res = self.config.ggdr_res[0]
            img, features = self.G_ema(z, c, noise_mode="const", return_features=True)
            fmaps = self.D(img, c, return_decoder=True)["decoder"]
            pictures["gfeat"] = feature_pictures.feature_picture(
                images.to_uint8(img), features[res].numpy(), fmaps[res].numpy())
        if self.snapshot_interpolation:
            k = min(len(z), INTERP_KEYFRAMES)
            pictures["interp"] = interpolation.interpolation_grid(self.G_ema, z[:k], c[:k],
                                                                  steps=INTERP_STEPS)
        return pictures

    def is_buffer(self, variable):
        return variable.name in BUFFER_NAMES

    # --- what the loop asks ------------------------------------------------------------------

    def make_dataset(self, data, options, start_image, num_parallel_calls=None, shard=None):
        """Real images (uint8) and one-hot labels of `data`, continuing after `start_image`."""
        return data.make_dataset(
            options.batch_size, seed=options.seed, mirror=self.config.mirror,
            use_labels=self.config.cond, max_images=options.max_images,
            start_image=start_image, num_parallel_calls=num_parallel_calls, shard=shard)

    def ema_beta(self, options, nimg):
        """A G_ema half-life of `ema_kimg` with the preset's ramp-up."""
        return ema_beta(options.batch_size, self.config.ema_kimg, self.config.ema_rampup, nimg)

    def observe(self, stats):
        """ADA: accumulates E[sign(D(augmented reals))] of the phases that judged reals."""
        if self.ada is not None and "Loss/signs/real" in stats:
            self.ada.observe(stats["Loss/signs/real"])

    def end_iteration(self, step, batch_size):
        """ADA: moves p every `ada.interval` iterations."""
        if self.ada is not None and (step + 1) % self.ada.interval == 0:
            p = self.augment_pipe.p
            p.assign(self.ada.update(float(p.numpy()), batch_size))

    def progress_stats(self):
        """'Progress/augment': the augmentation probability p (ADA, fixed)."""
        if hasattr(self.augment_pipe, "p"):
            return {"Progress/augment": float(self.augment_pipe.p.numpy())}
        return {}

    def init_from(self, path, resolution, log=print):
        """G, D and G_ema from a run dir or checkpoint (transfer learning, few-shot sources),
        then `on_init_from`; returns the checkpoint read."""
        checkpoints.check_source_resolution(path, resolution)
        _, saved = checkpoints.load_network_configs(path)
        names = [k for k in ("G", "D", "G_ema") if k in saved or k != "D"]
        src = checkpoints.restore_weights({k: self.networks[k] for k in names}, path, log=log)
        self.on_init_from()
        log(f"Initialised {', '.join(names[:-1])} and {names[-1]} from {src}")
        if "D" not in names:
            log(f"Note: {src} has no discriminator (a generator-only source such as "
                "StyleGAN-NADA's released models): D starts from its random initialisation")
        return src

    def on_init_from(self):
        """Called after G, D and G_ema were loaded to start a new run (CDC takes its frozen
        source generator from G_ema here)."""

    def checkpoint_items(self):
        items = super().checkpoint_items()
        if self.augment_pipe is not None:
            items["augment_pipe"] = self.augment_pipe  # ADA's p survives --resume
        if self.ada is not None:
            items["ada"] = self.ada  # and so do its running statistics
        return items
