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


def accumulation_error(phase, terms, rounds):
    """Why `phase` (with `terms`) cannot accumulate gradients over `rounds` rounds, or None."""
    if rounds == 1:
        return None
    whole = [term.name for term in terms if term.batch_dependence == "whole_batch"]
    if whole:
        return (f"phase {phase.name!r}: {', '.join(whole)} needs each replica's whole batch at "
                f"once, so the phase cannot be split into {rounds} accumulation rounds "
                "(--batch_gpu must be batch / replicas)")
    if phase.prepare is not None:
        return (f"phase {phase.name!r} prepares every step from the whole batch and cannot be "
                f"split into {rounds} accumulation rounds (--batch_gpu must be batch / replicas)")
    return None


def _round_slice(batch, index, rounds):
    """Round `index` of `rounds` equal slices of every tensor (axis 0) of a replica's batch."""
    def take(x):
        if x is None:
            return None
        n = x.shape[0] // rounds if x.shape[0] is not None else tf.shape(x)[0] // rounds
        return x[index * n:(index + 1) * n]
    return tuple(take(x) for x in batch)


def make_phase_step(method, phase, strategy, jit_compile=False, batch_size=None, rounds=1):
    """Builds the compiled step of `phase`.

    The returned function takes (*batch, seed): the batch's per-replica values from a
    distributed dataset (`Method.make_dataset`; by default real images uint8 and labels, None
    for methods that read no data, where `batch_size` is the per-replica batch of one round),
    decoded by `Method.batch_inputs`, and the `[2]` int64 seed of the step (folded with the
    phase name, so each phase draws its own latents and noise); it returns {stat name: [sum,
    count]} over all replicas.

    The loss is sum over terms of mean(term loss) * phase.loss_scale, each mean taken over the
    global batch (losses are divided by the replica count because optimizers sum gradients over
    replicas).

    With `rounds` > 1 (gradient accumulation, `--batch_gpu`; NVlabs' `num_accumulation_rounds`)
    each replica's batch is split into `rounds` equal slices run one after another (each round
    waits for the previous one's gradients, so only one round's activations are alive): the
    per-sample terms' means are divided by `rounds` and their gradients summed, which is the
    unsplit step's gradient; the random draws of round k are slice k of the unsplit draws
    (`rng.accumulation_round`); terms with `batch_dependence == 'none'` run once, in the first
    round, with the unsplit draws. Gradients are sanitised once, after the sum (as the
    reference), and applied with one optimizer update.

    Raises:
        ValueError: if a term of the phase needs the whole batch and `rounds` > 1.
    """
    terms = method.terms_of(phase)
    if not terms:
        raise ValueError(f"phase {phase.name!r} has no terms")
    error = accumulation_error(phase, terms, rounds)
    if error:
        raise ValueError(error)
    needs = frozenset().union(*(term.needs for term in terms))
    aligned = frozenset().union(*(term.aligned_features for term in terms))

    def term_result(term, ctx, index):
        """The term's result in round `index`, None where it does not run in that round."""
        if rounds == 1:
            return term(ctx)
        if term.batch_dependence == "none":
            return term(ctx) if index == 0 else None
        with rng.accumulation_round(index, rounds):
            return term(ctx)

    def round_gradients(batch, step_seed, sources, index):
        """(gradients, {stat: [sum, count]}) of round `index` on its slice `batch`."""
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
                result = term_result(term, ctx, index)
                if result is None:
                    continue
                term_loss = distribute.global_mean(tf.cast(result.loss, tf.float32))
                if rounds > 1 and term.batch_dependence != "none":
                    term_loss = term_loss / rounds
                loss += term_loss
                _merge_stats(merged, result.stats)
            loss = loss * phase.loss_scale
        grads = tape.gradient(loss, sources,
                              unconnected_gradients=tf.UnconnectedGradients.ZERO)
        return grads, stats_lib.summarize(merged)

    def accumulated_gradients(batch, step_seed, sources):
        """Sums of the rounds' gradients and statistics; each round waits for the previous
        one's gradients, so only one round's activations are alive at a time."""
        grads, stats = None, {}
        for index in range(rounds):
            with tf.control_dependencies(grads or []):
                round_grads, round_stats = round_gradients(
                    _round_slice(batch, index, rounds), step_seed, sources, index)
            grads = round_grads if grads is None else [
                a + b for a, b in zip(grads, round_grads)]
            for name, value in round_stats.items():
                stats[name] = stats[name] + value if name in stats else value
        return grads, stats

    def replica_step(batch, step_seed):
        groups = phase.optimizer_groups()
        trainables = [v for _, variables in groups for v in variables]
        sources = [v.value for v in trainables]  # the tf.Variables behind the Keras variables
        if rounds == 1:
            grads, stats = round_gradients(batch, step_seed, sources, 0)
        else:
            grads, stats = accumulated_gradients(batch, step_seed, sources)
        grads = [sanitize_gradient(g) for g in grads]
        start = 0
        for key, variables in groups:
            end = start + len(variables)
            method.optimizers[key].apply_gradients(zip(grads[start:end], variables))
            start = end
        return stats

    @tf.function(jit_compile=jit_compile, autograph=False)
    def step(*args):
        batch, seed = tuple(args[:-1]), args[-1]
        per_replica = strategy.run(replica_step, args=(batch, seed))
        return {name: strategy.reduce(tf.distribute.ReduceOp.SUM, value, axis=None)
                for name, value in per_replica.items()}

    step.__name__ = f"step_{phase.name}"
    return step
