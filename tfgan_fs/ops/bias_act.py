"""Fused bias + activation + gain + clamp (NVlabs StyleGAN2-ADA ``bias_act``).

Pure TensorFlow reference implementation, and dispatch to the compiled kernels
(``impl='custom'``, `tfgan_fs.ops.custom_bias_act`). Default activation gains follow
NVlabs: activations that halve the signal power (relu, lrelu, swish) are scaled
by sqrt(2) so that layers keep unit variance (He et al. 2015; Karras et al.
2020, "Analyzing and Improving the Image Quality of StyleGAN").
"""

import dataclasses
import math
import numbers
import types
from typing import Callable

import numpy as np
import tensorflow as tf

from tfgan_fs.ops.custom_bias_act import bias_act_custom, unsupported_reason
from tfgan_fs.ops.impl import select_impl

__all__ = ["ActivationSpec", "ACTIVATIONS", "bias_act"]


@dataclasses.dataclass(frozen=True)
class ActivationSpec:
    """An activation function and its NVlabs defaults.

    Attributes:
        func: ``func(x, alpha) -> tensor``; ``alpha`` is only used by ``lrelu``.
        def_alpha: Default shape parameter ``alpha``.
        def_gain: Default output gain.
    """

    func: Callable
    def_alpha: float
    def_gain: float


def _lrelu(x, alpha):
    if x.dtype == tf.float64:
        # The LeakyRelu op stores alpha as a float32 attribute; keep full precision.
        return tf.where(x >= 0, x, x * tf.constant(alpha, tf.float64))
    return tf.nn.leaky_relu(x, alpha=alpha)


def _swish(x, alpha):
    del alpha
    return tf.sigmoid(x) * x


_SQRT2 = math.sqrt(2.0)

ACTIVATIONS = types.MappingProxyType({
    "linear": ActivationSpec(lambda x, alpha: x, 0.0, 1.0),
    "relu": ActivationSpec(lambda x, alpha: tf.nn.relu(x), 0.0, _SQRT2),
    "lrelu": ActivationSpec(_lrelu, 0.2, _SQRT2),
    "tanh": ActivationSpec(lambda x, alpha: tf.tanh(x), 0.0, 1.0),
    "sigmoid": ActivationSpec(lambda x, alpha: tf.sigmoid(x), 0.0, 1.0),
    "elu": ActivationSpec(lambda x, alpha: tf.nn.elu(x), 0.0, 1.0),
    "selu": ActivationSpec(lambda x, alpha: tf.nn.selu(x), 0.0, 1.0),
    "softplus": ActivationSpec(lambda x, alpha: tf.nn.softplus(x), 0.0, 1.0),
    "swish": ActivationSpec(_swish, 0.0, _SQRT2),
})
"""Read-only mapping from activation name to its `ActivationSpec`."""


def _is_number(v):
    return isinstance(v, (numbers.Real, np.number)) and not isinstance(v, bool)


def _scalar(v, dtype):
    """A number or scalar tensor as a tensor of `dtype` (numbers without float32 rounding)."""
    if isinstance(v, (tf.Tensor, tf.Variable)):
        return tf.cast(v, dtype)
    return tf.constant(v, dtype)


def _check_args(x, b, axis, act, gain, clamp):
    """Validates the arguments; returns (spec, b cast to x.dtype or None, axis in [0, rank))."""
    if act not in ACTIVATIONS:
        raise ValueError(
            f"bias_act: unknown activation {act!r}; valid names: {', '.join(ACTIVATIONS)}.")
    for name, v in (("gain", gain), ("clamp", clamp)):
        if not (v is None or _is_number(v) or isinstance(v, (tf.Tensor, tf.Variable))):
            raise ValueError(f"bias_act: {name} must be a number, a scalar tensor or None, "
                             f"got {v!r}.")
    if b is None:
        return ACTIVATIONS[act], None, axis
    b = tf.convert_to_tensor(b)
    rank = x.shape.rank
    if rank is None:
        raise ValueError("bias_act: the rank of x must be statically known when b is given.")
    if not -rank <= axis < rank:
        raise ValueError(f"bias_act: axis {axis} is out of range for x of rank {rank}.")
    axis = axis % rank
    if b.shape.rank != 1:
        raise ValueError(f"bias_act: b must be 1-D, got shape {b.shape}.")
    n, nb = x.shape[axis], b.shape[0]
    if n is not None and nb is not None and n != nb:
        raise ValueError(
            f"bias_act: b has {nb} elements but x has {n} along axis {axis} "
            f"(x shape {x.shape}).")
    if b.dtype != x.dtype:
        b = tf.cast(b, x.dtype)
    return ACTIVATIONS[act], b, axis


