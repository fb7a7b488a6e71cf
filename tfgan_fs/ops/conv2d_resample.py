"""2-D convolution with optional FIR up/downsampling (NVlabs ``conv2d_resample``).

Channels-last TensorFlow version of NVlabs StyleGAN2-ADA ``conv2d_resample`` with
``groups=1``: ``x`` is ``[N, H, W, C]`` and the weight is in TF's HWIO layout
``[kh, kw, in_channels, out_channels]``. The result always equals the generic
definition (`_conv2d_resample_generic`); cheaper equivalent formulations
(NVlabs' fast paths) are picked from the arguments. The FIR resampling is that of
Karras et al. 2020, "Analyzing and Improving the Image Quality of StyleGAN".
"""

import numbers

import numpy as np
import tensorflow as tf

from tfgan_fs.ops.filters import filter_size, parse_padding
from tfgan_fs.ops.upfirdn2d import upfirdn2d

__all__ = ["conv2d_resample"]


def _conv2d(x, w, stride=1, pad_y=0, pad_x=0, flip_weight=True):
    """conv2d with symmetric zero padding; flip_weight=False is a true convolution."""
    _check_fits(x, w, pad_y, pad_x)
    if not flip_weight:
        w = tf.reverse(w, axis=[0, 1])
    if pad_y or pad_x:
        padding = [[0, 0], [pad_y, pad_y], [pad_x, pad_x], [0, 0]]
    else:
        padding = "VALID"
    return tf.nn.conv2d(x, w, strides=stride, padding=padding)


def _check_fits(x, w, pad_y, pad_x):
    """Raises if the (static) padded image is smaller than the kernel, as PyTorch does.

    TF would instead return an empty tensor, whose weight gradient is garbage.
    """
    h, wd = x.shape[1], x.shape[2]
    kh, kw = w.shape[0], w.shape[1]
    if h is None or wd is None:
        return
    if h + 2 * pad_y < kh or wd + 2 * pad_x < kw:
        raise ValueError(
            f"conv2d_resample: the padded image {h + 2 * pad_y}x{wd + 2 * pad_x} is smaller "
            f"than the kernel {kh}x{kw}.")


def _conv2d_transpose(x, w, stride, pad_y=0, pad_x=0, flip_weight=True):
    """Transposed conv2d (the adjoint of a strided correlation), output cropped by pad.

    ``w`` is ``[kh, kw, in, out]`` with ``in`` the channels of ``x``. With
    ``flip_weight=True`` this computes ``out[i * stride + a - pad] += x[i] * w[a]``
    (TF ``conv2d_transpose``); ``False`` flips the weight first.
    """
    kh, kw = w.shape[0], w.shape[1]
    if not flip_weight:
        w = tf.reverse(w, axis=[0, 1])
    w = tf.transpose(w, [0, 1, 3, 2])  # conv2d_transpose wants [kh, kw, out, in]
    shape = tf.shape(x)
    h, wd = x.shape[1], x.shape[2]
    h = shape[1] if h is None else h
    wd = shape[2] if wd is None else wd
    out_shape = tf.stack([shape[0], (h - 1) * stride + kh - 2 * pad_y,
                          (wd - 1) * stride + kw - 2 * pad_x, w.shape[2]])
    if pad_y or pad_x:
        padding = [[0, 0], [pad_y, pad_y], [pad_x, pad_x], [0, 0]]
    else:
        padding = "VALID"
    return tf.nn.conv2d_transpose(x, w, out_shape, strides=stride, padding=padding)


def _validate(x, w, f, up, down):
    if x.shape.rank != 4:
        raise ValueError(f"conv2d_resample: x must be 4-D [N, H, W, C], got shape {x.shape}.")
    if w.shape.rank != 4 or not w.shape.is_fully_defined():
        raise ValueError(
            "conv2d_resample: w must be 4-D [kh, kw, in_channels, out_channels] with a "
            f"static shape, got {w.shape}.")
    if w.dtype != x.dtype:
        raise ValueError(
            f"conv2d_resample: w ({w.dtype.name}) must have the same dtype as x ({x.dtype.name}).")
    if x.shape[3] is not None and x.shape[3] != w.shape[2]:
        raise ValueError(
            f"conv2d_resample: x has {x.shape[3]} channels but w expects {w.shape[2]} "
            f"(w shape {w.shape.as_list()}).")
    for name, v in (("up", up), ("down", down)):
        if not isinstance(v, (numbers.Integral, np.integer)) or isinstance(v, bool) or v < 1:
            raise ValueError(f"conv2d_resample: {name} must be an int >= 1, got {v!r}.")
    filter_size(f)


def _adjusted_padding(f, up, down, padding):
    """NVlabs: user padding (w.r.t. the upsampled image) plus the resampling padding."""
    fw, fh = filter_size(f)
    px0, px1, py0, py1 = parse_padding(padding)
    if up > 1:
        px0 += (fw + up - 1) // 2
        px1 += (fw - up) // 2
        py0 += (fh + up - 1) // 2
        py1 += (fh - up) // 2
    if down > 1:
        px0 += (fw - down + 1) // 2
        px1 += (fw - down) // 2
        py0 += (fh - down + 1) // 2
        py1 += (fh - down) // 2
    return px0, px1, py0, py1


