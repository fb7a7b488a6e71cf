"""Applying a per-sample 2-D transform to NHWC images the way StyleGAN2-ADA does.

`geometric_transform` follows the reference exactly: reflect-pad by the margin the transformed
corners need, upsample 2x with the sym6 wavelet filter, resample bilinearly (zero outside, grid
centres as `align_corners=False`), downsample 2x with the flipped filter and crop. The bilinear
sampler is written with gathers so that its gradient w.r.t. the images is the exact adjoint and
is itself differentiable (R1 takes the second derivative through it).

`blit_transform` executes transforms made only of x-flips, 90-degree rotations and integer
translations exactly: every output pixel is a copy of an input pixel (reflect boundary). The
reference has no such shortcut. For integer translations its resampling path gives the same
result up to rounding (sym6 is orthogonal, so upsampling then downsampling is the identity), but
a transform that reverses an axis (a flip, a 90/180/270-degree rotation) turns the downsampling
correlation into a convolution with the asymmetric sym6 filter, so the reference also blurs
flipped images slightly (a 12-tap filter, largest tap 0.965; its TF1 version does the same).
Blit-only pipes are exact instead; pipes with general geometric transforms (bgc, the default)
take the reference's path and reproduce it, artifact included.

`feature_transform` is the same pass for feature maps aligned with the image, as GGDR's
`AugmentPipeGFeat` (Lee et al. 2022) transforms G's features: bilinear 2x upsampling
(`align_corners=False`, edge-clamped) instead of the wavelet filter, whose 12-tap support gives
large errors on small maps; the rest (padding, sampling, sym6 downsampling) as for images.

Matrices map output pixels to input pixels (G_inv @ pixel_out = pixel_in) in coordinates centred
on the image: pixel index j is at x = j - (W - 1) / 2.
"""

import numpy as np
import tensorflow as tf

from tfgan_fs import ops
from tfgan_fs.augment import matrices as mat
from tfgan_fs.augment.wavelets import SYM6

# setup_filter() of the 12-tap sym6 filter: separable (>= 8 taps) and normalised to sum 1.
GEOM_FILTER = (np.asarray(SYM6) / np.sum(SYM6)).astype(np.float32)
GEOM_FILTER_PAD = len(SYM6) // 4  # 3


def _centered_grid(height, width):
    """Homogeneous centred coordinates of every pixel, [3, H * W] (x, y, 1)."""
    ys, xs = np.meshgrid(np.arange(height) - (height - 1) / 2,
                         np.arange(width) - (width - 1) / 2, indexing="ij")
    return np.stack([xs.ravel(), ys.ravel(), np.ones(height * width)]).astype(np.float32)


def _gather_pixels(images, ys, xs):
    """images[n, ys[n, k], xs[n, k], :] for in-range int32 index maps [N, K] -> [N, K, C].

    A gather on the flattened pixels (about twice as fast as gather_nd on CPU).
    """
    shape = tf.shape(images)
    n, h, w = shape[0], shape[1], shape[2]
    flat = tf.reshape(images, [-1, images.shape[-1]])
    return tf.gather(flat, (tf.range(n) * h * w)[:, tf.newaxis] + ys * w + xs)


def bilinear_sample(images, x, y):
    """Samples NHWC `images` at float pixel coordinates x, y [N, K] -> [N, K, C].

    Bilinear interpolation between the four neighbouring pixels; neighbours outside the image
    contribute zero (torch's grid_sample with padding_mode='zeros').
    """
    shape = tf.shape(images)
    h, w = shape[1], shape[2]
    x0 = tf.floor(x)
    y0 = tf.floor(y)
    wx1 = tf.cast(x - x0, images.dtype)[..., tf.newaxis]
    wy1 = tf.cast(y - y0, images.dtype)[..., tf.newaxis]
    x0 = tf.cast(x0, tf.int32)
    y0 = tf.cast(y0, tf.int32)
    result = 0
    for dy, wy in ((0, 1 - wy1), (1, wy1)):
        for dx, wx in ((0, 1 - wx1), (1, wx1)):
            xi, yi = x0 + dx, y0 + dy
            inside = (xi >= 0) & (xi < w) & (yi >= 0) & (yi < h)
            values = _gather_pixels(images, tf.clip_by_value(yi, 0, h - 1),
                                    tf.clip_by_value(xi, 0, w - 1))
            weight = wx * wy * tf.cast(inside, images.dtype)[..., tf.newaxis]
            result += values * weight
    return result


def geometric_transform(images, G_inv):
    """Applies G_inv [N, 3, 3] (output pixel -> input pixel, centred) to images [N, H, W, C].

    Returns images of the same shape and dtype.
    """
    return _resample(images, G_inv, _wavelet_upsample)


def feature_transform(features, G_inv):
    """Applies G_inv [N, 3, 3] (in the maps' own pixel units) to feature maps [N, h, w, C] the
    way GGDR's AugmentPipeGFeat does: as `geometric_transform` but with bilinear upsampling."""
    return _resample(features, G_inv, _bilinear_upsample)


