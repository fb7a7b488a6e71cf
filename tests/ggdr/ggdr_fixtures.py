"""Paths of the official GGDR fixtures (see fixtures/README.md) for the tests of this folder."""

import os

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")
CASES = ["ggdr_uncond32", "ggdr_cond16"]


def fixture_path(name):
    return os.path.join(FIXTURES, name)
