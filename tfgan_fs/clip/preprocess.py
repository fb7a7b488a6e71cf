"""CLIP input preprocessing as StyleGAN-NADA applies it (rinongal/StyleGAN-nada, commit dc8406a).

`clip_preprocess` is the reference's differentiable `CLIPLoss.preprocess`
(`ZSSGAN/criteria/clip_loss.py`) on GAN output:

    Normalize(mean=-1, std=2)                       [-1, 1] -> [0, 1]
    Resize(size, interpolation=BICUBIC)             short side -> size (torchvision's size rule)
    CenterCrop(size)                                torchvision's rounding of the offsets
    Normalize(CLIP_MEAN, CLIP_STD)                  OpenAI CLIP's constants

In the reference's era (torch 1.7.1, torchvision 0.8.2) `Resize` on a tensor is
`F.interpolate(mode='bicubic', align_corners=False)` with no antialiasing, also when it shrinks.
That resampling is linear and separable, so it is done here with two constant matrices built in
NumPy exactly as PyTorch's `upsample_bicubic2d` samples (cubic convolution with A = -0.75,
half-pixel centres, the four taps clamped at the border); the crop selects their rows.
Gradients flow to the images through the (transposed) matrices.

`preprocess_pil` is CLIP's own PIL preprocessing (`clip._transform`), used by the reference for
the `--style_img_dir` images: PIL's (antialiased) bicubic resize, center crop, RGB, [0, 1],
CLIP mean/std. It is not differentiable.
"""

import numpy as np
import tensorflow as tf

__all__ = ["CLIP_MEAN", "CLIP_STD", "bicubic_matrix", "center_crop_offset", "clip_preprocess",
           "preprocess_pil", "resized_shape"]

# OpenAI CLIP `_transform`: Normalize((0.48145466, 0.4578275, 0.40821073), (0.26862954, ...)).
CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)

CUBIC_A = -0.75  # PyTorch's upsample_bicubic2d (and OpenCV's) cubic convolution constant


def resized_shape(height, width, size):
    """(new_height, new_width) of torchvision's `Resize(size)` with an int `size`.

    The short side becomes `size`, the long side `int(size * long / short)` (truncated).
    """
    if height <= 0 or width <= 0 or size <= 0:
        raise ValueError(f"resized_shape: sizes must be positive, got {height}x{width} -> {size}")
    if width <= height:
        return int(size * height / width), size
    return size, int(size * width / height)


def center_crop_offset(length, crop):
    """torchvision's CenterCrop offset: `int(round((length - crop) / 2))` (round half to even)."""
    if crop > length:
        raise ValueError(f"center_crop_offset: crop {crop} is larger than the image side {length}")
    return int(round((length - crop) / 2.0))


def _cubic_weights(t, a=CUBIC_A):
    """The four float32 weights of taps -1, 0, 1, 2 at fraction t, as PyTorch's
    `get_cubic_upsample_coefficients` (the last one from `(1 - t) + 1`)."""
    f = np.float32
    a = f(a)

    def near(x):  # cubic_convolution1, |x| <= 1
        return ((a + f(2)) * x - (a + f(3))) * x * x + f(1)

    def far(x):  # cubic_convolution2, 1 < |x| < 2
        return ((a * x - f(5) * a) * x + f(8) * a) * x - f(4) * a

    t = t.astype(f)
    t2 = f(1) - t
    return np.stack([far(t + f(1)), near(t), near(t2), far(t2 + f(1))], axis=-1)


def bicubic_matrix(in_size, out_size):
    """[out_size, in_size] float32 matrix of `F.interpolate(mode='bicubic',
    align_corners=False)` (no antialiasing) along one axis; rows sum to 1.

    Source position of output i: `(in / out) * (i + 0.5) - 0.5`; taps floor(x) - 1 ... floor(x) + 2,
    clamped to [0, in_size - 1] (weights of clamped taps add up on the border pixel). As in
    torch 1.7's kernel on float32 images, the scale, position and weights are float32 (float32
    positions are off by up to ~1e-5 pixel at index 255, which shows at the 1e-5 level).
    """
    f = np.float32
    scale = f(in_size) / f(out_size)
    src = (np.float64(scale) * (np.arange(out_size) + 0.5) - 0.5).astype(f)
    base = np.floor(src)
    weights = _cubic_weights(src - base)  # [out, 4]
    taps = np.clip(base[:, None].astype(np.int64) + np.arange(-1, 3)[None, :], 0, in_size - 1)
    mat = np.zeros((out_size, in_size), f)
    np.add.at(mat, (np.repeat(np.arange(out_size), 4), taps.ravel()), weights.ravel())
    return mat


