"""The run's summary line about the custom ops (tests/conftest.py): a run whose custom-op tests
could not build the kernels says so loudly, naming why, instead of skipping silently."""

import os
import pathlib
import subprocess
import sys

REPO = pathlib.Path(__file__).resolve().parents[2]


def test_a_failed_build_is_reported_in_the_summary(tmp_path):
    env = {**os.environ, "TFGAN_FS_OPS_CACHE": str(tmp_path / "cache"),
           "CXX": "/nonexistent/g++", "TF_CPP_MIN_LOG_LEVEL": "3"}
    env.pop("TFGAN_FS_REQUIRE_CUSTOM_OPS", None)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         "tests/ops/test_custom_bias_act.py::test_unsupported_arguments"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert ("custom ops: NOT TESTED (1 tests skipped): C++ compiler '/nonexistent/g++' not "
            "found") in result.stdout, result.stdout
    # And with TFGAN_FS_REQUIRE_CUSTOM_OPS=1 (as .ci/run) the same run fails.
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         "tests/ops/test_custom_bias_act.py::test_unsupported_arguments"],
        cwd=REPO, env={**env, "TFGAN_FS_REQUIRE_CUSTOM_OPS": "1"}, capture_output=True,
        text=True, timeout=300)
    assert result.returncode == 1 and "custom ops failed to build" in result.stdout
