"""One compiled training step per Phase.

`make_phase_step` turns a Phase of a Method into a `tf.function` that runs the phase's Terms on
every replica, applies the gradients with the phase's optimizer and returns the statistics summed
over replicas. Which terms are active is decided in Python at trace time, so each phase is traced
once.
"""

import tensorflow as tf

from tfgan_fs import distribute
from tfgan_fs import rng
from tfgan_fs.methods.base import StepContext
from tfgan_fs.training import stats as stats_lib


def sanitize_gradient(grad):
    """nan -> 0, +-inf -> +-1e5, as the reference does before every optimizer step."""
    if grad is None:
        return None
    finite = tf.math.is_finite(grad)
    replacement = tf.where(tf.math.is_nan(grad), tf.zeros_like(grad),
                           tf.sign(grad) * tf.constant(1e5, grad.dtype))
    return tf.where(finite, grad, replacement)


def _merge_stats(merged, stats):
    for name, value in stats.items():
        value = tf.reshape(tf.cast(value, tf.float32), [-1])
        merged[name] = value if name not in merged else tf.concat([merged[name], value], 0)


def make_phase_step(method, phase, strategy, jit_compile=False, batch_size=None):
    """Builds the compiled step of `phase`.

    The returned function takes (*batch, seed): the batch's per-replica values from a
    distributed dataset (`Method.make_dataset`; by default real images uint8 and labels, None
    for methods that read no data, where `batch_size` is the per-replica batch), decoded by
    `Method.batch_inputs`, and the `[2]` int64 seed of the step (folded with the phase name,
    so each phase draws its own latents and noise); it returns {stat name: [sum, count]} over
    all replicas.

    The loss is sum over terms of mean(term loss) * phase.loss_scale, each mean taken over the
    global batch (losses are divided by the replica count because optimizers sum gradients over
    replicas).
    """
    terms = method.terms_of(phase)
    if not terms:
        raise ValueError(f"phase {phase.name!r} has no terms")
    needs = frozenset().union(*(term.needs for term in terms))
    aligned = frozenset().union(*(term.aligned_features for term in terms))

    def replica_step(batch, step_seed):
        groups = phase.optimizer_groups()
        trainables = [v for _, variables in groups for v in variables]
        sources = [v.value for v in trainables]  # the tf.Variables behind the Keras variables
        seed = rng.fold(step_seed, phase.name)
        real_img, real_c, inputs = method.batch_inputs(batch)
        if phase.prepare is not None:
            phase.prepare(StepContext(method, phase, real_img, real_c, rng.fold(seed, "prepare"),
                                      batch_size=batch_size, inputs=inputs,
                                      step_seed=step_seed))
        with tf.GradientTape(watch_accessed_variables=False) as tape:
            tape.watch(sources)
            ctx = StepContext(method, phase, real_img, real_c, seed, needs, aligned,
                              batch_size=batch_size, inputs=inputs, step_seed=step_seed)
            loss = tf.constant(0.0)
            merged = {}
            for term in terms:
                result = term(ctx)
                loss += distribute.global_mean(tf.cast(result.loss, tf.float32))
                _merge_stats(merged, result.stats)
            loss = loss * phase.loss_scale
        grads = tape.gradient(loss, sources,
                              unconnected_gradients=tf.UnconnectedGradients.ZERO)
        grads = [sanitize_gradient(g) for g in grads]
        start = 0
        for key, variables in groups:
            end = start + len(variables)
            method.optimizers[key].apply_gradients(zip(grads[start:end], variables))
            start = end
        return stats_lib.summarize(merged)

    @tf.function(jit_compile=jit_compile, autograph=False)
    def step(*args):
        batch, seed = tuple(args[:-1]), args[-1]
        per_replica = strategy.run(replica_step, args=(batch, seed))
        return {name: strategy.reduce(tf.distribute.ReduceOp.SUM, value, axis=None)
                for name, value in per_replica.items()}

    step.__name__ = f"step_{phase.name}"
    return step