def _wavelet_upsample(images):
    # The pipe's stages run inside tf.cond, and TF cannot take the second-order gradient (R1
    # through the pipe) of a tf.custom_gradient op inside a cond branch: reference ops here.
    return ops.upsample2d(images, GEOM_FILTER, up=2, impl="ref")


def _bilinear_upsample(images):
    """2x bilinear upsampling, half-pixel centres, clamped edges (torch `F.interpolate(...,
    scale_factor=2, mode='bilinear', align_corners=False)`)."""
    size = [images.shape[1] if images.shape[1] is not None else tf.shape(images)[1],
            images.shape[2] if images.shape[2] is not None else tf.shape(images)[2]]
    out = tf.image.resize(images, [size[0] * 2, size[1] * 2], method="bilinear")
    return tf.cast(out, images.dtype)


def _resample(images, G_inv, upsample):
    n, height, width, channels = images.shape
    n = tf.shape(images)[0] if n is None else n
    pad = GEOM_FILTER_PAD
    cx, cy = (width - 1) / 2, (height - 1) / 2

    # Reflect-pad by what the transformed corners need (plus the filter support).
    corners = tf.constant([[-cx, cx, cx, -cx], [-cy, -cy, cy, cy], [1, 1, 1, 1]], tf.float32)
    cp = tf.matmul(G_inv, tf.broadcast_to(corners, [n, 3, 4]))               # [N, xyz, 4]
    xy = tf.reshape(tf.transpose(cp[:, :2, :], [1, 0, 2]), [2, -1])          # [xy, N * 4]
    margin = tf.reduce_max(tf.concat([-xy, xy], axis=0), axis=1)             # [x0, y0, x1, y1]
    margin = margin + tf.constant([pad * 2 - cx, pad * 2 - cy] * 2, tf.float32)
    margin = tf.clip_by_value(margin, 0.0, tf.constant([width - 1, height - 1] * 2, tf.float32))
    margin = tf.cast(tf.math.ceil(margin), tf.int32)
    mx0, my0, mx1, my1 = margin[0], margin[1], margin[2], margin[3]
    images = tf.pad(images, [[0, 0], [my0, my1], [mx0, mx1], [0, 0]], mode="REFLECT")
    G_inv = tf.matmul(mat.translate2d(tf.cast(mx0 - mx1, tf.float32) / 2,
                                      tf.cast(my0 - my1, tf.float32) / 2, n), G_inv)

    # Upsample 2x; the transform moves to the upsampled pixel grid.
    images = upsample(images)
    G_inv = mat.scale2d(2, 2, n) @ G_inv @ mat.scale2d_inv(2, 2, n)
    G_inv = mat.translate2d(-0.5, -0.5, n) @ G_inv @ mat.translate2d_inv(-0.5, -0.5, n)

    # Resample onto the output grid (the input plus `pad` pixels per side, upsampled).
    out_h, out_w = (height + pad * 2) * 2, (width + pad * 2) * 2
    grid = tf.matmul(G_inv, tf.broadcast_to(_centered_grid(out_h, out_w), [n, 3, out_h * out_w]))
    in_h = tf.cast(tf.shape(images)[1], tf.float32)
    in_w = tf.cast(tf.shape(images)[2], tf.float32)
    images = bilinear_sample(images, grid[:, 0] + (in_w - 1) / 2, grid[:, 1] + (in_h - 1) / 2)
    images = tf.reshape(images, [n, out_h, out_w, channels])

    # Downsample 2x and crop the padding.
    images = ops.downsample2d(images, GEOM_FILTER, down=2, padding=-pad * 2, flip_filter=True,
                              impl="ref")
    return tf.ensure_shape(images, [None, height, width, channels])


def _reflect_index(index, size):
    """Mirror-reflects integer indices into [0, size) without repeating the edge pixel."""
    period = 2 * (size - 1)
    index = tf.math.floormod(index, period)
    return tf.where(index >= size, period - index, index)


def reflect_pad(images, pad):
    """Pads H and W by `pad` with mirror reflection (no edge repeat), any image size."""
    height, width = images.shape[1], images.shape[2]
    ys = _reflect_index(tf.range(-pad, height + pad), height)
    xs = _reflect_index(tf.range(-pad, width + pad), width)
    return tf.gather(tf.gather(images, ys, axis=1), xs, axis=2)


def blit_transform(images, G_inv):
    """Exact pixel copy for integer transforms (flips, 90-degree rotations, integer shifts)."""
    n, height, width, channels = images.shape
    n = tf.shape(images)[0] if n is None else n
    grid = tf.matmul(G_inv, tf.broadcast_to(_centered_grid(height, width),
                                            [n, 3, height * width]))
    xs = tf.cast(tf.round(grid[:, 0] + (width - 1) / 2), tf.int32)
    ys = tf.cast(tf.round(grid[:, 1] + (height - 1) / 2), tf.int32)
    pixels = _gather_pixels(images, _reflect_index(ys, height), _reflect_index(xs, width))
    return tf.reshape(pixels, [n, height, width, channels])


