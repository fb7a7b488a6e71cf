"""Shared fixtures of the converter tests: official outputs and converted fixture networks."""

import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(__file__))

from pickle_builders import FIXTURES, tf1_networks, write_tf1_pickle  # noqa: E402

from tfgan_fs.convert import convert_pickle  # noqa: E402


@pytest.fixture(scope="session")
def official():
    """Outputs of the official code ('<case>/<key>', see fixtures/README.md)."""
    with np.load(os.path.join(FIXTURES, "outputs.npz")) as data:
        return {key: data[key] for key in data.files}


@pytest.fixture(scope="session")
def tf1_pickle(tmp_path_factory):
    path = tmp_path_factory.mktemp("tf1") / "tf1_cond16.pkl"
    write_tf1_pickle(path, tf1_networks())
    return path


@pytest.fixture(scope="session")
def converted(tf1_pickle):
    """{case: ConvertedNetworks} for the three fixture networks (converted once)."""
    sources = {"pt_uncond32": os.path.join(FIXTURES, "pt_uncond32.pkl"),
               "pt_cond16": os.path.join(FIXTURES, "pt_cond16.pkl"),
               "tf1_cond16": tf1_pickle}
    return {case: convert_pickle(path, log=lambda *args: None) for case, path in sources.items()}
