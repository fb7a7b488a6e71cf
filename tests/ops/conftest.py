"""Fixtures for the custom-op tests: the compiled library, built once per session (cached)."""

import os

import pytest

from tfgan_fs.ops import build, loader


@pytest.fixture(scope="session")
def loaded_custom_ops():
    """(the loaded custom ops, None) or (None, why they cannot be built), once per session."""
    ops = loader.load_custom_ops()
    if not ops.loaded:
        try:
            build.build(build.plan(log=lambda msg: None), log=lambda msg: None)
        except build.BuildError as err:
            return None, str(err)
        loader.load_custom_ops.cache_clear()
        ops = loader.load_custom_ops()
    assert ops.loaded, ops.error
    return ops, None


@pytest.fixture
def custom_ops(loaded_custom_ops, request):
    """The loaded custom ops, built with `tfgan_fs.ops.build` if the cache lacks them.

    Skips the test when they cannot be built (no C++ compiler) unless
    TFGAN_FS_REQUIRE_CUSTOM_OPS=1 (as on CI), where that is a failure. Either way the test is
    marked (`custom_ops` user property) for the run's summary line (tests/conftest.py).
    """
    ops, problem = loaded_custom_ops
    request.node.user_properties.append(("custom_ops", problem or "tested"))
    if problem is not None:
        if os.environ.get("TFGAN_FS_REQUIRE_CUSTOM_OPS") == "1":
            pytest.fail(f"custom ops failed to build: {problem}")
        pytest.skip(f"custom ops cannot be built here: {problem}")
    return ops
