"""Shared NADA fixtures: a tiny keras-hub CLIP preset folder and a tiny source generator run."""

import pathlib
import sys

import keras
import numpy as np
import pytest

sys.path.insert(0, str(pathlib.Path(__file__).parent))

from tiny_clip import make_tiny_clip_preset  # noqa: E402

from tfgan_fs.convert import ConvertedNetworks  # noqa: E402
from tfgan_fs.networks import Generator  # noqa: E402
from tfgan_fs.runs import checkpoints  # noqa: E402

SOURCE_KWARGS = dict(z_dim=16, w_dim=16, c_dim=0, img_resolution=16, img_channels=3,
                     mapping_kwargs=dict(num_layers=2),
                     synthesis_kwargs=dict(channel_base=128, channel_max=16))


def make_source_generator(seed=0, **overrides):
    keras.utils.set_random_seed(seed)
    G = Generator(**{**SOURCE_KWARGS, **overrides}, name="G_ema")
    G(np.zeros([1, G.z_dim], np.float32), np.zeros([1, G.c_dim], np.float32))
    # Noise strengths start at 0; a trained generator's are not, and they make the frozen and
    # adapted images differ at step 0 (each draws its own noise) as with a real source. With
    # identical images the edit direction of the +1e-6 re-encoding is rounding noise.
    for v in G.weights:
        if v.name == "noise_strength":
            v.assign(0.1)
    return G


@pytest.fixture(scope="session")
def tiny_clip(tmp_path_factory):
    """A local keras-hub CLIP preset folder (random weights, character vocabulary)."""
    return str(make_tiny_clip_preset(tmp_path_factory.mktemp("clip") / "tiny_clip"))


@pytest.fixture(scope="session")
def source_run(tmp_path_factory):
    """A run directory holding a tiny 16x16 generator as G_ema (what convert_pkl writes)."""
    run = tmp_path_factory.mktemp("source") / "source16"
    G = make_source_generator()
    checkpoints.RunState(ConvertedNetworks({"G_ema": G}, {}), checkpoints.Progress()).save(
        run / "checkpoints")
    return str(run)
