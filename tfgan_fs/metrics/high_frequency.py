"""High-frequency energy of images: a cheap detector of speckle and noise artefacts.

E(X) = mean over images, pixels and channels of (L x)^2, with L the 5-point discrete Laplacian
(4 x[i, j] - x[i-1, j] - x[i+1, j] - x[i, j-1] - x[i, j+1], interior pixels, images in
[-1, 1]). `hf_ratio` = E(generated) / E(real): about 1 for samples as sharp as the data, well
above 1 for speckle (per-pixel noise has E about 20 sigma^2), below 1 for blur. A pixel-diversity
metric can be raised by noise; this one is raised only by it, so the two read together.
"""

import numpy as np

CHUNK = 256  # images per NumPy pass (bounded memory)


def laplacian_energy(images):
    """Mean squared 5-point Laplacian of images [N, H, W, C] (float, [-1, 1])."""
    total, count = 0.0, 0
    for start in range(0, len(images), CHUNK):
        x = np.asarray(images[start:start + CHUNK], np.float64)
        lap = (4 * x[:, 1:-1, 1:-1] - x[:, :-2, 1:-1] - x[:, 2:, 1:-1]
               - x[:, 1:-1, :-2] - x[:, 1:-1, 2:])
        total += float(np.sum(lap ** 2))
        count += lap.size
    if count == 0:
        raise ValueError("high-frequency energy needs images of at least 3x3 pixels")
    return total / count


def high_frequency_ratio(generated, real):
    """E(generated) / E(real) (see the module docstring)."""
    reference = laplacian_energy(real)
    if reference == 0:
        raise ValueError("the real images have no high-frequency energy (constant images)")
    return laplacian_energy(generated) / reference
