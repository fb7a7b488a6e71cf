"""Stateless, replica-invariant random draws.

Every random number drawn during training is a pure function of a seed: a `[2]` int64 tensor made
from `--seed`, the step counter and a name (`fold`). There is no random state to checkpoint, so a
resumed run draws exactly what the uninterrupted run would have drawn.

Draws with a batch dimension are made for the *global* batch and sliced to this replica's share
inside a `tf.distribute` replica context. A step on two replicas therefore sees the same latents,
noise and augmentation parameters as the same step on one replica with the whole batch, which is
what makes multi-replica training provably equal to single-replica training.

Gradient accumulation (`--batch_gpu`) splits each replica's share again, into rounds run one
after another: inside `accumulation_round(k, rounds)` a batched draw is the global draw's slice
`replica * rounds + k` of `replicas * rounds` equal slices, so the rounds of all replicas
together draw exactly what one unsplit step draws.
"""

import contextlib
import threading
import zlib

import tensorflow as tf


def make_seed(seed, *values):
    """Returns a `[2]` int64 seed tensor from an integer seed, folded with `values` (see `fold`)."""
    base = tf.stack([tf.cast(seed, tf.int64), tf.constant(0, tf.int64)])
    return fold(base, *values)


def fold(seed, *values):
    """Derives an independent seed from `seed` and each of `values` (ints, int tensors or names).

    Strings are hashed with CRC32, so names give the same seed in every process.
    """
    for value in values:
        if isinstance(value, str):
            value = zlib.crc32(value.encode("utf-8"))
        seed = tf.random.experimental.stateless_fold_in(seed, tf.cast(value, tf.int64))
    return seed


class _AccumulationRound(threading.local):
    """The accumulation round being traced in this thread (one thread per replica, as
    tf.distribute's replica context): `index` of `count`; (0, 1) outside any round."""
    index = 0
    count = 1


_ROUND = _AccumulationRound()


@contextlib.contextmanager
def accumulation_round(index, count):
    """Batched draws inside are round `index` (a Python int) of `count` rounds' slices of this
    replica's share (see the module docstring); the previous round is restored on exit."""
    if not 0 <= index < count:
        raise ValueError(f"accumulation round {index} of {count}")
    previous = (_ROUND.index, _ROUND.count)
    _ROUND.index, _ROUND.count = int(index), int(count)
    try:
        yield
    finally:
        _ROUND.index, _ROUND.count = previous


def _batch_slice():
    """Returns (number of slices, this slice's index or None) of the current replica context
    and accumulation round; (1, None) when a batched draw is the whole draw."""
    ctx = tf.distribute.get_replica_context()
    replicas = 1 if ctx is None else ctx.num_replicas_in_sync
    if replicas == 1 and _ROUND.count == 1:
        return 1, None
    if replicas == 1:
        return _ROUND.count, _ROUND.index
    replica_id = tf.cast(ctx.replica_id_in_sync_group, tf.int32)
    if _ROUND.count > 1:
        replica_id = replica_id * _ROUND.count + _ROUND.index
    return replicas * _ROUND.count, replica_id


def _draw_batched(draw, shape):
    """Calls `draw(global_shape)` and returns this replica's (and round's) slice along axis 0."""
    num_slices, index = _batch_slice()
    shape = list(shape)
    if index is None:
        return draw(shape)
    local = shape[0]
    x = draw([local * num_slices] + shape[1:])
    start = index * local if isinstance(index, int) else index * tf.cast(local, tf.int32)
    return x[start:start + local]


def normal(seed, shape, dtype=tf.float32, batched=True):
    """Standard normal draws of `shape`; `batched` draws (axis 0 = batch) are replica-invariant."""
    draw = lambda s: tf.random.stateless_normal(s, seed, dtype=dtype)  # noqa: E731
    return _draw_batched(draw, shape) if batched else draw(list(shape))


def uniform(seed, shape, minval=0.0, maxval=1.0, dtype=tf.float32, batched=True):
    """Uniform draws in [minval, maxval), replica-invariant when `batched`."""
    draw = lambda s: tf.random.stateless_uniform(  # noqa: E731
        s, seed, minval=minval, maxval=maxval, dtype=dtype)
    return _draw_batched(draw, shape) if batched else draw(list(shape))


def gamma(seed, shape, alpha, dtype=tf.float32, batched=True):
    """Gamma(alpha, 1) draws of `shape`, replica-invariant when `batched`."""
    draw = lambda s: tf.random.stateless_gamma(s, seed, alpha=alpha, dtype=dtype)  # noqa: E731
    return _draw_batched(draw, shape) if batched else draw(list(shape))


def categorical(seed, probs, batch_size, batched=True):
    """Draws `batch_size` class indices (int32) from a probability vector `probs` [K]."""
    logits = tf.math.log(tf.reshape(tf.cast(probs, tf.float32), [1, -1]))
    draw = lambda s: tf.random.stateless_categorical(  # noqa: E731
        logits, s[0], seed, dtype=tf.int32)[0]
    return _draw_batched(draw, [batch_size]) if batched else draw([batch_size])
