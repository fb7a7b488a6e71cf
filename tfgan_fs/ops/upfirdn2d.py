"""Upsample, pad, FIR-filter and downsample batches of NHWC images.

Pure TensorFlow implementation of NVlabs StyleGAN2-ADA ``upfirdn2d`` and its
helpers (``filter2d``, ``upsample2d``, ``downsample2d``) with identical semantics
(``impl='custom'`` dispatches to the compiled kernels, `tfgan_fs.ops.custom_upfirdn2d`),
but for channels-last ``[N, H, W, C]`` tensors. The FIR low-pass filtering is the
anti-aliased resampling of Karras et al. 2020, "Analyzing and Improving the Image
Quality of StyleGAN". Everything is built from differentiable TensorFlow ops, so
gradients of any order are available and the ops compile under XLA.
"""

import math

import tensorflow as tf

from tfgan_fs.ops.filters import filter_size, parse_padding, parse_scaling
from tfgan_fs.ops.custom_upfirdn2d import unsupported_reason, upfirdn2d_custom
from tfgan_fs.ops.impl import select_impl

__all__ = ["upfirdn2d", "filter2d", "upsample2d", "downsample2d"]


def _dims(x):
    """Shape of `x` as a list of static ints where known, scalar tensors elsewhere."""
    static = x.shape.as_list()
    if all(d is not None for d in static):
        return static
    dynamic = tf.shape(x)
    return [d if d is not None else dynamic[i] for i, d in enumerate(static)]


def _zero_insert(x, up, axis):
    """Upsamples axis 1 (H) or 2 (W) by inserting up-1 zeros after each pixel."""
    if up == 1:
        return x
    n, h, w, c = _dims(x)
    x = tf.expand_dims(x, axis + 1)
    paddings = [[0, 0]] * 5
    paddings[axis + 1] = [0, up - 1]
    x = tf.pad(x, paddings)
    shape = [n, h * up, w, c] if axis == 1 else [n, h, w * up, c]
    return tf.reshape(x, shape)


def _pad_crop(x, before, after, axis):
    """Zero-pads (positive) or crops (negative) axis 1 (H) or 2 (W)."""
    if before > 0 or after > 0:
        paddings = [[0, 0]] * 4
        paddings[axis] = [max(before, 0), max(after, 0)]
        x = tf.pad(x, paddings)
    if before < 0 or after < 0:
        sl = [slice(None)] * 4
        sl[axis] = slice(max(-before, 0), after if after < 0 else None)
        x = x[tuple(sl)]
    return x


def _depthwise(x, kernel, stride):
    """Per-channel VALID correlation with a [kh, kw] kernel and equal strides."""
    channels = _dims(x)[3]
    kernel = tf.tile(kernel[:, :, tf.newaxis, tf.newaxis], [1, 1, channels, 1])
    return tf.nn.depthwise_conv2d(x, kernel, [1, stride, stride, 1], "VALID")


