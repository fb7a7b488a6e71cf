"""Converting generator outputs to uint8 and writing images, image grids and animations."""

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


def save_gif(frames, path, duration_ms=50, loop=True):
    """Saves uint8 frames [F, H, W, C] (C = 1 or 3) as an animated GIF through a temporary file.

    Each frame shows for `duration_ms` (GIF stores hundredths of a second); with `loop` the
    animation repeats forever. Pillow reduces each frame to a 256-colour palette and merges
    consecutive identical frames into one longer frame.
    """
    path = pathlib.Path(path)
    frames = np.asarray(frames)
    if frames.ndim != 4 or not len(frames):
        raise ValueError(f"frames must have shape [F, H, W, C] with F >= 1, got {frames.shape}")
    if frames.shape[-1] == 1:
        frames = frames[..., 0]
    pictures = [PIL.Image.fromarray(frame) for frame in frames]
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    options = {"loop": 0} if loop else {}
    pictures[0].save(tmp, format="GIF", save_all=True, append_images=pictures[1:],
                     duration=int(duration_ms), **options)
    os.replace(tmp, path)
