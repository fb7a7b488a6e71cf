"""Helpers that write tiny image fixtures (8-32 px, PIL) for the data tests."""

import json
import os

import numpy as np
import PIL.Image


def save_image(path, array, mode=None):
    """Writes a uint8 array ([H, W], [H, W, 1], [H, W, 3] or [H, W, 4]) as an image file."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    array = np.asarray(array, np.uint8)
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    PIL.Image.fromarray(array, mode).save(path)


def random_images(n, size=8, channels=3, seed=0):
    """`n` distinct random uint8 images [n, size, size, channels]."""
    return np.random.RandomState(seed).randint(0, 256, (n, size, size, channels), np.uint8)


def write_labels_json(root, pairs):
    """Writes an NVlabs-style dataset.json with [[name, label], ...]."""
    with open(os.path.join(root, "dataset.json"), "w") as f:
        json.dump({"labels": [list(p) for p in pairs]}, f)


def listdir_sorted(path):
    """Directory entries, sorted (to check nothing else was left behind)."""
    return sorted(os.listdir(path))


