"""Choosing the tf.distribute strategy and which process writes files."""

import tensorflow as tf

STRATEGIES = ("auto", "default", "mirrored", "multi_worker")


def make_strategy(name="auto"):
    """Returns a tf.distribute strategy.

    'auto' is MirroredStrategy when more than one GPU is visible, else the default strategy;
    'multi_worker' reads TF_CONFIG (set it before calling).
    """
    if name not in STRATEGIES:
        raise ValueError(f"strategy must be one of {STRATEGIES}, got {name!r}")
    if name == "auto":
        name = "mirrored" if len(tf.config.list_logical_devices("GPU")) > 1 else "default"
    if name == "default":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    return tf.distribute.MultiWorkerMirroredStrategy()


def is_chief(strategy):
    """Whether this process writes run files (always, except non-chief multi-worker tasks)."""
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or not resolver.task_type:
        return True
    if resolver.task_type == "chief":
        return True
    has_chief = "chief" in resolver.cluster_spec().as_dict()
    return resolver.task_type == "worker" and resolver.task_id == 0 and not has_chief
