"""Inception Score (IS's math; Salimans et al. 2016, "Improved Techniques for Training GANs")."""

import numpy as np


def softmax(logits, axis=-1):
    """Numerically stable softmax exp(l_i - max l) / sum_j exp(l_j - max l) along `axis`.

    Args:
        logits: Array-like of logits (any shape), e.g. [N, num_classes].
        axis: Axis over which the probabilities sum to one.

    Returns:
        float64 probabilities with the shape of `logits`.
    """
    logits = np.asarray(logits, np.float64)
    shifted = logits - np.max(logits, axis=axis, keepdims=True)
    exp = np.exp(shifted)
    return exp / np.sum(exp, axis=axis, keepdims=True)


def _xlogy(x, y):
    """x * log(y) with the convention 0 * log(y) = 0 (also for y = 0)."""
    out = np.zeros_like(x)
    np.multiply(x, np.log(y, out=np.full_like(y, -np.inf), where=y > 0), out=out, where=x > 0)
    return out


def inception_score(probs, num_splits=10):
    """Inception Score mean and standard deviation over contiguous splits.

    Salimans et al. 2016, section 4: IS = exp(E_x KL(p(y|x) || p(y))). As in the
    StyleGAN2-ADA reference (`metrics/inception_score.py`), the N rows are split into
    `num_splits` contiguous chunks, chunk i being rows [i N // S, (i + 1) N // S); in each chunk
    p(y) is the chunk's mean of p(y|x) and

        IS_i = exp(1/|chunk| sum_{x in chunk} sum_y p(y|x) (log p(y|x) - log p(y))),

    and the result is (mean_i IS_i, std_i IS_i) with the population standard deviation
    (ddof = 0, as numpy.std). Computed in float64, with 0 log 0 = 0: where the reference's
    formula gives NaN for exactly-zero probabilities (e.g. one-hot predictions) this returns
    the limit instead; otherwise the two agree.

    Args:
        probs: Class probabilities p(y|x) [N, num_classes], rows summing to 1 (use `softmax`
            on logits).
        num_splits: Number of chunks S, 1 <= S <= N.

    Returns:
        (mean, std) as floats. IS ranges from 1 (all predictions equal) to num_classes
        (confident predictions spread evenly over the classes).

    Raises:
        ValueError: For non-2-D or negative probabilities, rows not summing to 1 (within 1e-3),
            or an invalid `num_splits`.
    """
    probs = np.asarray(probs, np.float64)
    if probs.ndim != 2 or probs.shape[0] < 1:
        raise ValueError(f"probs must be [N >= 1, num_classes], got shape {probs.shape}")
    if np.any(probs < 0) or not np.allclose(probs.sum(axis=1), 1.0, rtol=0, atol=1e-3):
        raise ValueError("probs must be non-negative with rows summing to 1 (pass logits "
                         "through softmax first)")
    n = probs.shape[0]
    if not 1 <= num_splits <= n:
        raise ValueError(f"num_splits must be in [1, {n}], got {num_splits}")
    scores = []
    for i in range(num_splits):
        part = probs[i * n // num_splits:(i + 1) * n // num_splits]
        marginal = np.mean(part, axis=0, keepdims=True)
        kl = _xlogy(part, part) - _xlogy(part, np.broadcast_to(marginal, part.shape))
        scores.append(np.exp(np.mean(np.sum(kl, axis=1))))
    return float(np.mean(scores)), float(np.std(scores))
