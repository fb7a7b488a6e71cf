"""Converting generator outputs to uint8 and writing images and image grids."""

import os
import pathlib

import numpy as np
import PIL.Image


def to_uint8(images):
    """Maps float images in [-1, 1] to uint8 as the reference does: clip(x * 127.5 + 128)."""
    images = np.asarray(images, np.float32)
    return np.clip(images * 127.5 + 128, 0, 255).astype(np.uint8)


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
