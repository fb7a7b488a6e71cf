"""The plug-in seam of the training loop: Method, Phase, Term and StepContext.

A **Method** owns the networks, optimizers and EMA pairs of one GAN recipe and lists its phases
and terms. A **Phase** is one kind of optimisation step: a name, the optimizer it uses, how often
it runs (lazy regularisation is an interval) and which variables it trains. A **Term** is one
weighted loss of one phase; it reads forward results from the per-step **StepContext** and
returns a per-sample loss and statistics. New regularisers are new Terms; the loop never changes.

Everything here runs inside a `tf.function` (one trace per phase) and inside a
`tf.distribute` replica context, so Terms must not have Python side effects that are meant to
happen every step: state lives in `tf.Variable`s, statistics are returned.
"""

import dataclasses
import functools
from typing import Callable, Optional

import numpy as np
import tensorflow as tf

from tfgan_fs import rng


def memoized_property(fn):
    """A read-only property computed once per instance.

    Unlike `functools.cached_property` it takes no lock: before Python 3.12 that lock is shared
    by all instances, and MirroredStrategy traces each replica in its own thread, so a replica
    holding it while waiting in a cross-replica all-reduce deadlocks the others.
    """
    name = fn.__name__

    @functools.wraps(fn)
    def getter(self):
        cache = self.__dict__.setdefault("_memoized", {})
        if name not in cache:
            cache[name] = fn(self)
        return cache[name]

    return property(getter)


@dataclasses.dataclass(frozen=True)
class Phase:
    """One optimisation step type of a Method.

    Attributes:
        name: Phase name, e.g. 'Gmain', 'Greg', 'Dmain', 'Dreg'.
        optimizer: Key of the optimizer in `Method.optimizers`, or a tuple of keys when one
            loss steps several networks with their own optimizers (StarGAN v2's generator
            step: G, mapping network and style encoder, each its own learning rate).
        trainables: Callable returning the variables this phase trains (called at trace time,
            so a method can freeze layers, e.g. Freeze-D or NADA's layer selection); with a
            tuple of optimizers, one list of variables per optimizer.
        interval: The phase runs when `step % interval` is in `offsets`.
        offsets: Slots of the cycle of `interval` steps in which the phase runs ((0,): lazy
            regularisation; MixDL's mixup phases run in slot 0 of 2, CDC's patch phases in
            slots 1-3 of 4).
        lazy: Multiply the loss by `interval` (lazy regularisation, Karras et al. 2020,
            section 3.1). Phases that alternate with others instead of regularising lazily set
            False.
        discriminator: Which D output the adversarial terms of this phase read: 'image'
            (one logit per image) or 'patch' (CDC's and MixDL's patch-level logits).
        prepare: Optional `fn(ctx)` run inside the compiled step before the phase's loss is
            differentiated, with its own StepContext (NADA's layer selection writes the
            selection its optimizer reads).
    """
    name: str
    optimizer: str
    trainables: Callable[[], list]
    interval: int = 1
    offsets: tuple = (0,)
    lazy: bool = True
    discriminator: str = "image"
    prepare: Optional[Callable] = None

    def optimizer_groups(self):
        """[(optimizer key, variables)] this phase steps."""
        if isinstance(self.optimizer, str):
            return [(self.optimizer, list(self.trainables()))]
        groups = list(self.trainables())
        if len(groups) != len(self.optimizer):
            raise ValueError(f"phase {self.name!r}: {len(self.optimizer)} optimizers but "
                             f"{len(groups)} variable lists")
        return [(key, list(variables)) for key, variables in zip(self.optimizer, groups)]

    def runs_at(self, step):
        """Whether the phase runs at training step `step`."""
        return step % self.interval in self.offsets

    @property
    def loss_scale(self):
        return float(self.interval) if self.lazy else 1.0


@dataclasses.dataclass
class TermResult:
    """What a Term returns: a per-sample (or scalar) weighted loss and named statistics.

    Statistics are tensors of any shape; the loop reports the mean over all their elements, all
    replicas and the whole tick, under the stat's path name (e.g. 'Loss/D/reg').
    """
    loss: tf.Tensor
    stats: dict


class Term(tf.Module):
    """One weighted loss in one phase.

    Subclasses implement `__call__(ctx) -> TermResult` and may create `tf.Variable`s for their
    own state (they are checkpointed with the run). `needs` lists context requests that make the
    shared forward passes return more: 'gen.features' (G's block features), 'fake.features' /
    'real.features' (D's block features), 'fake.decoder' / 'real.decoder' (D's GGDR decoder
    maps). `aligned_features` lists resolutions of G's features that must go through D's
    augmentation together with the generated images (`ctx.fake.aligned`), as GGDR's targets.

    Args:
        phase: Name of the phase this term belongs to.
        name: Term name (defaults to the class name).
    """

    needs = frozenset()
    aligned_features = ()

    def __init__(self, phase, name=None):
        super().__init__(name=name or type(self).__name__)
        self.phase = phase

    def __call__(self, ctx):
        raise NotImplementedError


