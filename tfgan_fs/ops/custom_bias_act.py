"""bias_act on the compiled kernels (``tf_ops/bias_act``), with first and second derivatives.

As in NVlabs StyleGAN2-ADA: the first derivative is the kernel in grad mode 1, computed from
the saved input (swish) or output (the others); its own gradient is grad mode 1 again for the
incoming gradient and grad mode 2 (the activation's second derivative) for x and b. Linear,
relu and lrelu have a zero second derivative. The clamp zeroes the gradient where the output
was clamped.
"""

import tensorflow as tf

from tfgan_fs.ops import loader

__all__ = ["bias_act_custom", "unsupported_reason"]

# Which reference value the derivatives read: 'x' (the input) or 'y' (the output).
_REF = {"linear": None, "relu": "y", "lrelu": "y", "tanh": "y", "sigmoid": "y", "elu": "y",
        "selu": "y", "softplus": "y", "swish": "x"}
_HAS_2ND_GRAD = frozenset(["tanh", "sigmoid", "elu", "selu", "softplus", "swish"])


def _is_tensor(v):
    return isinstance(v, (tf.Tensor, tf.Variable))


def unsupported_reason(x, gain, clamp):
    """Why the custom kernel cannot run these arguments, or None."""
    x = tf.convert_to_tensor(x)
    if x.dtype not in (tf.float32, tf.float16):
        return f"{x.dtype.name} inputs (float32 and float16 only)"
    if x.shape.rank is None:
        return "x of unknown rank"
    if _is_tensor(gain) or _is_tensor(clamp):
        return "a tensor gain or clamp"
    return None


def bias_act_custom(x, b, axis, act, alpha, gain, clamp):
    """bias_act (see `tfgan_fs.ops.bias_act`) with the custom kernels.

    Args:
        x: float16/float32 tensor.
        b: 1-D bias along `axis` (same dtype as x) or None.
        axis: Non-negative axis of `b`.
        act: Activation name.
        alpha, gain: Python floats (already defaulted).
        clamp: Python float; negative = off.

    Returns:
        Tensor like x.
    """
    op = loader.load_custom_ops().module.tfgan_fs_bias_act
    empty = tf.zeros([0], x.dtype)
    attrs = dict(act=act, axis=axis, alpha=float(alpha), gain=float(gain), clamp=float(clamp))
    reduce_axes = [i for i in range(x.shape.rank) if i != axis]
    ref = _REF[act]

    def call(inp, bias, xref, yref, dy, grad):
        return op(inp, empty if bias is None else bias, xref, yref, dy, grad=grad, **attrs)

    def grad1(dy, x, bias, y):
        """d(bias_act)/dx applied to dy, itself differentiable once more."""

        @tf.custom_gradient
        def inner(dy, x, *bias):
            bias = bias[0] if bias else None
            xref = x if ref == "x" else empty
            yref = y if ref == "y" or clamp >= 0 else empty  # the clamp mask reads y
            dx = call(dy, bias, xref, yref, empty, 1)

            def grad(d_dx):
                d_dy = grad1(d_dx, x, bias, y)
                if act in _HAS_2ND_GRAD:
                    d_x = call(d_dx, bias, x, y, dy, 2)
                else:
                    d_x = tf.zeros_like(x)
                if bias is None:
                    return d_dy, d_x
                return d_dy, d_x, tf.reduce_sum(d_x, axis=reduce_axes)

            return dx, grad

        return inner(dy, x, *([] if bias is None else [bias]))

    @tf.custom_gradient
    def forward(x, *bias):
        bias = bias[0] if bias else None
        y = call(x, bias, empty, empty, empty, 0)

        def grad(dy):
            dx = grad1(dy, x, bias, y)
            if bias is None:
                return dx
            return dx, tf.reduce_sum(dx, axis=reduce_axes)

        return y, grad

    return forward(x, *([] if b is None else [b]))
