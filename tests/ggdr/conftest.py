"""Shared fixtures of the GGDR tests: the official GGDR outputs (fixtures/README.md) and the
fixture pickles converted once per session."""

import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(__file__))

from ggdr_fixtures import CASES, fixture_path  # noqa: E402

from tfgan_fs.convert import convert_pickle  # noqa: E402


def _load(name):
    with np.load(fixture_path(name)) as data:
        return {key: data[key] for key in data.files}


@pytest.fixture(scope="session")
def official():
    """outputs.npz: '<case>/<key>' (z, c, ws, img, gfeat_<res>, d_img, d_logits, dec_<res>,
    ggdr_reg)."""
    return _load("outputs.npz")


@pytest.fixture(scope="session")
def loss_data():
    return _load("loss.npz")


@pytest.fixture(scope="session")
def augment_data():
    return _load("augment.npz")


@pytest.fixture(scope="session")
def conversion_logs():
    return {}


@pytest.fixture(scope="session")
def converted(conversion_logs):
    """{case: ConvertedNetworks} of the two GGDR fixture pickles; their logs in conversion_logs."""
    out = {}
    for case in CASES:
        lines = conversion_logs.setdefault(case, [])
        out[case] = convert_pickle(fixture_path(f"{case}.pkl"),
                                   log=lambda *args, lines=lines: lines.append(" ".join(args)))
    return out
