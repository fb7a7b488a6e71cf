"""Cross-replica reductions that are the identity outside a multi-replica `tf.distribute` step."""

import tensorflow as tf


def num_replicas():
    """Number of replicas in sync in the current replica context (1 outside any strategy)."""
    ctx = tf.distribute.get_replica_context()
    return 1 if ctx is None else ctx.num_replicas_in_sync


def cross_replica_mean(x):
    """Mean of `x` over all replicas (differentiable); returns `x` when there is one replica."""
    ctx = tf.distribute.get_replica_context()
    if ctx is None or ctx.num_replicas_in_sync == 1:
        return x
    return ctx.all_reduce(tf.distribute.ReduceOp.MEAN, x)


def cross_replica_sum(x):
    """Sum of `x` over all replicas; returns `x` when there is one replica."""
    ctx = tf.distribute.get_replica_context()
    if ctx is None or ctx.num_replicas_in_sync == 1:
        return x
    return ctx.all_reduce(tf.distribute.ReduceOp.SUM, x)


def global_mean(per_sample):
    """Per-replica contribution to the mean over the *global* batch.

    Keras 3 optimizers sum gradients across replicas, so each replica's loss must be its local mean
    divided by the number of replicas for the update to equal the single-replica update on the
    whole batch.
    """
    return tf.reduce_mean(per_sample) / num_replicas()
