"""``--op=bias_act``: the custom bias_act kernel against the reference (see `ops`)."""

from tfgan_fs.benchmarks.ops import run_bias_act as run

__all__ = ["run"]