def _bias_act_ref(x, b, axis, act, alpha, gain, clamp):
    """Reference implementation of `bias_act` from standard TensorFlow ops."""
    x = tf.convert_to_tensor(x)
    spec, b, axis = _check_args(x, b, axis, act, gain, clamp)
    alpha = float(alpha if alpha is not None else spec.def_alpha)
    gain = spec.def_gain if gain is None else gain

    if b is not None:
        rank = x.shape.rank
        if axis == rank - 1:
            x = x + b
        else:
            x = x + tf.reshape(b, [-1 if i == axis else 1 for i in range(rank)])

    x = spec.func(x, alpha)
    if not _is_number(gain) or gain != 1:
        x = x * _scalar(gain, x.dtype)
    if clamp is not None and (not _is_number(clamp) or clamp >= 0):
        clamp = _scalar(clamp, x.dtype)
        x = tf.clip_by_value(x, -clamp, clamp)
    return x


def _bias_act_custom(x, b, axis, act, alpha, gain, clamp):
    """`bias_act` on the compiled kernels (`tfgan_fs.ops.custom_bias_act`)."""
    x = tf.convert_to_tensor(x)
    spec, b, axis = _check_args(x, b, axis, act, gain, clamp)
    alpha = float(alpha if alpha is not None else spec.def_alpha)
    gain = float(spec.def_gain if gain is None else gain)
    clamp = -1.0 if clamp is None or clamp < 0 else float(clamp)
    return bias_act_custom(x, b, axis if b is not None else -1, act, alpha, gain, clamp)


@tf.autograph.experimental.do_not_convert
def bias_act(x, b=None, axis=-1, act="linear", alpha=None, gain=None, clamp=None, impl="auto"):
    """Adds a bias, applies an activation, scales by a gain and clamps.

    Same semantics as NVlabs StyleGAN2-ADA ``bias_act`` (``axis`` plays the role
    of NVlabs ``dim``; the default -1 is the channel axis of NHWC tensors):
    ``clamp(act(x + b, alpha) * gain, -clamp, clamp)``, each step optional.

    Args:
        x: Input tensor of any shape.
        b: 1-D bias of length ``x.shape[axis]`` or ``None``. Cast to the dtype of ``x``.
        axis: Axis of ``x`` that ``b`` runs along (ignored when ``b`` is None).
        act: Activation name, a key of `ACTIVATIONS`: ``'linear'``, ``'relu'``,
            ``'lrelu'``, ``'tanh'``, ``'sigmoid'``, ``'elu'``, ``'selu'``,
            ``'softplus'`` or ``'swish'``.
        alpha: Shape parameter (negative slope of ``'lrelu'``); ``None`` uses the
            activation's default.
        gain: Output scaling (number or scalar tensor); ``None`` uses the
            activation's default (sqrt(2) for relu, lrelu and swish, 1 otherwise).
        clamp: Clamp the output to ``[-clamp, clamp]`` (number or scalar tensor);
            ``None`` or a negative number disables clamping. A tensor clamp is
            always applied, so it must be >= 0.
        impl: ``'auto'``, ``'ref'`` or ``'custom'`` (see `tfgan_fs.ops.impl`).

    Returns:
        Tensor of the same shape and dtype as ``x``.

    Raises:
        ValueError: On an unknown activation or a bias that does not fit ``x``.
        RuntimeError: If ``impl='custom'`` and the custom ops are not built.
    """
    x = tf.convert_to_tensor(x)
    if select_impl("bias_act", impl, unsupported_reason(x, gain, clamp)) == "custom":
        return _bias_act_custom(x, b, axis, act, alpha, gain, clamp)
    return _bias_act_ref(x, b, axis=axis, act=act, alpha=alpha, gain=gain, clamp=clamp)
