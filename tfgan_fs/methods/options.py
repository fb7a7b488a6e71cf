"""Settings (the command-line flags of a method, declared once) and the options of a run.

A **Setting** is one flag: its name, kind, help text and bounds. A method declares its settings
as fields of its config dataclass (`setting(default, help, ...)` as the field's default), or, when
flags do not map one to one onto config fields (StyleGAN2's `--cfg` presets), as a table of
`Setting`s. The command line is generated from them (`tfgan_fs.training.command`); the values a
user gave arrive as {flag name: value, or None when not given}; `check_given` and
`check_fields` enforce the bounds with an `OptionsError` that names the flag.

`TrainingOptions` is the resolved record of a run: the method's name and config plus what every
method shares (seed, batch, schedule, data, metrics). It is saved as `training_options.json`,
which `--resume` reads back (`Registry.options_from_json`, which also reads the records of runs
made before the method registry).
"""

import dataclasses
import json
import math
import typing
from typing import Any, Optional


class OptionsError(ValueError):
    """A command-line value is invalid; the message names the flag."""


def require(condition, flag, message):
    """Raises OptionsError('--flag: message') unless `condition`."""
    if not condition:
        raise OptionsError(f"--{flag}: {message}")


# --- Settings --------------------------------------------------------------------------------

KINDS = (str, int, float, bool, list)


@dataclasses.dataclass(frozen=True)
class Setting:
    """One command-line flag.

    Attributes:
        name: Flag name (without dashes).
        kind: str, int, float, bool or list (comma-separated; items of `item`).
        help: Help text; says the default where there is one.
        choices: The allowed values of a str flag (an enum flag), if limited.
        item: Item type of a list flag (str, int or float).
        at_least, above, at_most, below: Bounds of a number (inclusive / exclusive).
        owner: Module that declares the flag (groups it in --help).
    """
    name: str
    kind: type
    help: str
    choices: tuple = ()
    item: type = str
    at_least: Optional[float] = None
    above: Optional[float] = None
    at_most: Optional[float] = None
    below: Optional[float] = None
    owner: str = ""

    def convert(self, value):
        """The given flag value as the config field's type (list flags -> tuples)."""
        if self.kind is not list:
            return self.kind(value)
        try:
            return tuple(self.item(v) for v in value)
        except ValueError:
            raise OptionsError(f"--{self.name}: expected a comma-separated list of "
                               f"{self.item.__name__}s, got {','.join(map(str, value))}") from None

    def bounds_text(self):
        low = (f"[{self.at_least:g}" if self.at_least is not None else
               f"({self.above:g}" if self.above is not None else None)
        high = (f"{self.at_most:g}]" if self.at_most is not None else
                f"{self.below:g})" if self.below is not None else None)
        if low and high:
            return f"in {low}, {high}"
        if low:
            return f"{'>=' if low[0] == '[' else '>'} {low[1:]}"
        if high:
            return f"{'<=' if high[-1] == ']' else '<'} {high[:-1]}"
        return ""

    def check(self, value):
        """Raises OptionsError naming the flag if `value` is out of bounds or not a choice."""
        if value is None:
            return
        if self.choices:
            require(value in self.choices, self.name,
                    f"must be one of {', '.join(map(str, self.choices))}, got {value!r}")
        values = value if isinstance(value, (tuple, list)) else (value,)
        for v in values:
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                continue
            ok = ((self.at_least is None or v >= self.at_least)
                  and (self.above is None or v > self.above)
                  and (self.at_most is None or v <= self.at_most)
                  and (self.below is None or v < self.below))
            require(ok, self.name, f"must be {self.bounds_text()}, got {_fmt(value)}")


def setting(default, help, **kwargs):  # noqa: A002 (the flag's help text)
    """A config dataclass field that is also a flag (the field's name); `kwargs` as Setting."""
    if isinstance(default, (list, dict)):
        raise TypeError("setting defaults must be immutable (use a tuple)")
    return dataclasses.field(default=default, metadata={"setting": kwargs | {"help": help}})


def _field_kind(hint):
    """(kind, item) of a field's type hint: Optional[X] -> X, tuple -> list of its items."""
    if typing.get_origin(hint) is typing.Union:
        hint = next(a for a in typing.get_args(hint) if a is not type(None))
    if hint is tuple or typing.get_origin(hint) is tuple:
        args = [a for a in typing.get_args(hint) if a is not Ellipsis]
        return list, (args[0] if args else str)
    if hint not in KINDS:
        raise TypeError(f"a setting must be a str, int, float, bool or tuple field, got {hint}")
    return hint, str


def settings_of(config_class):
    """The Settings declared by `config_class`'s fields (in field order)."""
    hints = typing.get_type_hints(config_class)
    out = []
    for field in dataclasses.fields(config_class):
        spec = field.metadata.get("setting")
        if spec is None:
            continue
        kind, item = _field_kind(hints[field.name])
        out.append(Setting(field.name, kind, owner=config_class.__module__,
                           **{"item": item, **spec}))
    return tuple(out)


def check_given(settings, args):
    """Checks the bounds of every given value of `settings` (None = not given)."""
    for s in settings:
        if args.get(s.name) is not None:
            s.check(s.convert(args[s.name]))


def check_fields(config):
    """Checks every field of a config dataclass that is a setting (its bounds and choices)."""
    for s in settings_of(type(config)):
        s.check(getattr(config, s.name))


def config_from_args(config_class, args, **fixed):
    """`config_class` with the given flags (None = the field's default) and `fixed` fields,
    its setting fields checked."""
    values = {s.name: s.convert(args[s.name]) for s in settings_of(config_class)
              if args.get(s.name) is not None}
    config = config_class(**{**values, **fixed})
    check_fields(config)
    return config