def _conv2d_resample_generic(x, w, f, up, down, pad, flip_weight, flip_filter, impl="auto"):
    """Generic definition: upsample + pad + filter, VALID conv, filter + downsample."""
    x = upfirdn2d(x, f if up > 1 else None, up=up, padding=list(pad), gain=up ** 2,
                  flip_filter=flip_filter, impl=impl)
    x = _conv2d(x, w, flip_weight=flip_weight)
    if down > 1:
        x = upfirdn2d(x, f, down=down, flip_filter=flip_filter, impl=impl)
    return x


@tf.autograph.experimental.do_not_convert
def conv2d_resample(x, w, f=None, up=1, down=1, padding=0, flip_weight=True, flip_filter=False,
                    impl="auto"):
    """2-D convolution with optional FIR upsampling and downsampling.

    Same semantics as NVlabs StyleGAN2-ADA ``conv2d_resample`` (``groups=1``), in
    NHWC / HWIO layout. The result equals::

        y = upfirdn2d(x, f if up > 1 else None, up=up, padding=p, gain=up**2)
        y = VALID convolution of y with w   # correlation if flip_weight
        y = upfirdn2d(y, f, down=down) if down > 1 else y

    where ``p`` is ``padding`` plus the padding `upsample2d` / `downsample2d` would
    use for ``f``. Padding is applied once at the start, w.r.t. the upsampled
    image. It is computed with the cheapest equivalent formulation: 1x1 kernels
    resample at the lower resolution, downsampling folds into a strided conv,
    upsampling uses a strided transposed conv followed by the FIR filter, and
    symmetric padding without resampling is a single padded conv.

    Args:
        x: Tensor of shape ``[N, H, W, in_channels]``.
        w: Weight of shape ``[kh, kw, in_channels, out_channels]``, dtype of ``x``.
        f: FIR low-pass filter from `setup_filter`, or ``None`` (identity).
        up: Integer upsampling factor.
        down: Integer downsampling factor.
        padding: Padding w.r.t. the upsampled image: int, ``[x, y]`` or
            ``[x0, x1, y0, y1]``; negative values crop.
        flip_weight: ``True`` = correlation (what `tf.nn.conv2d` computes),
            ``False`` = true convolution.
        flip_filter: ``False`` = convolution with ``f``, ``True`` = correlation.
        impl: Implementation of the FIR steps: ``'auto'``, ``'ref'`` or ``'custom'``.

    Returns:
        Tensor of shape ``[N, out_height, out_width, out_channels]``.

    Raises:
        ValueError: On malformed arguments.
    """
    x = tf.convert_to_tensor(x)
    w = tf.convert_to_tensor(w)
    _validate(x, w, f, up, down)
    kh, kw = w.shape[0], w.shape[1]
    px0, px1, py0, py1 = _adjusted_padding(f, up, down, padding)

    # 1x1 kernel, downsampling only: downsample first, then convolve.
    if kw == 1 and kh == 1 and down > 1 and up == 1:
        x = upfirdn2d(x, f, down=down, padding=[px0, px1, py0, py1], flip_filter=flip_filter,
                      impl=impl)
        return _conv2d(x, w, flip_weight=flip_weight)

    # 1x1 kernel, upsampling only: convolve first, then upsample.
    if kw == 1 and kh == 1 and up > 1 and down == 1:
        x = _conv2d(x, w, flip_weight=flip_weight)
        return upfirdn2d(x, f, up=up, padding=[px0, px1, py0, py1], gain=up ** 2,
                         flip_filter=flip_filter, impl=impl)

    # Downsampling only: filter, then strided convolution.
    if down > 1 and up == 1:
        x = upfirdn2d(x, f, padding=[px0, px1, py0, py1], flip_filter=flip_filter, impl=impl)
        return _conv2d(x, w, stride=down, flip_weight=flip_weight)

    # Upsampling (and optional downsampling): strided transposed conv, then filter.
    # The transposed conv is the adjoint of correlation, so correlation semantics
    # (flip_weight=True) need the flipped weight: pass `not flip_weight`.
    if up > 1:
        px0 -= kw - 1
        px1 -= kw - up
        py0 -= kh - 1
        py1 -= kh - up
        pxt = max(min(-px0, -px1), 0)
        pyt = max(min(-py0, -py1), 0)
        x = _conv2d_transpose(x, w, stride=up, pad_y=pyt, pad_x=pxt,
                              flip_weight=not flip_weight)
        x = upfirdn2d(x, f, padding=[px0 + pxt, px1 + pxt, py0 + pyt, py1 + pyt],
                      gain=up ** 2, flip_filter=flip_filter, impl=impl)
        if down > 1:
            x = upfirdn2d(x, f, down=down, flip_filter=flip_filter, impl=impl)
        return x

    # No resampling, symmetric non-negative padding: a single padded conv.
    if px0 == px1 and py0 == py1 and px0 >= 0 and py0 >= 0:
        return _conv2d(x, w, pad_y=py0, pad_x=px0, flip_weight=flip_weight)

    # Fallback: the generic definition.
    return _conv2d_resample_generic(x, w, f, up, down, (px0, px1, py0, py1),
                                    flip_weight, flip_filter, impl)
