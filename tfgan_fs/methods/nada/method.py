"""StyleGAN-NADA (Gal et al., SIGGRAPH 2022): CLIP-guided domain adaptation of a generator.

Two copies of a pretrained generator: `G_frozen` and the adapted `G`. Every step draws z, maps
it with the *frozen* mapping network (so the mapping never changes; style mixing with
probability `mixing`), renders the same ws through both synthesis networks (each with its own
random noise, as the reference) and minimises, summed over CLIP models m with weights a_m,

    L = sum_m a_m [lambda_direction L_dir,m + lambda_global L_glob,m]

L_dir = mean_b(1 - cos(n(n(E_I(G(w_b))) - n(E_I(G_frozen(w_b)))), dT)): the CLIP-space edit
must point along the text direction dT from `source_class` to `target_class` (79 templates), or
along the image direction of `--style_img_dir`; L_glob = 1 - cos(E_I(G(w)), E_T("a {target}")).
No discriminator, no EMA (`G_ema` is `G`, for the tools that read a run's generator).

Trained layers (rosinality's layer names, mapped onto the NVlabs blocks): the learned constant
`input` (b4.const), `conv1` (b4.conv1), `to_rgb1` (b4.torgb), `convs` (every conv of the
blocks 8..res, in order) and `to_rgbs`. `phase` picks a fixed set; with `auto_layer_iters > 0`
adaptive layer selection runs every step instead: a W+ copy of `auto_layer_batch` frozen-mapped
ws takes `auto_layer_iters` SGD steps (lr 0.01) on the global loss with the raw target text,
the W+ indices with the largest mean |w_opt - w_init| are ranked and the top `auto_layer_k`
mapped to layers as the reference does (`idx_to_layer = [conv1, to_rgb1] + convs`, so index 1
is `to_rgb1` and index i >= 2 is `convs[i - 2]`). Only those layers are updated that step: the
selection is a tensor that `SelectiveAdam` reads, so the step is traced once.

Adam as the reference: lr * 4/5, betas (0, 0.99^(4/5)) (StyleGAN2's lazy-regularisation ratio
kept though nothing regularises), PyTorch's per-parameter step counts (a layer that is not
selected keeps its moments). Reference: rinongal/StyleGAN-nada `model/ZSSGAN.py`,
`criteria/clip_loss.py`, `train.py`; reference/fewshot.md section 3.

Deliberate differences: both generators use the same style-mixing crossover (the reference
draws one per generator call, so with `mixing > 0` its frozen and adapted images mix at
different layers); a layer left out of a step is skipped by Adam as in PyTorch >= 2.0 (whose
`zero_grad` sets gradients to None; under PyTorch 1.x zeroed gradients still advanced a
previously trained layer's second moment, never its weights since beta1 = 0).
"""

import pathlib

import numpy as np
import tensorflow as tf

from tfgan_fs import images as image_io
from tfgan_fs import losses
from tfgan_fs import rng
from tfgan_fs.clip import ClipModel, compose, preprocess_pil
from tfgan_fs.convert.sources import load_generator
from tfgan_fs.methods.base import Phase, Term, TermResult
from tfgan_fs.methods.generator_method import GeneratorMethod
from tfgan_fs.methods.nada.config import PHASES, style_images
from tfgan_fs.methods.optimizers import AdamConfig, SelectiveAdam, lazy_regularization_adam
from tfgan_fs.networks import Generator

LAYER_SELECTION_LR = 0.01    # SGD on the W+ copy
REFERENCE_REG_RATIO = 4 / 5  # g_reg_every / (g_reg_every + 1) with g_reg_every = 4


def synthesis_layer_groups(G):
    """G's synthesis layers in rosinality's terms: {'input': [const], 'conv1': layer,
    'to_rgb1': layer, 'convs': [layers], 'to_rgbs': [layers]} (NVlabs block order)."""
    b4, *blocks = G.synthesis.blocks
    return {"input": b4, "conv1": b4.conv1, "to_rgb1": b4.torgb,
            "convs": [conv for b in blocks for conv in (b.conv0, b.conv1)],
            "to_rgbs": [b.torgb for b in blocks]}


