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

    `batch_dependence` says how the loss depends on the replica's batch, which decides what
    gradient accumulation (`--batch_gpu`) does with it: 'per_sample' (a mean of per-sample
    losses: computed in every round on the round's slice of the batch), 'none' (the term draws
    its own fixed-size batch, as CDC's distance term: computed once per step, in the first round
    and with the draws of an unsplit step) or 'whole_batch' (its samples interact, as MixDL's
    mixups of the batch's codes: the phase cannot be accumulated and `--batch_gpu` is refused).

    Args:
        phase: Name of the phase this term belongs to.
        name: Term name (defaults to the class name).
    """

    needs = frozenset()
    aligned_features = ()
    batch_dependence = "per_sample"

    def __init__(self, phase, name=None):
        super().__init__(name=name or type(self).__name__)
        self.phase = phase

    def __call__(self, ctx):
        raise NotImplementedError


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
    """Base class of a GAN recipe: what the training loop asks of every method.

    Subclasses set `networks` (dict name -> Keras model), `optimizers` (dict name -> Keras
    optimizer), `ema_pairs` (list of (source, target) models) and implement `phases()`,
    `terms()`, `make_dataset`, `ema_beta`, `snapshot_inputs`, `snapshot` and `calc_metrics`.
    Construct a Method inside `strategy.scope()` (its spec's `build` does).

    Attributes:
        uses_data: Steps read real images (NADA's do not: no dataset, no D).
        status_stats: {label: stat key} of the loop's status line.
        divergence_hint: What to try when a loss becomes NaN/inf (the loop's error says it).
    """

    networks: dict
    optimizers: dict
    ema_pairs: list
    uses_data = True
    status_stats = {"G": "Loss/G/loss", "D": "Loss/D/loss"}
    divergence_hint = "lower learning rates"

    def phases(self):
        raise NotImplementedError

    def terms(self):
        raise NotImplementedError

    def terms_of(self, phase):
        """The terms that belong to `phase`, in declaration order."""
        return [term for term in self.terms() if term.phase == phase.name]

    # --- data -----------------------------------------------------------------------------

    def make_dataset(self, data, options, start_image, num_parallel_calls=None, shard=None):
        """The tf.data stream of the batches a step consumes, of `data` (TrainingData),
        continuing after `start_image` images; `shard` as `TrainingData.make_dataset`
        (per-replica rows of each global batch)."""
        raise NotImplementedError

    def batch_inputs(self, batch):
        """(real images float32 in [-1, 1] or None, real labels or None, {name: tensor}) of one
        replica's batch (a tuple from `make_dataset`); the dict is `StepContext.inputs`."""
        real_img, real_c = batch
        if real_img is not None:
            real_img = tf.cast(real_img, tf.float32) / 127.5 - 1.0
        return real_img, real_c, {}

    # --- what happens around the compiled steps ---------------------------------------------

    def observe(self, stats):
        """Called by the loop with the statistics of every phase step it ran (outside the
        compiled step): controllers that follow the training (ADA's p)."""

    def ema_beta(self, options, nimg):
        """The EMA decay of this step (`nimg` images seen before it)."""
        raise NotImplementedError

    def end_iteration(self, step, batch_size):
        """Called by the loop after iteration `step` (0-based; `batch_size` global) ran its
        phases and the EMA (outside the compiled steps): schedules and controllers kept in
        variables (StarGAN v2's lambda_ds, ADA's p)."""

    def accumulation_notes(self, batch_gpu, per_replica):
        """Lines on what a round of `batch_gpu` of the replica's `per_replica` samples means
        for this method's terms (`--dry_run`'s accumulation plan)."""
        return []

    def progress_stats(self):
        """{'Progress/...': float} the loop adds to every tick's statistics."""
        return {}

    def init_from(self, path, resolution, log=print):
        """Loads the weights that start a new run (`--init_from`); returns the source path."""
        raise ValueError(f"{type(self).__name__} cannot start from --init_from")

    # --- pictures and metrics ----------------------------------------------------------------

    def snapshot_inputs(self, data, seed):
        """Fixed inputs of the snapshot pictures (the same after a resume); a dict with at least
        `grid_w` and `grid_h`, the shape of the grid of real images saved at the start."""
        raise NotImplementedError

    def snapshot(self, fixed, max_samples=8):
        """{name: uint8 picture} saved at every snapshot; 'fakes' is the main one."""
        raise NotImplementedError

    def calc_metrics(self, names, context):
        """[result of each metric in `names`] of the current networks."""
        raise NotImplementedError

    # --- state ---------------------------------------------------------------------------------

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
