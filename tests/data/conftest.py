"""Fixtures for the data tests: tiny image folders in tmp dirs."""

import os

import numpy as np
import pytest
from data_fixtures import random_images
from data_fixtures import save_image


@pytest.fixture
def rgb_folder(tmp_path):
    """A folder src/ with 6 random 8x8 RGB PNGs (img0.png..img5.png); returns (root, images)."""
    root = str(tmp_path / "src")
    images = random_images(6)
    for i, image in enumerate(images):
        save_image(os.path.join(root, f"img{i}.png"), image)
    return root, images


@pytest.fixture
def class_folder(tmp_path):
    """src/{bird,cat}/... with 3 and 2 RGB 8x8 PNGs; returns (root, images, labels) sorted."""
    root = str(tmp_path / "src")
    images = random_images(5, seed=1)
    names = ["bird/a.png", "bird/b.png", "bird/sub/c.png", "cat/a.png", "cat/b.png"]
    for name, image in zip(names, images):
        save_image(os.path.join(root, name), image)
    return root, images, np.array([0, 0, 0, 1, 1])
