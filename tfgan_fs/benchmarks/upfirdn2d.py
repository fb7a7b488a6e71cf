"""``--op=upfirdn2d``: the custom upfirdn2d kernel against the reference (see `ops`)."""

from tfgan_fs.benchmarks.ops import run_upfirdn2d as run

__all__ = ["run"]
