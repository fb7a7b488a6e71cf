"""Converting generator outputs to uint8 and back, and writing images, grids and animations."""

import os
import pathlib

import numpy as np
import PIL.Image
import tensorflow as tf


def to_uint8_tensor(images):
    """Float images in [-1, 1] -> uint8 as the reference does: clip(x * 127.5 + 128) truncated
    (TF ops: also inside compiled functions and exported signatures)."""
    images = tf.cast(images, tf.float32)
    return tf.cast(tf.clip_by_value(images * 127.5 + 128, 0, 255), tf.uint8)


def to_uint8(images):
    """`to_uint8_tensor` of float images (array or tensor) as a NumPy array."""
    return to_uint8_tensor(images).numpy()


def to_float(images):
    """uint8 images -> float32 in [-1, 1]: x / 127.5 - 1 (NumPy)."""
    return np.asarray(images, np.float32) / 127.5 - 1


def grid_shape(resolution, max_width=3840, max_height=2160, min_size=4, max_size=16):
    """(columns, rows) of a snapshot grid: about 4K pixels wide, 4 to 16 images per side."""
    gw = int(np.clip(max_width // resolution, min_size, max_size))
    gh = int(np.clip(max_height // resolution, min_size, max_size))
    return gw, gh


def make_grid(images, columns):
    """Tiles uint8 images [N, H, W, C] into one [rows * H, columns * W, C] image.

    Missing tiles of the last row are black.
    """
    images = np.asarray(images)
    n, h, w, c = images.shape
    rows = -(-n // columns)
    padded = np.zeros([rows * columns, h, w, c], images.dtype)
    padded[:n] = images
    grid = padded.reshape(rows, columns, h, w, c).transpose(0, 2, 1, 3, 4)
    return grid.reshape(rows * h, columns * w, c)


def save_image(image, path):
    """Saves a uint8 [H, W, C] (C = 1 or 3) array as PNG through a temporary file."""
    path = pathlib.Path(path)
    image = np.asarray(image)
    if image.ndim == 3 and image.shape[-1] == 1:
        image = image[..., 0]
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    PIL.Image.fromarray(image).save(tmp, format="PNG")
    os.replace(tmp, path)


def save_gif(frames, path, duration_ms=50, loop=True):
    """Saves uint8 frames (an array [F, H, W, C] with C = 1 or 3, or any iterable of [H, W, C]
    frames, e.g. a generator) as an animated GIF through a temporary file.

    Each frame shows for `duration_ms` (GIF stores hundredths of a second); with `loop` the
    animation repeats forever. Frames are taken one at a time and reduced to palette images
    (one byte a pixel) as they come, so a long animation never holds all its RGB frames; each
    colour frame gets its own 256-colour palette by fast octree quantisation (about 40 times
    faster than Pillow's default median cut). Consecutive identical frames are merged into one
    longer frame.
    """
    path = pathlib.Path(path)
    frames = iter(frames)
    first = next(frames, None)
    if first is None:
        raise ValueError(f"{path}: no frames to write")

    def palette_image(frame):
        frame = np.asarray(frame, np.uint8)
        if frame.ndim != 3 or frame.shape[-1] not in (1, 3):
            raise ValueError(f"{path}: frames must be [H, W, 1 or 3] uint8, got {frame.shape}")
        if frame.shape[-1] == 1:
            return PIL.Image.fromarray(frame[..., 0])
        return PIL.Image.fromarray(frame).quantize(256, method=PIL.Image.Quantize.FASTOCTREE)

    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    options = {"loop": 0} if loop else {}
    try:
        palette_image(first).save(tmp, format="GIF", save_all=True, duration=int(duration_ms),
                                  append_images=(palette_image(f) for f in frames), **options)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