def _resize_crop_matrices(height, width, size):
    """Row-cropped resampling matrices [size, height] and [size, width]."""
    new_h, new_w = resized_shape(height, width, size)
    top, left = center_crop_offset(new_h, size), center_crop_offset(new_w, size)
    rows = bicubic_matrix(height, new_h)[top:top + size]
    cols = bicubic_matrix(width, new_w)[left:left + size]
    return rows, cols


def clip_preprocess(images, size=224, mean=CLIP_MEAN, std=CLIP_STD):
    """The reference's `CLIPLoss.preprocess` on GAN output, differentiable.

    Args:
        images: [B, H, W, 3] float images in [-1, 1] (NHWC); H and W must be static.
        size: CLIP's input resolution (224 for ViT-B/32 and ViT-B/16).
        mean: Per-channel mean of the final normalisation.
        std: Per-channel standard deviation of the final normalisation.

    Returns:
        [B, size, size, 3] float32: `(bicubic_crop((images + 1) / 2) - mean) / std`.
    """
    images = tf.convert_to_tensor(images)
    if images.shape.rank != 4 or images.shape[1] is None or images.shape[2] is None:
        raise ValueError("clip_preprocess: images must be [B, H, W, C] with static H and W, "
                         f"got shape {images.shape}")
    channels = images.shape[3]
    if channels is not None and channels != len(mean):
        raise ValueError(f"clip_preprocess: images have {channels} channels, "
                         f"mean/std have {len(mean)}")
    rows, cols = _resize_crop_matrices(int(images.shape[1]), int(images.shape[2]), int(size))
    x = (tf.cast(images, tf.float32) + 1.0) / 2.0  # Normalize(mean=-1, std=2)
    x = tf.einsum("oh,bhwc->bowc", tf.constant(rows), x)
    x = tf.einsum("pw,bowc->bopc", tf.constant(cols), x)
    return (x - tf.constant(mean, tf.float32)) / tf.constant(std, tf.float32)


def preprocess_pil(image, size=224, mean=CLIP_MEAN, std=CLIP_STD):
    """CLIP's PIL preprocessing `_transform(size)` of one image (not differentiable).

    Resize(size, BICUBIC) with PIL's `Image.resize` (antialiased), CenterCrop(size),
    convert("RGB"), ToTensor (/255), Normalize(mean, std); as the reference's
    `compute_img2img_direction` applies it to each `--style_img_dir` file.

    Args:
        image: A path (str or path-like) or a `PIL.Image.Image`.
        size: CLIP's input resolution.
        mean: Per-channel mean of the final normalisation.
        std: Per-channel standard deviation of the final normalisation.

    Returns:
        [size, size, 3] float32 array (HWC).
    """
    from PIL import Image

    if isinstance(image, Image.Image):
        img = image
    else:
        try:
            with Image.open(image) as opened:
                opened.load()
                img = opened.copy()
        except OSError as e:
            raise ValueError(f"preprocess_pil: cannot read image file {image}: {e}") from e
    width, height = img.size
    new_h, new_w = resized_shape(height, width, size)
    if (new_h, new_w) != (height, width):
        img = img.resize((new_w, new_h), Image.BICUBIC)
    top, left = center_crop_offset(new_h, size), center_crop_offset(new_w, size)
    img = img.crop((left, top, left + size, top + size)).convert("RGB")
    x = np.asarray(img, dtype=np.uint8).astype(np.float32) / np.float32(255)
    return (x - np.asarray(mean, np.float32)) / np.asarray(std, np.float32)