def _correlate(x, kernel, sy, sx):
    """Per-channel VALID correlation of NHWC `x` with a [kh, kw] kernel, strides (sy, sx).

    Equivalent to correlating at stride 1 and keeping every sy-th row and sx-th
    column starting at 0. TF's depthwise convolution only supports equal row and
    column strides, so unequal strides of 1-D kernels fold the other axis into the
    batch (kh == 1) or into the channels (kw == 1) so the subsampling is never wasted.
    """
    kh, kw = kernel.shape.as_list()
    h, w = x.shape[1], x.shape[2]
    if (h is not None and h < kh) or (w is not None and w < kw):
        raise ValueError(
            f"upfirdn2d: the upsampled and padded image {h}x{w} is smaller than the "
            f"filter {kh}x{kw}.")
    if sy == sx:
        return _depthwise(x, kernel, sx)
    if kh == 1:
        x = x[:, ::sy]
        n, h, w, c = _dims(x)
        y = _depthwise(tf.reshape(x, [-1, 1, w, c]), kernel, sx)
        return tf.reshape(y, [n, h, _dims(y)[2], c])
    if kw == 1:
        x = x[:, :, ::sx]
        n, h, w, c = _dims(x)
        y = _depthwise(tf.reshape(x, [n, h, 1, w * c]), kernel, sy)
        return tf.reshape(y, [n, _dims(y)[1], w, c])
    s = math.gcd(sy, sx)
    y = _depthwise(x, kernel, s)
    return y[:, :: sy // s, :: sx // s]


def _upfirdn2d_ref(x, f, up, down, padding, flip_filter, gain):
    """Reference implementation of `upfirdn2d` from standard TensorFlow ops."""
    x = tf.convert_to_tensor(x)
    if x.shape.rank != 4:
        raise ValueError(f"upfirdn2d: x must be a 4-D [N, H, W, C] tensor, got shape {x.shape}.")
    if not x.dtype.is_floating:
        raise ValueError(f"upfirdn2d: x must be a floating-point tensor, got {x.dtype.name}.")
    upx, upy = parse_scaling(up)
    downx, downy = parse_scaling(down)
    px0, px1, py0, py1 = parse_padding(padding)

    if f is None:
        # Identity filter: a 1x1 convolution with weight `gain`.
        x = _zero_insert(_zero_insert(x, upy, 1), upx, 2)
        x = _pad_crop(_pad_crop(x, py0, py1, 1), px0, px1, 2)
        if gain != 1:
            x = x * tf.constant(gain, x.dtype)
        if downx > 1 or downy > 1:
            x = x[:, ::downy, ::downx]
        return x

    filter_size(f)  # validates rank and emptiness
    work_dtype = tf.float64 if x.dtype == tf.float64 else tf.float32
    f = tf.cast(tf.convert_to_tensor(f), work_dtype)
    ndim = f.shape.rank
    f = f * tf.constant(gain ** (ndim / 2), work_dtype)  # not tf.cast: that rounds via float32
    if not flip_filter:  # True convolution = correlation with the flipped filter.
        f = tf.reverse(f, axis=list(range(ndim)))
    f = tf.stop_gradient(tf.cast(f, x.dtype))

    if ndim == 2:
        x = _zero_insert(_zero_insert(x, upy, 1), upx, 2)
        x = _pad_crop(_pad_crop(x, py0, py1, 1), px0, px1, 2)
        return _correlate(x, f, downy, downx)

    # Separable: horizontal pass, then vertical pass, each with gain ** 0.5.
    x = _pad_crop(_zero_insert(x, upx, 2), px0, px1, 2)
    x = _correlate(x, f[tf.newaxis, :], 1, downx)
    x = _pad_crop(_zero_insert(x, upy, 1), py0, py1, 1)
    x = _correlate(x, f[:, tf.newaxis], downy, 1)
    return x


@tf.autograph.experimental.do_not_convert
def upfirdn2d(x, f, up=1, down=1, padding=0, flip_filter=False, gain=1, impl="auto"):
    """Pads, upsamples, FIR-filters and downsamples a batch of NHWC images.

    Same semantics as NVlabs StyleGAN2-ADA ``upfirdn2d`` (channels last). For each
    channel:

    1. Upsample by inserting ``up - 1`` zeros after each pixel.
    2. Pad with zeros on each side (``padding``); negative padding crops.
    3. Convolve with the FIR filter ``f``, shrinking the image so that the
       footprint of every output pixel lies within the padded image (VALID).
    4. Downsample by keeping every ``down``-th pixel, starting at the first.

    This mirrors ``scipy.signal.upfirdn`` in 2-D. A 1-D filter is applied
    separably (horizontal, then vertical pass), each pass scaled by
    ``gain ** 0.5``; a 2-D filter ``[height, width]`` is scaled by ``gain``.

    Args:
        x: float16/float32/float64 tensor of shape ``[N, H, W, C]``.
        f: FIR filter of shape ``[height, width]`` (non-separable), ``[taps]``
            (separable), or ``None`` (identity). Usually made by `setup_filter`;
            cast to the dtype of ``x`` and treated as a constant.
        up: Integer upsampling factor, an int or ``[x, y]``.
        down: Integer downsampling factor, an int or ``[x, y]``.
        padding: Padding w.r.t. the upsampled image: an int, ``[x, y]`` or
            ``[x_before, x_after, y_before, y_after]``; negative values crop.
        flip_filter: ``False`` = convolution (the filter is flipped), ``True`` =
            correlation.
        gain: Overall scaling factor for the signal magnitude.
        impl: ``'auto'``, ``'ref'`` or ``'custom'`` (see `tfgan_fs.ops.impl`).

    Returns:
        Tensor of shape ``[N, out_height, out_width, C]`` and the dtype of ``x``.

    Raises:
        ValueError: On malformed arguments.
        RuntimeError: If ``impl='custom'`` and the custom ops are not built.
    """
    if select_impl("upfirdn2d", impl, unsupported_reason(x, f, gain)) == "custom":
        filter_size(f)  # validates rank and emptiness
        return upfirdn2d_custom(x, f, *parse_scaling(up), *parse_scaling(down),
                                parse_padding(padding), flip_filter, gain)
    return _upfirdn2d_ref(x, f, up=up, down=down, padding=padding,
                          flip_filter=flip_filter, gain=gain)


@tf.autograph.experimental.do_not_convert
def filter2d(x, f, padding=0, flip_filter=False, gain=1, impl="auto"):
    """Filters a batch of NHWC images with a FIR filter, keeping their size.

    NVlabs ``filter2d``: the image is padded so that the output has the input's
    shape; user ``padding`` (w.r.t. the output, negative = crop) is added on top.

    Args:
        x: Tensor of shape ``[N, H, W, C]``.
        f: FIR filter ``[height, width]``, ``[taps]`` or ``None`` (identity).
        padding: Extra padding: int, ``[x, y]`` or ``[x0, x1, y0, y1]``.
        flip_filter: ``False`` = convolution, ``True`` = correlation.
        gain: Overall scaling factor for the signal magnitude.
        impl: ``'auto'``, ``'ref'`` or ``'custom'``.

    Returns:
        Tensor of shape ``[N, H + y0 + y1, W + x0 + x1, C]``.
    """
    px0, px1, py0, py1 = parse_padding(padding)
    fw, fh = filter_size(f)
    p = [px0 + fw // 2, px1 + (fw - 1) // 2, py0 + fh // 2, py1 + (fh - 1) // 2]
    return upfirdn2d(x, f, padding=p, flip_filter=flip_filter, gain=gain, impl=impl)


@tf.autograph.experimental.do_not_convert
def upsample2d(x, f, up=2, padding=0, flip_filter=False, gain=1, impl="auto"):
    """Upsamples a batch of NHWC images with a FIR interpolation filter.

    NVlabs ``upsample2d``: padded so that the output is ``[H * up_y, W * up_x]``,
    with user ``padding`` (w.r.t. the output) added on top, and the gain
    multiplied by ``up_x * up_y`` to make up for the inserted zeros.

    Args:
        x: Tensor of shape ``[N, H, W, C]``.
        f: FIR filter ``[height, width]``, ``[taps]`` or ``None`` (identity).
        up: Integer upsampling factor, an int or ``[x, y]``.
        padding: Extra padding: int, ``[x, y]`` or ``[x0, x1, y0, y1]``.
        flip_filter: ``False`` = convolution, ``True`` = correlation.
        gain: Overall scaling factor for the signal magnitude.
        impl: ``'auto'``, ``'ref'`` or ``'custom'``.

    Returns:
        Tensor of shape ``[N, H * up_y + y0 + y1, W * up_x + x0 + x1, C]``.
    """
    upx, upy = parse_scaling(up)
    px0, px1, py0, py1 = parse_padding(padding)
    fw, fh = filter_size(f)
    p = [
        px0 + (fw + upx - 1) // 2,
        px1 + (fw - upx) // 2,
        py0 + (fh + upy - 1) // 2,
        py1 + (fh - upy) // 2,
    ]
    return upfirdn2d(x, f, up=up, padding=p, flip_filter=flip_filter,
                     gain=gain * upx * upy, impl=impl)


@tf.autograph.experimental.do_not_convert
def downsample2d(x, f, down=2, padding=0, flip_filter=False, gain=1, impl="auto"):
    """Downsamples a batch of NHWC images with a FIR anti-aliasing filter.

    NVlabs ``downsample2d``: padded so that the output is ``[H / down_y,
    W / down_x]`` (for divisible sizes), with user ``padding`` (w.r.t. the input)
    added on top.

    Args:
        x: Tensor of shape ``[N, H, W, C]``.
        f: FIR filter ``[height, width]``, ``[taps]`` or ``None`` (identity).
        down: Integer downsampling factor, an int or ``[x, y]``.
        padding: Extra padding: int, ``[x, y]`` or ``[x0, x1, y0, y1]``.
        flip_filter: ``False`` = convolution, ``True`` = correlation.
        gain: Overall scaling factor for the signal magnitude.
        impl: ``'auto'``, ``'ref'`` or ``'custom'``.

    Returns:
        Tensor of shape ``[N, H // down_y, W // down_x, C]`` for zero padding and
        sizes divisible by ``down``.
    """
    downx, downy = parse_scaling(down)
    px0, px1, py0, py1 = parse_padding(padding)
    fw, fh = filter_size(f)
    p = [
        px0 + (fw - downx + 1) // 2,
        px1 + (fw - downx) // 2,
        py0 + (fh - downy + 1) // 2,
        py1 + (fh - downy) // 2,
    ]
    return upfirdn2d(x, f, down=down, padding=p, flip_filter=flip_filter, gain=gain, impl=impl)
