"""Crop and resize transforms of the dataset tool (PIL images in, PIL images out).

`center-crop-wide` follows the intent of NVlabs' transform of the same name: crop the largest
centred region with the target aspect ratio, resize it to width x height, and paste it centred on
a black width x width canvas; images smaller than the target are dropped rather than upscaled.
The dataset tool only makes square datasets (width = height = resolution), where this is
`center-crop` except that too-small images are dropped. (NVlabs' code computes the crop height
from the *target* width instead of the image width, which distorts images whose width differs
from the target; that slip is not reproduced.)
"""

import PIL.Image

TRANSFORMS = ("none", "center-crop", "center-crop-wide")
RESIZE_FILTERS = {"box": PIL.Image.BOX, "lanczos": PIL.Image.LANCZOS}


def _crop_centre(image, crop_w, crop_h):
    w, h = image.size
    left, top = (w - crop_w) // 2, (h - crop_h) // 2
    return image.crop((left, top, left + crop_w, top + crop_h))


def _resize(image, width, height, resample):
    if image.size == (width, height):
        return image
    return image.resize((width, height), resample)


def center_crop(image, resolution, resample):
    """Crops the centred square of side min(width, height), then resizes it.

    Args:
        image: A PIL image.
        resolution: Output side, or None to keep the crop's size.
        resample: A PIL resampling filter.

    Returns:
        The square PIL image.
    """
    side = min(image.size)
    image = _crop_centre(image, side, side)
    if resolution is None:
        return image
    return _resize(image, resolution, resolution, resample)


def center_crop_wide(image, width, height, resample):
    """Crops to the aspect width:height, resizes to width x height, centres on a square canvas.

    Args:
        image: A PIL image.
        width: Output width (and canvas side).
        height: Output height of the pasted image (<= width).
        resample: A PIL resampling filter.

    Returns:
        A width x width PIL image, or None when the image is smaller than the target.
    """
    w, h = image.size
    if w * height >= h * width:  # Wider than the target: crop columns.
        crop_w, crop_h = int(round(h * width / height)), h
    else:  # Taller: crop rows.
        crop_w, crop_h = w, int(round(w * height / width))
    if crop_w < width or crop_h < height:
        return None
    image = _resize(_crop_centre(image, crop_w, crop_h), width, height, resample)
    if height == width:
        return image
    canvas = PIL.Image.new(image.mode, (width, width))
    canvas.paste(image, (0, (width - height) // 2))
    return canvas


def apply_transform(image, transform, resolution, resize_filter):
    """Applies one of `TRANSFORMS`.

    Args:
        image: A PIL image.
        transform: 'none' (returned unchanged; the caller checks its size), 'center-crop' or
            'center-crop-wide' (needs `resolution`).
        resolution: Target side, or None (center-crop keeps the crop's size).
        resize_filter: A key of `RESIZE_FILTERS`.

    Returns:
        The transformed PIL image, or None when center-crop-wide drops a too-small image.
    """
    resample = RESIZE_FILTERS[resize_filter]
    if transform == "none":
        return image
    if transform == "center-crop":
        return center_crop(image, resolution, resample)
    if transform == "center-crop-wide":
        return center_crop_wide(image, resolution, resolution, resample)
    raise ValueError(f"unknown transform {transform!r}")