def phase_layers(G, phase):
    """The layers the reference's `get_training_layers(phase)` trains (mapping excluded: its
    ws come from the frozen mapping, so it gets no gradient there either)."""
    g = synthesis_layer_groups(G)
    convs = g["convs"]
    base = [g["input"], g["conv1"]]
    picks = {"default": convs, "texture": convs[2:10], "shape": convs[0:2],
             "no_fine": convs[:10], "shape_expanded": convs[0:3]}
    if phase == "all":
        return base + [g["to_rgb1"]] + convs + g["to_rgbs"]
    if phase not in picks:
        raise ValueError(f"unknown phase {phase!r}; one of {', '.join(PHASES)}")
    return base + picks[phase]


def selection_candidates(G):
    """`idx_to_layer` of the reference: W+ index i -> [conv1, to_rgb1, *convs][i]."""
    g = synthesis_layer_groups(G)
    return [g["conv1"], g["to_rgb1"]] + g["convs"]


def layer_variables(layer):
    """The trainable variables of a layer; of the 4x4 block only its constant (`input`)."""
    if hasattr(layer, "const") and layer.const is not None:
        return [layer.const]
    return list(layer.trainable_variables)


def load_source_generator(network, log=print):
    """The source generator (G_ema) of a run dir / checkpoint, or of a StyleGAN2-ADA pickle or
    rosinality checkpoint converted in memory (`tools/convert_pkl.py` writes a run dir once)."""
    if not pathlib.Path(network).exists():
        raise FileNotFoundError(
            f"--network {network} does not exist: give a run directory, a checkpoint, a "
            "StyleGAN2-ADA network pickle or a rosinality .pt (official ones: see the README, "
            "'The papers' models')")
    return load_generator(network, "G_ema", log=log)


def _copy_generator(source, name):
    G = Generator.from_config(source.get_config() | {"name": name})
    for dst, src in zip(G.weights, source.weights):
        dst.assign(src)
    return G


class ClipLoss(Term):
    """sum_m a_m [lambda_direction L_dir,m + lambda_global L_glob,m] (see the module docstring)
    on the adapted and frozen images of the same frozen-mapped ws."""

    def __init__(self, phase, lambda_direction, lambda_global):
        super().__init__(phase)
        self.lambda_direction = float(lambda_direction)
        self.lambda_global = float(lambda_global)

    def __call__(self, ctx):
        method = ctx.method
        ws = method.frozen_mapping(ctx.gen_z, ctx.gen_c, ctx.seed_for("mapping"))
        frozen = tf.stop_gradient(method.G_frozen.synthesis(
            ws, noise_mode="random", noise_seed=ctx.seed_for("frozen/noise")))
        img = method.G.synthesis(ws, noise_mode="random", noise_seed=ctx.seed_for("G/noise"))
        direction_total = global_total = 0.0
        for clip, weight, direction, target_text in method.clip_targets():
            emb = clip.encode_images(img)
            if self.lambda_direction:
                emb_frozen = tf.stop_gradient(clip.encode_images(frozen))
                loss = losses.clip_directional_loss(
                    emb, emb_frozen, direction,
                    emb_trainable_shifted=lambda c=clip: c.encode_images(
                        img + losses.clip.IDENTICAL_IMAGE_OFFSET))
                direction_total += weight * loss
            if self.lambda_global:
                global_total += weight * losses.clip_global_loss(emb, target_text)
        loss = self.lambda_direction * direction_total + self.lambda_global * global_total
        stats = {"Loss/G/loss": loss}
        if self.lambda_direction:
            stats["Loss/clip/direction"] = direction_total
        if self.lambda_global:
            stats["Loss/clip/global"] = global_total
        stats.update({f"Selection/{name}": method.selection[i]
                      for i, name in enumerate(method.group_names)})
        return TermResult(loss, stats)


