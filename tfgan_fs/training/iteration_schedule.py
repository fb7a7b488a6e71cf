"""The schedule of methods that count iterations (NADA, StarGAN v2): `--iter` iterations of
`--batch`, a status line every `--output_interval` iterations, snapshots every `--snap` lines."""

import dataclasses


def option_error(flag, message):
    """An OptionsError naming `--flag`."""
    from tfgan_fs.training.options import OptionsError  # noqa: PLC0415 (no import cycle)
    return OptionsError(f"--{flag}: {message}")


def require(condition, flag, message):
    if not condition:
        raise option_error(flag, message)


@dataclasses.dataclass(frozen=True)
class IterationSchedule:
    """Validated schedule flags; `total_kimg` and `kimg_per_tick` are what the loop reads."""
    iters: int
    batch: int
    interval: int
    snap: int
    keep: int

    @property
    def total_kimg(self):
        return self.iters * self.batch / 1000

    @property
    def kimg_per_tick(self):
        return self.interval * self.batch / 1000


def iteration_schedule(args, num_replicas, iters, batch, interval, snap, keep=5):
    """IterationSchedule from the flags in `args` (None = the given default)."""
    get = lambda key, default: int(default if args.get(key) is None else args[key])  # noqa
    schedule = IterationSchedule(get("iter", iters), get("batch", batch),
                                 get("output_interval", interval), get("snap", snap),
                                 get("keep", keep))
    require(schedule.iters >= 1, "iter", f"must be >= 1, got {schedule.iters}")
    require(schedule.batch >= 1 and schedule.batch % num_replicas == 0, "batch",
            f"must be >= 1 and divisible by the number of replicas ({num_replicas}), got "
            f"{schedule.batch}")
    require(schedule.interval >= 1, "output_interval",
            f"must be >= 1, got {schedule.interval}")
    require(schedule.snap >= 1, "snap", f"must be >= 1, got {schedule.snap}")
    require(schedule.keep >= 0, "keep", f"must be >= 0, got {schedule.keep}")
    return schedule
