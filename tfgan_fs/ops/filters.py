"""FIR filter setup and the small argument parsers shared by the resampling ops.

The conventions follow NVlabs StyleGAN2-ADA (``torch_utils/ops/upfirdn2d.py``):
filters are given as ``[taps]`` (separable) or ``[filter_height, filter_width]``
(non-separable), ``None`` means the identity filter, and padding is given as
``int``, ``[x, y]`` or ``[x_before, x_after, y_before, y_after]``. The low-pass
filters themselves (e.g. ``[1, 3, 3, 1]``) are those of Karras et al. 2020,
"Analyzing and Improving the Image Quality of StyleGAN" (StyleGAN2).
"""

import numbers

import numpy as np
import tensorflow as tf

__all__ = ["setup_filter", "parse_padding", "parse_scaling", "filter_size"]


def _is_int(v):
    return isinstance(v, (numbers.Integral, np.integer)) and not isinstance(v, bool)


def parse_scaling(scaling):
    """Parses an up/downsampling factor.

    Args:
        scaling: A positive int, or a list/tuple ``[sx, sy]`` of positive ints.

    Returns:
        Tuple ``(sx, sy)`` of Python ints.

    Raises:
        ValueError: If the value is not an int or a pair of ints, or a factor is < 1.
    """
    if _is_int(scaling):
        scaling = [scaling, scaling]
    if not isinstance(scaling, (list, tuple)) or len(scaling) != 2:
        raise ValueError(
            f"Scaling factor must be an int or a list/tuple [x, y] of ints, got {scaling!r}.")
    if not all(_is_int(s) for s in scaling):
        raise ValueError(f"Scaling factors must be ints, got {scaling!r}.")
    sx, sy = (int(s) for s in scaling)
    if sx < 1 or sy < 1:
        raise ValueError(f"Scaling factors must be >= 1, got {scaling!r}.")
    return sx, sy


def parse_padding(padding):
    """Parses a padding specification.

    Args:
        padding: An int (same on all four sides), a list/tuple ``[x, y]``, or a
            list/tuple ``[x_before, x_after, y_before, y_after]`` of ints. Negative
            values mean cropping.

    Returns:
        Tuple ``(x0, x1, y0, y1)`` of Python ints.

    Raises:
        ValueError: If the value is not an int or a list/tuple of 2 or 4 ints.
    """
    if _is_int(padding):
        padding = [padding, padding]
    if not isinstance(padding, (list, tuple)) or len(padding) not in (2, 4):
        raise ValueError(
            "Padding must be an int, [x, y] or [x_before, x_after, y_before, y_after], "
            f"got {padding!r}.")
    if not all(_is_int(p) for p in padding):
        raise ValueError(f"Padding values must be ints, got {padding!r}.")
    padding = [int(p) for p in padding]
    if len(padding) == 2:
        px, py = padding
        padding = [px, px, py, py]
    x0, x1, y0, y1 = padding
    return x0, x1, y0, y1


def _filter_shape(f):
    """Static shape of a filter given as a tensor, array or (nested) list."""
    if isinstance(f, (tf.Tensor, tf.Variable)):
        shape = f.shape
        if shape.rank is None or not shape.is_fully_defined():
            raise ValueError(f"Filter shape must be statically known, got {shape}.")
        return tuple(int(d) for d in shape)
    return np.shape(f)


def filter_size(f):
    """Returns the size of a FIR filter.

    Args:
        f: ``None`` (identity), or a filter of shape ``[taps]`` (separable) or
            ``[filter_height, filter_width]`` (tensor, NumPy array or list).

    Returns:
        Tuple ``(filter_width, filter_height)``; ``(1, 1)`` for ``None``.
        A 1-D filter of ``n`` taps gives ``(n, n)``.

    Raises:
        ValueError: If the filter is not 1-D or 2-D, or has an empty dimension.
    """
    if f is None:
        return 1, 1
    shape = _filter_shape(f)
    if len(shape) not in (1, 2):
        raise ValueError(
            f"Filter must be 1-D [taps] or 2-D [height, width], got shape {list(shape)}.")
    fw = int(shape[-1])
    fh = int(shape[0])
    if fw < 1 or fh < 1:
        raise ValueError(f"Filter must not be empty, got shape {list(shape)}.")
    return fw, fh


@tf.autograph.experimental.do_not_convert
def setup_filter(f, normalize=True, flip_filter=False, gain=1, separable=None):
    """Prepares a 2-D FIR filter for `upfirdn2d` and the ops built on it.

    Same rules as NVlabs ``upfirdn2d.setup_filter``: ``None`` means the identity
    filter ``[1]``; a scalar becomes a 1-tap filter; a 1-D filter becomes its 2-D
    outer product unless it is to stay separable (by default, 1-D filters with at
    least 8 taps stay separable); the result is optionally normalized to sum to 1
    (unit DC gain), optionally flipped, and multiplied by ``gain ** (ndim / 2)`` so
    that the overall 2-D gain is ``gain`` in both the separable and the
    non-separable form. E.g. ``setup_filter([1, 3, 3, 1])`` gives the 4x4 binomial
    low-pass filter used by StyleGAN2 (Karras et al. 2020).

    Args:
        f: ``None``, a scalar, a 1-D ``[taps]`` or a 2-D ``[height, width]`` filter
            (list, NumPy array or tensor).
        normalize: Normalize the filter so that it sums to 1.
        flip_filter: Flip the filter along all its axes.
        gain: Overall scaling factor for the signal magnitude.
        separable: Return a separable (1-D) filter? ``None`` selects automatically.

    Returns:
        float32 `tf.Tensor` of shape ``[taps]`` (separable) or ``[height, width]``.

    Raises:
        ValueError: If the filter is empty, has more than 2 dimensions, is 2-D while
            ``separable=True`` was requested, or cannot be normalized (sums to 0).
    """
    if f is None:
        f = 1
    f = tf.cast(tf.convert_to_tensor(f), tf.float32)
    if f.shape.rank is None or not f.shape.is_fully_defined():
        raise ValueError(f"Filter shape must be statically known, got {f.shape}.")
    if f.shape.rank not in (0, 1, 2):
        raise ValueError(f"Filter must be 0-D, 1-D or 2-D, got shape {f.shape.as_list()}.")
    if f.shape.num_elements() == 0:
        raise ValueError(f"Filter must not be empty, got shape {f.shape.as_list()}.")
    if f.shape.rank == 0:
        f = tf.reshape(f, [1])

    if separable is None:
        separable = f.shape.rank == 1 and f.shape.num_elements() >= 8
    if f.shape.rank == 1 and not separable:
        f = f[:, tf.newaxis] * f[tf.newaxis, :]
    if f.shape.rank != (1 if separable else 2):
        raise ValueError("A 2-D filter cannot be made separable (separable=True).")

    if normalize:
        total = tf.reduce_sum(f)
        static_total = tf.get_static_value(total)
        if static_total is not None and static_total == 0:
            raise ValueError("Cannot normalize a filter whose taps sum to zero.")
        f = f / total
    if flip_filter:
        f = tf.reverse(f, axis=list(range(f.shape.rank)))
    f = f * (gain ** (f.shape.rank / 2))
    return f
