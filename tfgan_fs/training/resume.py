"""`--resume`: the flags given with it are compared with the run's own, and the schedule flags
that may change are applied. Method-agnostic: the run's spec re-resolves its flags."""

import dataclasses
import json
import math

from tfgan_fs.methods.options import OptionsError, require, resolve_batch_gpu
from tfgan_fs.methods.spec import SCHEDULE_FLAGS, metric_names


def check_resume_args(registry, saved, run_args, args, info):
    """Raises OptionsError if a flag given with --resume differs from the run's own value.

    Each given flag that may not change on --resume is resolved as a new run would resolve
    it: options are built from the run's own flags (`run_args`) with and without the given
    value (with the facts of the run's creation, `MethodSpec.creation_env`) and compared field
    by field, so repeating the run's flagfile, or a preset name that expands to the run's
    values, is accepted.

    Args:
        registry: The method Registry.
        saved: The run's TrainingOptions (training_options.json).
        run_args: The run's own flags, typed ({name: value}; its effective.flags), or None if
            the run has no record of them.
        args: The given flags (None = not given).
        info: DatasetInfo of the run's data (None for methods that read none).
    """
    spec = registry.get(saved.method)
    resumable = spec.resumable_flags()
    given = {k: v for k, v in args.items() if v is not None and k not in resumable}
    if not given:
        return
    allowed = ", ".join("--" + f for f in sorted(resumable & spec.flag_names()))
    if run_args is None:
        raise OptionsError(
            f"--resume: the run has no effective.flags to compare "
            f"{', '.join('--' + f for f in given)} with; give only --resume and the flags "
            f"that may change ({allowed})")
    run_args = {k: v for k, v in run_args.items() if v is not None}
    env = dataclasses.replace(spec.creation_env(saved, run_args), info=info)

    def resolve(extra):
        merged = {"method": saved.method, **run_args, **extra}
        fields = json.loads(registry.resolve(merged, env).to_json())
        for key in ("desc", "num_replicas", "batch_gpu"):  # they name the run or follow the machine
            fields.pop(key)
        for key in spec.naming_fields:  # e.g. a preset's name: its values are compared
            fields["config"].pop(key, None)
        return {**fields, "desc": merged.get("desc")}  # only --desc names the run dir

    run = resolve({})
    if not _differences(run, resolve(given)):
        return
    lines = []
    for name, value in given.items():
        try:
            changes = [f"{path}: {_fmt(a)} -> {_fmt(b)}"
                       for path, a, b in _differences(run, resolve({name: value}))]
        except OptionsError as err:
            changes = [str(err)]
        if changes:
            old = _fmt(run_args[name]) if name in run_args else "the default"
            more = ", ..." if len(changes) > 3 else ""
            lines.append(f"  --{name}: the run has {old}, given {_fmt(value)} "
                         f"({', '.join(changes[:3])}{more})")
    if not lines:  # only a combination differs
        lines.append(f"  {', '.join(f'--{k}={_fmt(v)}' for k, v in given.items())} together")
    raise OptionsError(
        "--resume continues the run's own options, and these flags differ from the run's:\n"
        + "\n".join(lines) + "\nStart a new run with --init_from=RUN_DIR to change them (on "
        f"--resume only {allowed} may change).")


def _differences(a, b, path=""):
    """[(path, a value, b value)] where two JSON-like records differ (floats: to 1e-9)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return [d for key in sorted(set(a) | set(b), key=str)
                for d in _differences(a.get(key), b.get(key), f"{path}.{key}".lstrip("."))]
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in _differences(x, y, f"{path}[{i}]")]
    numbers = all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in (a, b))
    same = math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12) if numbers else a == b
    return [] if same else [(path, a, b)]


def _fmt(value):
    return f"{value:g}" if isinstance(value, float) else str(value)


def apply_resume_overrides(registry, options, args, num_replicas):
    """Returns `options` of a resumed run with the flags that may change given in `args`.

    Raises:
        OptionsError: for a flag the run's method does not read, an invalid value, or a replica
            count that cannot split the global batch.
    """
    spec = registry.get(options.method)
    given = {k: v for k, v in args.items() if v is not None and k in spec.resumable_flags()}
    registry.check_flags(spec, given)
    spec.check_general(given)
    total_flag, tick_flag = SCHEDULE_FLAGS[options.schedule.unit]
    cast = float if options.schedule.unit == "kimg" else int
    schedule = dataclasses.replace(
        options.schedule,
        total=cast(given.get(total_flag, options.schedule.total)),
        tick=cast(given.get(tick_flag, options.schedule.tick)),
        snap=int(given.get("snap", options.schedule.snap)),
        keep=int(given.get("keep", options.schedule.keep)))
    updates = {"schedule": schedule}
    if "workers" in given:
        updates["workers"] = int(given["workers"])
    if "metrics" in given:
        updates["metrics"] = metric_names(given["metrics"])
    networks = {k: given[k] for k in ("inception", "vgg16", "lpips") if k in given}
    if networks:
        updates["metric_networks"] = {**options.metric_networks, **networks}
    if "cache_dir" in given:
        updates["metrics_cache"] = given["cache_dir"]
    if "metric_data" in given:
        updates["metric_data"] = given["metric_data"]
    require(options.batch_size % num_replicas == 0, "resume",
            f"the run's global batch {options.batch_size} cannot be split over "
            f"{num_replicas} replicas")
    if "batch_gpu" in given:
        batch_gpu = resolve_batch_gpu(given, options.batch_size, num_replicas)
    else:
        batch_gpu = resumed_batch_gpu(options.batch_gpu, options.batch_size // num_replicas)
    updates.update(batch_gpu=batch_gpu, num_replicas=num_replicas)
    options = spec.override_on_resume(dataclasses.replace(options, **updates), given)
    spec.check_accumulation(options)
    return options


def resumed_batch_gpu(run_batch_gpu, per_replica):
    """The run's `batch_gpu` on a resume without `--batch_gpu`: kept where it divides the
    per-replica batch of this machine, else the largest divisor below it (the memory of one
    round never grows by itself)."""
    return max(d for d in range(1, min(run_batch_gpu, per_replica) + 1) if per_replica % d == 0)
