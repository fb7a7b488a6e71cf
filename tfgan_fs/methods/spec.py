"""MethodSpec: what `--method=NAME` means, owned by the method's own module.

A spec names the method, declares its flags (the settings of its config, `settings()`), says
which of the flags every method shares it reads and their defaults (`defaults`), resolves the
given flags into `TrainingOptions` (`resolve`), opens its data, says whether it counts kimg or
iterations (`unit`), and builds its `Method` (`build`). The loop and the tools only ever call a
spec; the registry (`tfgan_fs.methods.registry`) maps names to specs.

Hooks with a default here: `open_data`, `open_metric_data`, `check_init_from`, `check_xla`,
`override_on_resume` and `creation_env` (the facts a saved run was resolved with, for comparing
the flags given with `--resume` against the run's own).
"""

import dataclasses

from tfgan_fs.methods.options import (OptionsError, Schedule, Setting, check_given, require,
                                      settings_of)
from tfgan_fs.metrics.names import parse_metric_list

# The flags methods share (a method reads those in its `defaults`). The metric flags are
# declared with the metric tools' (tfgan_fs.cli.metric_flags) and only named here.
GENERAL_SETTINGS = tuple(dataclasses.replace(s, owner=__name__) for s in (
    Setting("data", str, "Training data: builtin:shapes[?resolution=R&count=N], a directory "
            "written by tools/dataset_tool.py, or a folder of images (StarGAN v2: one "
            "sub-folder per domain)."),
    Setting("max_images", int, "Train on the first N images of the dataset only (few-shot and "
            "overfitting experiments). Default: all.", at_least=1),
    Setting("seed", int, "Random seed (network init, latents, noise, data order). Default: "
            "the method's (below)."),
    Setting("batch", int, "Global batch size over all replicas. Default: the method's "
            "(below).", at_least=1),
    Setting("batch_gpu", int, "Samples per replica per gradient-accumulation round (NVlabs' "
            "--batch-gpu): each phase splits every replica's batch / replicas samples into "
            "rounds of this size, run one after another, and applies one optimizer update of "
            "the summed gradients -- the same step (up to float summation order) in less "
            "memory. Must divide batch / replicas; may change on --resume. Default: batch / "
            "replicas (no accumulation).", at_least=1),
    Setting("kimg", float, "Training length in thousands of real images shown to D (methods "
            "that count kimg). Default: the method's (below).", above=0),
    Setting("tick", float, "Status line / stats interval in kimg (methods that count kimg). "
            "Default: the method's (below).", above=0),
    Setting("iter", int, "Training iterations (methods that count iterations). Default: the "
            "method's (below).", at_least=1),
    Setting("output_interval", int, "Iterations between status lines (methods that count "
            "iterations). Default: the method's (below).", at_least=1),
    Setting("snap", int, "Snapshot (pictures + checkpoint) interval in ticks. Default: the "
            "method's (below).", at_least=1),
    Setting("keep", int, "Keep this many most recent checkpoints; 0 keeps all. Default 5.",
            at_least=0),
    Setting("workers", int, "Parallel image decoders in the input pipeline. Default: "
            "autotune.", at_least=1),
    Setting("desc", str, "Extra text appended to the run directory name."),
))
METRIC_FLAGS = ("metrics", "metric_data", "inception", "vgg16", "lpips", "cache_dir")
SCHEDULE_FLAGS = {"kimg": ("kimg", "tick"), "iter": ("iter", "output_interval")}
# Flags that may change on --resume for every method (schedule and bookkeeping, not the model).
RESUMABLE = ("kimg", "tick", "iter", "output_interval", "snap", "keep", "workers",
             "batch_gpu") + METRIC_FLAGS


@dataclasses.dataclass(frozen=True)
class ResolveEnv:
    """What flags resolve against besides their values.

    Attributes:
        info: DatasetInfo of the training data (None for methods that read none).
        num_replicas: Replicas the global batch is split over.
        has_gpu: Whether a GPU is visible (float16 layers only on GPUs).
        init_from: Whether the run starts from other weights (`--init_from`).
    """
    info: object = None
    num_replicas: int = 1
    has_gpu: bool = False
    init_from: bool = False