@dataclasses.dataclass
class GenOutput:
    """Generator forward result: images [N, H, W, C], ws [N, num_ws, w_dim], on request the
    block features {resolution: NHWC} and the list of every conv layer's output."""
    img: tf.Tensor
    ws: tf.Tensor
    features: Optional[dict] = None
    layers: Optional[list] = None


@dataclasses.dataclass
class DOutput:
    """Discriminator forward result: logits [N, 1] and, on request, D's block features, the
    GGDR decoder's maps and maps augmented together with the images ({resolution: NHWC}),
    the patch heads' logits (a list of [N, r, r, 1]) with the index of the head drawn for this
    forward, and the projection head's embedding [N, dim]."""
    logits: tf.Tensor
    features: Optional[dict] = None
    decoder: Optional[dict] = None
    aligned: Optional[dict] = None
    patches: Optional[list] = None
    patch_index: Optional[tf.Tensor] = None
    embedding: Optional[tf.Tensor] = None

    def per_image(self, fn=tf.identity):
        """[N]: fn(logits), or with patch logits the mean of fn over the drawn head's patches
        of each image (so that a mean over images is the mean over all patches, as the
        references' `softplus(D(x)).mean()` on patch logits). `fn` is elementwise."""
        if self.patches is None:
            return tf.reshape(fn(self.logits), [-1])
        per_head = []
        for p in self.patches:
            n = tf.shape(p)[0]
            per_head.append(tf.reduce_mean(tf.reshape(fn(tf.reshape(p, [-1])), [n, -1]), 1))
        return tf.gather(tf.stack(per_head), self.patch_index)


class StepContext:
    """Per-step, per-phase view of one replica's batch with memoised forward passes.

    Terms read `ctx.gen` (the method's fakes for this phase, `Method.generate`), `ctx.fake` and
    `ctx.real` (computed on first use, then shared by all terms of the phase) or run their own
    forwards through `ctx.run_mapping`, `ctx.run_synthesis` and `ctx.run_D` with a named random
    stream; `ctx.memo` shares any other forward between the terms of a phase. D's forwards
    return patch-level logits in phases with `discriminator='patch'`.

    Args:
        method: The Method being trained.
        phase: The Phase being run.
        real_img: Real images of this replica, float32 in [-1, 1], [N, H, W, C] (None for
            methods that read no data, `Method.uses_data`).
        real_c: Their labels [N, c_dim] (or None).
        seed: [2] int64 seed of this step and phase; every draw is folded from it.
        needs: Union of the phase's terms' `needs`.
        aligned_features: Union of the phase's terms' `aligned_features`.
        batch_size: Samples per replica where there are no real images.
        inputs: The method's further inputs of this replica's batch (`Method.batch_inputs`;
            StarGAN v2's reference images and target domains).
        step_seed: [2] seed of the iteration before it is folded with the phase name.
    """

    def __init__(self, method, phase, real_img, real_c, seed, needs=frozenset(),
                 aligned_features=(), batch_size=None, inputs=None, step_seed=None):
        self.method = method
        self.inputs = dict(inputs or {})
        self.step_seed = step_seed
        self.phase = phase
        self.real_img = real_img
        self.real_c = real_c
        self.seed = seed
        self.needs = frozenset(needs)
        self.aligned_features = tuple(sorted(set(aligned_features)))
        self.batch_size = int(real_img.shape[0]) if real_img is not None else int(batch_size)

    def seed_for(self, name):
        """An independent seed for the random stream `name` of this step and phase."""
        return rng.fold(self.seed, name)

    def iteration_seed_for(self, name):
        """A seed for the stream `name` shared by every phase of this iteration (StarGAN v2's
        z_trg, drawn once per iteration as the reference's input fetcher does)."""
        return rng.fold(self.step_seed if self.step_seed is not None else self.seed, name)

    def memo(self, key, compute):
        """`compute(self)`, computed once per phase and step and shared by its terms."""
        cache = self.__dict__.setdefault("_memo", {})
        if key not in cache:
            cache[key] = compute(self)
        return cache[key]

    @memoized_property
    def gen_z(self):
        return rng.normal(self.seed_for("gen_z"), [self.batch_size, self.method.z_dim])

    @memoized_property
    def gen_c(self):
        return self.method.sample_labels(self.seed_for("gen_c"), self.batch_size)

    @property
    def gen_features_needed(self):
        """Whether `gen` must carry G's block features (a term reads or aligns them)."""
        return "gen.features" in self.needs or bool(self.aligned_features)

    @memoized_property
    def gen(self):
        """The generated images D judges in this phase (`Method.generate`)."""
        return self.method.generate(self)

    @memoized_property
    def fake(self):
        """D on the (augmented) generated images of `gen`; `aligned` holds G's features at
        `aligned_features`, augmented with the same geometric transform (constants)."""
        aligned = None
        if self.aligned_features:
            aligned = {res: tf.stop_gradient(self.gen.features[res])
                       for res in self.aligned_features}
        return self.run_D(self.gen.img, self.gen_c, "fake",
                          return_features="fake.features" in self.needs,
                          return_decoder="fake.decoder" in self.needs, aligned=aligned)

    @memoized_property
    def real(self):
        """D on the (augmented) real images."""
        return self.run_D(self.real_img, self.real_c, "real",
                          return_features="real.features" in self.needs,
                          return_decoder="real.decoder" in self.needs)

    def run_mapping(self, z, c, stream, mixing=True):
        return self.method.run_mapping(z, c, self.seed_for(stream + "/mapping"), mixing=mixing)

    def run_synthesis(self, ws, stream, return_features=False, return_layers=False):
        return self.method.run_synthesis(ws, self.seed_for(stream + "/synthesis"),
                                         return_features=return_features,
                                         return_layers=return_layers)

    def run_D(self, img, c, stream, return_features=False, return_decoder=False, aligned=None,
              return_embedding=False, return_patches=None):
        """D through the method; patch logits by default exactly in patch-level phases."""
        if return_patches is None:
            return_patches = self.phase.discriminator == "patch"
        return self.method.run_D(img, c, self.seed_for(stream + "/D"),
                                 return_features=return_features,
                                 return_decoder=return_decoder, aligned=aligned,
                                 return_patches=return_patches,
                                 return_embedding=return_embedding)


