"""Statistics returned by the compiled steps, averaged per tick and written to disk.

Steps return, per stat name, a `[2]` tensor (sum, count) already summed over replicas; there are
no global reporters (Python side effects inside `tf.function` only run at trace time).
"""

import json
import math

import numpy as np
import tensorflow as tf


def summarize(stats):
    """Maps {name: tensor of any shape} to {name: [sum, count]} float32 tensors."""
    return {name: tf.stack([tf.reduce_sum(tf.cast(value, tf.float32)),
                            tf.cast(tf.size(value), tf.float32)])
            for name, value in stats.items()}


class StatsAccumulator:
    """Accumulates (sum, count) stats over steps; `means()` returns and resets the averages.

    Tensors are kept until `means()` so that steps can run ahead of the host.
    """

    def __init__(self):
        self._pending = {}

    def add(self, stats):
        for name, value in stats.items():
            self._pending.setdefault(name, []).append(value)

    def means(self):
        result = {}
        for name, values in self._pending.items():
            total = np.sum([np.asarray(v, np.float64) for v in values], axis=0)
            result[name] = float(total[0] / total[1]) if total[1] > 0 else math.nan
        self._pending = {}
        return result


class StatsWriter:
    """Writes one JSON line per tick to stats.jsonl and its path-named scalars to TensorBoard.

    Keys with a '/' ('Loss/G/loss', 'Timing/sec_per_kimg') become TensorBoard scalars at step
    = images seen; plain keys ('kimg', 'timestamp') are convenience fields of the JSON line only.

    Args:
        jsonl_path: Path of stats.jsonl (appended to, so resumed runs continue the file).
        tb_writer: A `tf.summary` writer, or None.
    """

    def __init__(self, jsonl_path, tb_writer=None):
        self._file = open(jsonl_path, "a", encoding="utf-8")
        self._tb = tb_writer

    def write(self, nimg, record):
        """Writes `record` (flat dict of numbers) at `nimg` images seen."""
        self._file.write(json.dumps(record, sort_keys=True) + "\n")
        self._file.flush()
        if self._tb is not None:
            with self._tb.as_default(step=int(nimg)):
                for name, value in record.items():
                    if "/" in name and isinstance(value, (int, float)):
                        tf.summary.scalar(name, value)
            self._tb.flush()

    def close(self):
        self._file.close()
