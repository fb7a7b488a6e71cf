"""upfirdn2d on the compiled kernels (``tf_ops/upfirdn2d``), with gradients of any order.

The gradient of upfirdn2d with respect to x is another upfirdn2d (NVlabs StyleGAN2-ADA): the
same filter with `flip_filter` toggled, up and down swapped, and the padding recomputed so the
result has the input's size. It is itself built with `tf.custom_gradient`, so R1 and path-length
regularisation (Karras et al. 2020) can differentiate through it again. The filter is a
constant (no gradient), as in the reference.
"""

import math

import tensorflow as tf

from tfgan_fs.ops import loader

__all__ = ["upfirdn2d_custom", "unsupported_reason"]


def unsupported_reason(x, f, gain):
    """Why the custom kernel cannot run these arguments, or None."""
    x = tf.convert_to_tensor(x)
    if x.dtype not in (tf.float32, tf.float16):
        return f"{x.dtype.name} inputs (float32 and float16 only)"
    if x.shape.rank != 4 or None in x.shape.as_list()[1:3]:
        return f"x of shape {x.shape} (needs a 4-D NHWC tensor with static height and width)"
    if isinstance(f, (tf.Tensor, tf.Variable)) and not f.shape.is_fully_defined():
        return f"filters of unknown shape {f.shape}"
    if isinstance(gain, (tf.Tensor, tf.Variable)):
        return "a tensor gain"
    return None


def _raw(x, f, up, down, pad, flip, gain):
    """One call of the TfganFsUpFirDn2D kernel with a 2-D filter, differentiable in x."""
    upx, upy = up
    downx, downy = down
    px0, px1, py0, py1 = pad
    op = loader.load_custom_ops().module.tfgan_fs_up_fir_dn2d
    h, w = x.shape.as_list()[1:3]
    fh, fw = f.shape.as_list()
    if h * upy + py0 + py1 < fh or w * upx + px0 + px1 < fw:
        raise ValueError(
            f"upfirdn2d: the upsampled and padded image {h * upy + py0 + py1}x"
            f"{w * upx + px0 + px1} is smaller than the filter {fh}x{fw}.")

    @tf.custom_gradient
    def forward(x):
        y = op(x, f, up_x=upx, up_y=upy, down_x=downx, down_y=downy, pad_x0=px0, pad_x1=px1,
               pad_y0=py0, pad_y1=py1, flip_filter=flip, gain=gain)

        def grad(dy):
            oh, ow = y.shape.as_list()[1:3]
            gpad = (fw - px0 - 1, w * upx - ow * downx + px0 - upx + 1,
                    fh - py0 - 1, h * upy - oh * downy + py0 - upy + 1)
            return _raw(dy, f, down, up, gpad, not flip, gain)

        return y, grad

    return forward(x)


def upfirdn2d_custom(x, f, upx, upy, downx, downy, padding, flip_filter, gain):
    """upfirdn2d (see `tfgan_fs.ops.upfirdn2d`) with the custom kernels.

    Args:
        x: float16/float32 ``[N, H, W, C]`` with static H and W.
        f: None, a ``[taps]`` (separable) or ``[height, width]`` filter.
        upx, upy, downx, downy: Integer factors.
        padding: ``(x0, x1, y0, y1)``.
        flip_filter: Correlation instead of convolution.
        gain: Python number.

    Returns:
        Tensor of the dtype of x.
    """
    x = tf.convert_to_tensor(x)
    px0, px1, py0, py1 = padding
    f = tf.ones([1, 1], tf.float32) if f is None else tf.cast(f, tf.float32)
    f = tf.stop_gradient(f)
    if f.shape.rank == 1:  # separable: horizontal pass, then vertical, each with sqrt(gain)
        g = math.sqrt(gain)
        x = _raw(x, f[tf.newaxis, :], (upx, 1), (downx, 1), (px0, px1, 0, 0), flip_filter, g)
        return _raw(x, f[:, tf.newaxis], (1, upy), (1, downy), (0, 0, py0, py1), flip_filter, g)
    return _raw(x, f, (upx, upy), (downx, downy), (px0, px1, py0, py1), flip_filter,
                float(gain))