class Method:
    """Base class of a GAN recipe: networks, optimizers, EMA pairs, phases and terms.

    Subclasses set `networks` (dict name -> Keras model), `optimizers` (dict name -> Keras
    optimizer), `ema_pairs` (list of (source, target) models), `z_dim`, and implement `phases()`,
    `terms()`, `run_mapping`, `run_synthesis`, `run_D` and `sample_labels`. Construct a Method
    inside `strategy.scope()`.
    """

    networks: dict
    optimizers: dict
    ema_pairs: list
    z_dim: int
    uses_data = True  # steps read real images (NADA's do not: no dataset, no D)
    status_stats = {"G": "Loss/G/loss", "D": "Loss/D/loss"}  # the loop's status line
    counts_iterations = False  # progress in iterations (NADA), not in kimg of real images

    def phases(self):
        raise NotImplementedError

    def terms(self):
        raise NotImplementedError

    def terms_of(self, phase):
        """The terms that belong to `phase`, in declaration order."""
        return [term for term in self.terms() if term.phase == phase.name]

    def run_mapping(self, z, c, seed, mixing=True):
        raise NotImplementedError

    def run_synthesis(self, ws, seed, return_features=False, return_layers=False):
        raise NotImplementedError

    def run_D(self, img, c, seed, return_features=False, return_decoder=False, aligned=None,
              return_patches=False, return_embedding=False):
        raise NotImplementedError

    def sample_labels(self, seed, batch_size, batched=True):
        """Labels [N, c_dim] for generated images; `batched` as `rng.normal`."""
        raise NotImplementedError

    def generate(self, ctx):
        """The fakes of `ctx.phase` (GenOutput): by default G(gen_z, gen_c) through
        `run_mapping` (style mixing) with random noise. Methods whose phases judge other
        fakes (CDC's anchors, MixDL's mixups) override this."""
        ws = ctx.run_mapping(ctx.gen_z, ctx.gen_c, "gen")
        return ctx.run_synthesis(ws, "gen", return_features=ctx.gen_features_needed)

    def snapshot_pictures(self, z, c):
        """Named uint8 pictures [H, W, 3] the loop saves at every snapshot besides the fakes
        grid (e.g. GGDR's features); `z`, `c` are fixed latents and labels."""
        return {}

    # --- What the loop asks of a method (defaults: a z -> image generator `G_ema`) -----------

    def make_dataset(self, data, options, start_image, num_parallel_calls=None, shard=None):
        """The tf.data stream of the batches a step consumes: by default (real images uint8,
        one-hot labels) of `data` (TrainingData), continuing after `start_image` images;
        `shard` as `TrainingData.make_dataset` (per-replica rows of each global batch)."""
        return data.make_dataset(
            options.batch_size, seed=options.seed, mirror=options.mirror,
            use_labels=options.cond, max_images=options.max_images, start_image=start_image,
            num_parallel_calls=num_parallel_calls, shard=shard)

    def batch_inputs(self, batch):
        """(real images float32 in [-1, 1] or None, real labels or None, {name: tensor}) of one
        replica's batch (a tuple from `make_dataset`); the dict is `StepContext.inputs`."""
        real_img, real_c = batch
        if real_img is not None:
            real_img = tf.cast(real_img, tf.float32) / 127.5 - 1.0
        return real_img, real_c, {}

    def ema_beta(self, options, nimg):
        """The EMA decay of this step: a half-life of `options.ema_kimg` with ramp-up."""
        from tfgan_fs.training.ema import ema_beta  # noqa: PLC0415 (training imports methods)
        return ema_beta(options.batch_size, options.ema_kimg, options.ema_rampup, nimg)

    def end_iteration(self, step):
        """Called by the loop after iteration `step` (0-based) ran its phases and the EMA
        (outside the compiled steps): schedules kept in variables (StarGAN v2's lambda_ds)."""

    def init_from(self, path, resolution, log=print):
        """Loads the weights that start a new run (`--init_from`); returns the source path."""
        raise ValueError(f"{type(self).__name__} cannot start from --init_from")

    def snapshot_inputs(self, data, seed):
        """Fixed inputs of the snapshot pictures (the same after a resume): a grid of latents
        `z`, labels `c` (one class per row for a conditional G) and the grid's size."""
        from tfgan_fs import images as image_io  # noqa: PLC0415
        grid_w, grid_h = image_io.grid_shape(self.G_ema.img_resolution)
        n = grid_w * grid_h
        z = np.random.RandomState(seed).randn(n, self.z_dim).astype(np.float32)
        c = np.zeros([n, self.c_dim], np.float32)
        if self.c_dim:
            c[np.arange(n), (np.arange(n) // grid_w) % self.c_dim] = 1
        return {"z": z, "c": c, "grid_w": grid_w, "grid_h": grid_h}

    def fakes_grid(self, fixed, batch_size=32):
        """'fakes': G_ema samples of the fixed latents (constant noise), one uint8 picture."""
        from tfgan_fs import images as image_io  # noqa: PLC0415
        G_ema = self.G_ema

        @tf.function
        def generate(z, c):
            return G_ema(z, c, noise_mode="const")

        z, c = fixed["z"], fixed["c"]
        outputs = [generate(z[i:i + batch_size], c[i:i + batch_size])
                   for i in range(0, len(z), batch_size)]
        return image_io.make_grid(image_io.to_uint8(np.concatenate(outputs)), fixed["grid_w"])

    def snapshot(self, fixed, max_samples=8):
        """{name: uint8 picture} saved at every snapshot: 'fakes' and `snapshot_pictures`."""
        n = min(max_samples, len(fixed["z"]))
        return {"fakes": self.fakes_grid(fixed),
                **self.snapshot_pictures(fixed["z"][:n], fixed["c"][:n])}

    def open_metric_data(self, spec, info):
        """The dataset of the metrics' real images (`--metric_data`; None: the training data),
        checked against the training data's `info`."""
        from tfgan_fs.metrics.metric_main import open_metric_data  # noqa: PLC0415
        return open_metric_data(spec, info)

    def calc_metrics(self, names, context):
        """[result of each metric in `names`] of the current networks
        (`tfgan_fs.metrics.metric_main.calc_metric` on G_ema)."""
        from tfgan_fs.metrics.metric_main import calc_metric  # noqa: PLC0415
        return [calc_metric(name, self.G_ema, context) for name in names]

    def on_init_from(self):
        """Called after G, D and G_ema were loaded from a checkpoint to start a new run (CDC
        takes its frozen source generator from G_ema here)."""

    def is_buffer(self, variable):
        """Whether `variable` is state copied (not averaged) into the EMA network."""
        return False

    def checkpoint_items(self):
        """Trackables that make up the method's state in a checkpoint."""
        return {**self.networks, **{f"{name}_opt": opt for name, opt in self.optimizers.items()},
                "terms": list(self.terms())}

    def build_optimizers(self):
        """Creates every optimizer's slot variables (needed before restoring a checkpoint).

        Phases that share an optimizer must train the same variables (NVlabs' main and lazy
        regularisation phases share one Adam state).
        """
        built = {}
        for phase in self.phases():
            for key, variables in phase.optimizer_groups():
                names = [v.path for v in variables]
                if key in built:
                    if built[key] != names:
                        raise ValueError(f"phase {phase.name!r} shares optimizer {key!r} with "
                                         "another phase but trains different variables")
                    continue
                self.optimizers[key].build(variables)
                built[key] = names
