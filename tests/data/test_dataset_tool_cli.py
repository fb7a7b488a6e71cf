"""tools/dataset_tool.py as a subprocess: exit status 0 with a summary, 1 with `error:`."""

import os
import subprocess
import sys

import numpy as np
import pytest
from data_fixtures import random_images
from data_fixtures import save_image

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture(scope="module")
def cli_runs(tmp_path_factory):
    """Runs a failing and a succeeding conversion concurrently (each pays TF's import time)."""
    tmp = tmp_path_factory.mktemp("cli")
    for i, image in enumerate(random_images(3)):
        save_image(str(tmp / "src" / f"{i}.png"), image)
    save_image(str(tmp / "bad" / "wide.png"), np.zeros((8, 16, 3)))
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    cmd = [sys.executable, "tools/dataset_tool.py", "--noprogress"]
    procs = {
        "ok": subprocess.Popen(cmd + [f"--source={tmp / 'src'}", f"--dest={tmp / 'out'}"],
                               cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True),
        "bad": subprocess.Popen(cmd + [f"--source={tmp / 'bad'}", f"--dest={tmp / 'out2'}"],
                                cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True),
    }
    results = {k: (p.communicate(timeout=120), p.returncode) for k, p in procs.items()}
    return tmp, results


def test_cli_success(cli_runs):
    tmp, results = cli_runs
    (stdout, stderr), rc = results["ok"]
    assert rc == 0, stderr
    assert stdout.strip().splitlines() == [f"wrote 3 images (8x8x3, unlabeled) to {tmp / 'out'}"]
    assert os.path.isfile(tmp / "out" / "dataset.json")


def test_cli_error(cli_runs):
    tmp, results = cli_runs
    (stdout, stderr), rc = results["bad"]
    assert rc == 1
    assert f"error: {tmp / 'bad' / 'wide.png'}: image is 16x8" in stderr
    assert "Traceback" not in stderr
    assert not os.path.exists(tmp / "out2")