class MethodSpec:
    """Base class of the specs (see the module docstring). Subclasses set the attributes and
    implement `resolve` and `build`.

    Attributes:
        name: The `--method` value.
        title: One line for --help: the method, its paper, what it is for.
        config_class: The dataclass of the method's config (`TrainingOptions.config`).
        unit: 'kimg' or 'iter': what `--kimg/--tick` or `--iter/--output_interval` count.
        defaults: {general flag: its default for this method (None: none, or from a preset)};
            the general flags the method reads.
        requires_init_from: The method adapts a pretrained network (`--init_from` required).
        resumable: Own flags that may change on `--resume` (`override_on_resume` applies them).
        not_read_note: Appended to the error for a flag the method does not read.
        naming_fields: Config fields that name the run rather than set it (a preset's name,
            whose values are compared instead when `--resume` checks the given flags).
        whole_batch_note: Why the method's steps cannot be split into accumulation rounds
            (a term whose samples interact); empty when `--batch_gpu` may be below
            batch / replicas.
    """
    name = ""
    title = ""
    config_class = None
    unit = "kimg"
    defaults = {}
    requires_init_from = False
    resumable = ()
    not_read_note = ""
    naming_fields = ()
    whole_batch_note = ""

    # --- flags --------------------------------------------------------------------------------

    def settings(self):
        """The method's own flags (besides the general ones it reads)."""
        return settings_of(self.config_class)

    def flag_names(self):
        """Every flag the method reads."""
        return set(self.defaults) | {s.name for s in self.settings()}

    @property
    def reads_data(self):
        return "data" in self.defaults

    def resumable_flags(self):
        """The flags that may change on `--resume`: the schedule, bookkeeping, the metric flags
        and the method's own `resumable` ones."""
        return set(RESUMABLE) | set(self.resumable)

    def general(self, args, name):
        """The value of general flag `name`: given, else this method's default."""
        return self.defaults.get(name) if args.get(name) is None else args[name]

    def check_general(self, args):
        check_given([s for s in GENERAL_SETTINGS if s.name in self.defaults], args)

    def schedule(self, args, num_replicas, batch, total=None):
        """Schedule of this method's unit from the given flags; `total` is the length when its
        flag is not given and it depends on more than the method (a preset's kimg)."""
        total_flag, tick_flag = SCHEDULE_FLAGS[self.unit]
        require(batch % num_replicas == 0, "batch",
                f"must be divisible by the number of replicas ({num_replicas}), got {batch}")
        if args.get(total_flag) is not None or total is None:
            total = self.general(args, total_flag)
        cast = float if self.unit == "kimg" else int
        return Schedule(unit=self.unit, total=cast(total),
                        tick=cast(self.general(args, tick_flag)),
                        snap=int(self.general(args, "snap")), keep=int(self.general(args, "keep")))

    def check_accumulation(self, options):
        """Raises OptionsError if the method cannot accumulate over `options`' rounds."""
        if options.accumulation_rounds > 1 and self.whole_batch_note:
            raise OptionsError(
                f"--batch_gpu={options.batch_gpu}: --method={self.name} cannot accumulate "
                f"gradients: {self.whole_batch_note}; --batch_gpu must be batch / replicas = "
                f"{options.batch_size // options.num_replicas} (lower --batch to save memory)")

    # --- resolution ---------------------------------------------------------------------------

    def resolve(self, args, env):
        """TrainingOptions from the given flags ({name: value or None}) and `env`.

        Raises:
            OptionsError: naming the flag, for invalid or inconsistent values.
        """
        raise NotImplementedError

    def creation_env(self, options, run_args):
        """The ResolveEnv a saved run's options were resolved with (for `--resume` checks)."""
        return ResolveEnv(num_replicas=options.num_replicas,
                          init_from=self.requires_init_from)

    def override_on_resume(self, options, args):
        """Options of a resumed run with the method's `resumable` flags given in `args`."""
        return options

    # --- data, checks, build ------------------------------------------------------------------

    def open_data(self, spec):
        """The training data of `--data` (TrainingData), or None for methods that read none."""
        raise NotImplementedError

    def open_metric_data(self, options, info):
        """The real images of the metrics (None: the training data), checked against `info`."""
        return None

    def check_init_from(self, path, data):
        """Raises if `--init_from=path` cannot start this run (checked before the run dir)."""

    def check_xla(self, options):
        """Raises OptionsError if the run cannot be compiled with XLA (`--xla`)."""

    def describe(self, options):
        """{name: value}: the resolved settings a benchmark row reports (JSON scalars)."""
        return {}

    def build(self, options, data, log=print):
        """The Method of `options` (inside the strategy scope), for `data` (None when the
        method reads none)."""
        raise NotImplementedError


def unread_flags_error(spec, flags, readers):
    """OptionsError: `spec` does not read `flags`; `readers(flag)` names who does."""
    parts = []
    for flag in flags:
        who = [name for name in readers(flag) if name != spec.name]
        parts.append(f"--{flag}" + (f" (a setting of --method={'/'.join(who)})" if who else ""))
    note = f"; {spec.not_read_note}" if spec.not_read_note else ""
    return OptionsError(f"--method={spec.name} does not read {', '.join(parts)}{note}")


def metric_names(text):
    """The names of `--metrics` (a list or comma-separated text), validated."""
    try:
        return [spec.name for spec in parse_metric_list(text)]
    except ValueError as err:
        raise OptionsError(f"--metrics: {err}") from None


def run_desc(base, args):
    """The run directory's description: `base`, then `--desc` if given."""
    return f"{base}-{args['desc']}" if args.get("desc") else base