class NADA(GeneratorMethod):
    """StyleGAN-NADA (see the module docstring). Build inside `strategy.scope()`.

    Args:
        config: NADAConfig (checked by its spec).
        clip_models: [(ClipModel, weight)] with nonzero weights (`load_clip_models`).
        seed: Seed of the image-target source samples.
        source: The source generator (default: loaded from `config.network`).
        log: Function for progress messages.
    """

    status_stats = {"clip": "Loss/G/loss"}
    uses_data = False
    divergence_hint = "a lower learning rate (--lr)"

    def __init__(self, config, clip_models, seed=0, source=None, log=print):
        if not clip_models:
            raise ValueError("NADA needs at least one CLIP model with a nonzero weight")
        self.config = config
        source = source if source is not None else load_source_generator(config.network, log)
        self.G_frozen = _copy_generator(source, "G_frozen")
        self.G_frozen.trainable = False
        self.G = _copy_generator(source, "G")
        self.G_ema = self.G  # no EMA: the adapted G is what the tools load
        self.z_dim, self.c_dim = self.G.z_dim, self.G.c_dim
        self.networks = {"G": self.G, "G_frozen": self.G_frozen, "G_ema": self.G}
        self.ema_pairs = []
        self.clip_models = list(clip_models)

        selecting = config.auto_layer_iters > 0
        config.check_num_ws(self.G.num_ws)  # a pickle's is known only once it is converted
        layers = selection_candidates(self.G) if selecting else phase_layers(self.G,
                                                                             config.phase)
        self.group_names = [self._layer_name(layer) for layer in layers]
        self.group_variables = [layer_variables(layer) for layer in layers]
        self.candidate_groups = tf.constant(np.arange(len(layers)), tf.int32)
        self.selection = tf.Variable(tf.ones([len(layers)]), trainable=False, name="selection",
                                     aggregation=tf.VariableAggregation.ONLY_FIRST_REPLICA)
        groups = {v.path: i for i, vs in enumerate(self.group_variables) for v in vs}
        reference = lazy_regularization_adam(AdamConfig(lr=config.lr), 4)
        self.optimizers = {"G": SelectiveAdam(
            learning_rate=config.lr * REFERENCE_REG_RATIO, beta_1=0.0,
            beta_2=float(reference.beta_2), epsilon=1e-8, selection=self.selection,
            groups=groups, name="G_opt")}

        self.target_texts = [tf.constant(clip.encode_texts([config.target_class]))
                             for clip, _ in self.clip_models]
        self.global_texts = [tf.constant(clip.encode_texts([f"a {config.target_class}"]))
                             for clip, _ in self.clip_models]
        self.directions = [tf.Variable(d, trainable=False, name=f"direction_{i}")
                           for i, d in enumerate(self._directions(seed, log))]
        self._phase = Phase("Gclip", "G", self.trainable_variables, lazy=False,
                            prepare=self.select_layers if selecting else None)
        self._terms = [ClipLoss("Gclip", config.lambda_direction, config.lambda_global)]

    def _layer_name(self, layer):
        if layer is self.G.synthesis.blocks[0]:
            return "input"
        return f"{layer.path.split('/')[-2]}.{layer.name}"

    def trainable_variables(self):
        return [v for vs in self.group_variables for v in vs]

    # --- targets ---------------------------------------------------------------------------

    def _directions(self, seed, log):
        """[1, D] target direction per CLIP model: text templates, or `style_img_dir`."""
        cfg = self.config
        if not cfg.style_img_dir:
            return [losses.text_direction(clip.encode_texts(compose(cfg.source_class)),
                                          clip.encode_texts(compose(cfg.target_class)))
                    for clip, _ in self.clip_models]
        files = style_images(cfg.style_img_dir)
        log(f"Image target: {len(files)} style image(s) from {cfg.style_img_dir}; source: "
            f"{cfg.img2img_batch} images of the source generator")
        z = rng.normal(rng.make_seed(seed, "img2img"), [cfg.img2img_batch, self.z_dim],
                       batched=False)
        c = self.sample_labels(rng.make_seed(seed, "img2img/c"), cfg.img2img_batch,
                               batched=False)
        generated = self.G(z, c, noise_mode="random",
                           noise_seed=rng.make_seed(seed, "img2img/noise"))
        directions = []
        for clip, _ in self.clip_models:
            style = clip.encode_image_arrays([preprocess_pil(f, clip.input_size) for f in files])
            directions.append(losses.image_direction(clip.encode_images(generated), style))
        return directions

    def clip_targets(self):
        """[(ClipModel, weight, direction [1, D], global text embedding [1, D])]."""
        return [(clip, weight, self.directions[i], self.global_texts[i])
                for i, (clip, weight) in enumerate(self.clip_models)]

    # --- forward passes ----------------------------------------------------------------------

    def sample_labels(self, seed, batch_size, batched=True):
        """Uniform classes for a conditional source generator (none for unconditional)."""
        if self.c_dim == 0:
            return tf.zeros([batch_size, 0], tf.float32)
        probs = np.full([self.c_dim], 1.0 / self.c_dim, np.float32)
        idx = rng.categorical(seed, probs, batch_size, batched=batched)
        return tf.one_hot(idx, self.c_dim, dtype=tf.float32)

    def frozen_mapping(self, z, c, seed):
        """ws of the frozen mapping network; with probability `mixing` the ws after a random
        crossover come from a second z (one crossover for both generators)."""
        ws = self.G_frozen.mapping(z, c)
        if self.config.mixing <= 0:
            return ws
        num_ws = self.G.num_ws
        cutoff = rng.uniform(rng.fold(seed, "cutoff"), [], 1, num_ws, tf.int32, batched=False)
        mix = rng.uniform(rng.fold(seed, "mix"), [], batched=False) < self.config.mixing
        ws2 = self.G_frozen.mapping(rng.normal(rng.fold(seed, "z2"), z.shape), c)
        keep = tf.range(num_ws) < tf.where(mix, cutoff, num_ws)
        return tf.where(keep[tf.newaxis, :, tf.newaxis], ws, ws2)

    def select_layers(self, ctx):
        """Adaptive layer selection (the reference's `determine_opt_layers`): sets
        `selection` to the groups of the top-k W+ indices after SGD on the global loss."""
        cfg = self.config
        n = cfg.auto_layer_batch
        z = rng.normal(ctx.seed_for("select/z"), [n, self.z_dim], batched=False)
        c = self.sample_labels(ctx.seed_for("select/c"), n, batched=False)
        w_init = tf.stop_gradient(self.G_frozen.mapping(z, c))
        self.select_layers_from(w_init, lambda i: ctx.seed_for(f"select/noise{i}"))

    def select_layers_from(self, w_init, noise_seed):
        """`select_layers` from given initial ws [N, num_ws, w_dim] (the reference's
        `initial_w_codes`); `noise_seed(i)` seeds the adapted generator's noise in SGD step i.
        Sets `selection`; returns (the chosen W+ indices, best first, and the scores
        mean |w_opt - w_init| per W+ index [num_ws])."""
        cfg = self.config
        w = w_init
        for i in range(cfg.auto_layer_iters):
            with tf.GradientTape() as tape:
                tape.watch(w)
                img = self.G.synthesis(w, noise_mode="random", noise_seed=noise_seed(i))
                loss = tf.add_n([weight * losses.clip_global_loss(clip.encode_images(img), text)
                                 for (clip, weight), text in zip(self.clip_models,
                                                                 self.target_texts)])
            w = w - LAYER_SELECTION_LR * tape.gradient(loss, w)
        score = tf.reduce_mean(tf.abs(w - w_init), axis=[0, 2])  # [num_ws]
        chosen = tf.math.top_k(score, cfg.auto_layer_k).indices
        mask = tf.reduce_max(tf.one_hot(tf.gather(self.candidate_groups, chosen),
                                        len(self.group_names)), axis=0)
        self.selection.assign(mask)
        return chosen, score

    # --- Method interface ----------------------------------------------------------------------

    def phases(self):
        return [self._phase]

    def terms(self):
        return list(self._terms)

    def snapshot_pictures(self, z, c):
        """'nada': the frozen (top row) and adapted (bottom row) generator on the same z at
        `sample_truncation`, constant noise."""
        psi = self.config.sample_truncation
        before = self.G_frozen(z, c, truncation_psi=psi, noise_mode="const")
        after = self.G(z, c, truncation_psi=psi, noise_mode="const")
        pictures = image_io.to_uint8(np.concatenate([before, after]))
        return {"nada": image_io.make_grid(pictures, len(z))}

    def ema_beta(self, options, nimg):
        return 0.0  # no EMA pairs

    def checkpoint_items(self):
        return {"G": self.G, "G_frozen": self.G_frozen, "G_ema": self.G,
                "G_opt": self.optimizers["G"], "nada_directions": list(self.directions),
                "nada_selection": self.selection, "terms": self.terms()}


def load_clip_models(names, weights, log=print):
    """[(ClipModel, weight)] for the models with nonzero weight (a zero weight drops a model
    from the loss and from layer selection, as the reference); the counts and weights are
    checked by `NADAConfig.validate`."""
    models = []
    for name, weight in zip(names, weights):
        if float(weight) == 0.0:
            log(f"CLIP {name}: weight 0, not loaded")
            continue
        log(f"Loading CLIP {name} (weight {float(weight):g})...")
        models.append((ClipModel.from_preset(name), float(weight)))
    return models
