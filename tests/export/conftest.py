"""Session fixtures of the export tests: a tiny trained run and its export by tools/export.py."""

import os
import pathlib
import subprocess
import sys

import pytest
from export_fixtures import save_tiny_run

REPO = pathlib.Path(__file__).resolve().parents[2]
EXPORT = str(REPO / "tools" / "export.py")
GENERATE = str(REPO / "tools" / "generate.py")
MAX_BATCH = 4
C_DIM = 3


def run_tool(args, timeout=300):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.run([sys.executable] + [str(a) for a in args], env=env,
                          capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory):
    """(run directory, method) of a tiny trained conditional generator (c_dim=3, 16 px)."""
    run_dir = tmp_path_factory.mktemp("export") / "run"
    return run_dir, save_tiny_run(run_dir, c_dim=C_DIM)


@pytest.fixture(scope="session")
def exported(tiny_run):
    """TF Serving base directory with version 1 of the tiny run, written by tools/export.py."""
    run_dir, _ = tiny_run
    base = run_dir.parent / "models" / "G"
    result = run_tool([EXPORT, f"--network={run_dir}", f"--outdir={base}",
                       f"--max_batch={MAX_BATCH}"])
    assert result.returncode == 0, result.stderr
    assert f"to {base / '1'}" in result.stdout
    return base
