"""Shared pytest setup: CPU-only by default, quiet TF logs, `gpu` tests skipped without a GPU,
and a summary line saying whether the compiled custom ops were tested."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402


def pytest_collection_modifyitems(config, items):
    if tf.config.list_physical_devices("GPU"):
        return
    skip_gpu = pytest.mark.skip(reason="needs a CUDA GPU (none visible)")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip_gpu)


def custom_op_outcomes(reports):
    """{nodeid: "tested" or why not} of the tests that asked for the custom ops."""
    outcomes = {}
    for report in reports:
        for key, value in getattr(report, "user_properties", ()):
            if key == "custom_ops":
                outcomes[report.nodeid] = value
    return outcomes


def pytest_terminal_summary(terminalreporter):
    """One line after every run that collected custom-op tests: how many ran on the compiled
    kernels, or, loudly, that they did not run and why (the pure-TF reference ops were
    tested instead)."""
    reports = [r for key in ("passed", "failed", "skipped", "error")
               for r in terminalreporter.stats.get(key, ())]
    outcomes = custom_op_outcomes(reports)
    if not outcomes:
        return
    problems = sorted({v for v in outcomes.values() if v != "tested"})
    tested = sum(v == "tested" for v in outcomes.values())
    if not problems:
        terminalreporter.write_line(f"custom ops: the compiled kernels were tested ({tested} "
                                    "tests)", green=True)
        return
    terminalreporter.write_line(
        f"custom ops: NOT TESTED ({len(outcomes) - tested} tests skipped): {problems[0]} -- run "
        "`python tools/build_ops.py` (needs g++); TFGAN_FS_REQUIRE_CUSTOM_OPS=1 makes this a "
        "failure", red=True, bold=True)
