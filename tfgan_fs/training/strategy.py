"""Choosing the tf.distribute strategy, and which process writes files.

`--batch` is always the global batch (as in the reference): it is split evenly over
`num_replicas_in_sync` replicas, every statistic is reduced over all of them, and optimizers
average gradients because each replica's loss is divided by the replica count (see
`tfgan_fs.distribute.global_mean`).
"""

import json
import os

import tensorflow as tf

STRATEGIES = ("auto", "default", "mirrored", "multi_worker")
DEFAULT_COLLECTIVE_TIMEOUT = 1800.0  # seconds a multi-worker collective may wait for its peers


class StrategyError(ValueError):
    """The requested strategy cannot run in this environment; the message says why."""


def cluster_size():
    """Number of tasks in the TF_CONFIG cluster (0 when TF_CONFIG is unset)."""
    raw = os.environ.get("TF_CONFIG")
    if not raw:
        return 0
    try:
        cluster = json.loads(raw).get("cluster", {})
        return sum(len(tasks) for name, tasks in cluster.items() if name in ("chief", "worker"))
    except (ValueError, AttributeError, TypeError) as err:
        raise StrategyError(f"TF_CONFIG is not valid JSON with a 'cluster' map: {err}") from None


def make_strategy(name="auto", collective_timeout=DEFAULT_COLLECTIVE_TIMEOUT):
    """Returns a tf.distribute strategy.

    Args:
        name: 'auto' (multi_worker when TF_CONFIG names more than one task, else mirrored when
            more than one GPU is visible, else default), 'default' (one device), 'mirrored'
            (all local GPUs, or the CPU) or 'multi_worker' (MultiWorkerMirroredStrategy over
            the TF_CONFIG cluster; every task runs the same command).
        collective_timeout: Seconds a multi-worker collective waits for its peers before
            failing (a dead peer is detected sooner by the coordination service's heartbeats;
            this bounds a hung one). None waits forever.

    Raises:
        StrategyError: unknown name, or multi_worker without a usable TF_CONFIG.
    """
    if name not in STRATEGIES:
        raise StrategyError(f"--strategy must be one of {', '.join(STRATEGIES)}, got {name!r}")
    tasks = cluster_size()
    if name == "auto":
        if tasks > 1:
            name = "multi_worker"
        elif len(tf.config.list_logical_devices("GPU")) > 1:
            name = "mirrored"
        else:
            name = "default"
    if name == "default":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    if tasks == 0:
        raise StrategyError("--strategy=multi_worker needs TF_CONFIG, e.g. TF_CONFIG='{\"cluster\""
                            ": {\"worker\": [\"host1:12345\", \"host2:12345\"]}, \"task\": "
                            "{\"type\": \"worker\", \"index\": 0}}' on the first host")
    options = tf.distribute.experimental.CommunicationOptions(timeout_seconds=collective_timeout)
    return tf.distribute.MultiWorkerMirroredStrategy(communication_options=options)


def is_chief(strategy):
    """Whether this process writes run files (always, except non-chief multi-worker tasks)."""
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or not resolver.task_type:
        return True
    if resolver.task_type == "chief":
        return True
    has_chief = "chief" in resolver.cluster_spec().as_dict()
    return resolver.task_type == "worker" and resolver.task_id == 0 and not has_chief


def is_multi_worker(strategy):
    """Whether `strategy` spans more than one process."""
    return getattr(strategy.extended, "_num_workers", 1) > 1