def _fmt(value):
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, (tuple, list)):
        return ",".join(_fmt(v) for v in value)
    return str(value)


# --- Records -----------------------------------------------------------------------------------

def from_dict(cls, raw):
    """A dataclass from its `dataclasses.asdict` JSON: nested dataclasses and tuples restored,
    unknown keys refused."""
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(raw) - names)
    if unknown:
        raise OptionsError(f"{cls.__name__} has no fields {', '.join(unknown)}")
    values = {}
    for name, value in raw.items():
        hint = hints[name]
        if typing.get_origin(hint) is typing.Union:
            hint = next(a for a in typing.get_args(hint) if a is not type(None))
        if value is not None and dataclasses.is_dataclass(hint):
            value = from_dict(hint, value)
        elif isinstance(value, list) and (hint is tuple or typing.get_origin(hint) is tuple):
            value = tuple(value)
        values[name] = value
    return cls(**values)


@dataclasses.dataclass
class Schedule:
    """How long a run trains and how often it reports, in the method's unit.

    Attributes:
        unit: 'kimg' (thousands of real images shown to D) or 'iter' (iterations, each one
            batch: NADA, StarGAN v2).
        total: Training length in `unit`.
        tick: Status line / stats interval in `unit`.
        snap: Snapshot (pictures + checkpoint) interval in ticks.
        keep: Most recent checkpoints kept (0 = all).
    """
    unit: str
    total: float
    tick: float
    snap: int
    keep: int

    def progress(self, nimg, step):
        """Progress in the finest count of the unit: images ('kimg') or iterations."""
        return nimg if self.unit == "kimg" else step

    def count(self, amount):
        """`amount` of the unit in that count (kimg -> images)."""
        return int(round(amount * 1000)) if self.unit == "kimg" else int(amount)


@dataclasses.dataclass
class TrainingOptions:
    """Everything a training run needs besides the run directory.

    Attributes:
        method: The method's registry name.
        config: The method's config (its own dataclass: networks, losses, hyperparameters).
        schedule: Length, ticks, snapshots and checkpoints kept.
        seed: Global seed (network init, latents, noise, data order).
        batch_size: Global batch size.
        batch_gpu: Samples per replica in one gradient-accumulation round (batch / replicas:
            no accumulation).
        num_replicas: Replicas the batch was split over when the run was created.
        desc: Run description (run dir suffix).
        data: Dataset spec (None for methods that read no data).
        max_images: Train on the first N images only (None = all).
        workers: Parallel calls of the tf.data decode map (None = autotune).
        metrics: Metric names evaluated at every snapshot.
        metric_networks: Feature-network files {'inception', 'vgg16', 'lpips'} (None: env var).
        metrics_cache: Real-statistics cache directory (None: the default).
        metric_data: Dataset spec of the metrics' real images (None: the method's default).
    """
    method: str
    config: Any
    schedule: Schedule
    seed: int
    batch_size: int
    batch_gpu: int
    num_replicas: int
    desc: str
    data: Optional[str] = None
    max_images: Optional[int] = None
    workers: Optional[int] = None
    metrics: list = dataclasses.field(default_factory=list)
    metric_networks: dict = dataclasses.field(default_factory=dict)
    metrics_cache: Optional[str] = None
    metric_data: Optional[str] = None

    @property
    def accumulation_rounds(self):
        """Rounds each phase's step accumulates gradients over (1: none)."""
        return self.batch_size // (self.batch_gpu * self.num_replicas)

    def to_json(self):
        return json.dumps(dataclasses.asdict(self), indent=2, sort_keys=True)

    @classmethod
    def from_dict(cls, raw, config_class):
        """Options from `to_json`'s record, the config as `config_class`."""
        raw = dict(raw)
        config = from_dict(config_class, raw.pop("config"))
        schedule = from_dict(Schedule, raw.pop("schedule"))
        return cls(**raw, config=config, schedule=schedule)


def resolve_batch_gpu(args, batch, num_replicas):
    """`--batch_gpu` checked against the per-replica batch (its default)."""
    per_replica = batch // num_replicas
    value = args.get("batch_gpu")
    if value is None:
        return per_replica
    require(value <= per_replica and per_replica % value == 0, "batch_gpu",
            f"must divide the per-replica batch {per_replica} (--batch={batch} over "
            f"{num_replicas} replica(s)), got {value}")
    return int(value)



# Fields of the records written before the registry that are run-level, not the method's.
_LEGACY_RUN_FIELDS = ("data", "max_images", "seed", "batch_size", "batch_gpu", "num_replicas",
                      "desc", "workers", "metrics", "metric_networks", "metrics_cache",
                      "metric_data")


def options_from_legacy(raw, config_class, unit):
    """TrainingOptions of a `training_options.json` written before the method registry (its
    method settings split over `method`, `fewshot` and top-level fields; lengths in kimg)."""
    merged = {k: v for k, v in raw.items() if k not in ("method", "fewshot")}
    merged.update(raw.get("method") or {})
    merged.update(raw.get("fewshot") or {})
    names = {f.name for f in dataclasses.fields(config_class)}
    config = from_dict(config_class, {k: v for k, v in merged.items() if k in names})
    per_iter = raw["batch_size"] / 1000 if unit == "iter" else 1.0
    schedule = Schedule(unit=unit, total=_whole(raw["total_kimg"] / per_iter, unit),
                        tick=_whole(raw["kimg_per_tick"] / per_iter, unit), snap=raw["snap"],
                        keep=raw["keep_checkpoints"])
    return TrainingOptions(method=raw.get("method_name", "stylegan2"), config=config,
                           schedule=schedule, **{k: raw.get(k) for k in _LEGACY_RUN_FIELDS})


def _whole(value, unit):
    return int(round(value)) if unit == "iter" and math.isclose(value, round(value)) else value
