"""MultiWorkerMirroredStrategy across two processes on 127.0.0.1 (CPU): the workers stay in
sync, the run equals the single-process run, the chief's checkpoint resumes, and a crashed
worker stops the run with a clear error instead of a hang."""

import json
import os
import pathlib
import signal
import socket
import subprocess
import sys
import time

import numpy as np
import pytest

from multi_worker_config import DATA, STEPS, tiny_options
from tfgan_fs.data import open_dataset
from tfgan_fs.runs import checkpoints
from tfgan_fs.training.loop import Trainer

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parent.parent


def free_ports(n):
    socks = [socket.socket() for _ in range(n)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


def worker_env(ports, index):
    env = dict(os.environ, PYTHONPATH=str(REPO), CUDA_VISIBLE_DEVICES="",
               TF_CONFIG=json.dumps({"cluster": {"worker": [f"127.0.0.1:{p}" for p in ports]},
                                     "task": {"type": "worker", "index": index}}))
    return env


def start_workers(command, ports, cwd, log_dir):
    procs = []
    for index in range(len(ports)):
        log = open(log_dir / f"worker{index}.log", "w")
        procs.append(subprocess.Popen(command, cwd=cwd, env=worker_env(ports, index),
                                      stdout=log, stderr=subprocess.STDOUT))
    return procs


def wait_all(procs, timeout):
    deadline = time.time() + timeout
    try:
        return [p.wait(timeout=max(deadline - time.time(), 1)) for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()


def network_weights(trainer):
    weights = {f"{name}/{v.path}": v.numpy() for name, net in trainer.method.networks.items()
               for v in net.weights}
    weights["augment/p"] = trainer.method.augment_pipe.p.numpy()
    return weights


def test_two_workers_agree_match_one_process_and_resume(tmp_path):
    ports = free_ports(2)
    procs = start_workers([sys.executable, str(HERE / "multi_worker_task.py"), str(tmp_path)],
                          ports, tmp_path, tmp_path)
    # Meanwhile, the same run in this process on one replica.
    single = Trainer(tiny_options(1), tmp_path / "single", open_dataset(DATA),
                     log=lambda *a: None)
    (tmp_path / "single").mkdir()
    single.run()
    codes = wait_all(procs, timeout=300)
    logs = "\n".join((tmp_path / f"worker{i}.log").read_text() for i in range(2))
    assert codes == [0, 0], logs

    w0 = dict(np.load(tmp_path / "weights-0.npz"))
    w1 = dict(np.load(tmp_path / "weights-1.npz"))
    want = network_weights(single)
    assert set(w0) == set(w1) == set(want)
    # Exact: with two workers every all-reduced value is a + b on one and b + a on the other
    # (IEEE addition commutes), and both then apply the same update to the same values.
    for name in want:
        np.testing.assert_array_equal(w0[name], w1[name], err_msg=f"workers differ: {name}")
    # Against one process: float rounding differs (gradients are summed in another order) and
    # Adam turns a rounding-level gradient into a step of up to lr, so a few near-zero-gradient
    # entries may move by ~lr; everything else agrees to 1e-4.
    lr = tiny_options(1).config.G_opt.lr
    diffs = np.concatenate([np.abs(w0[k] - want[k]).ravel() for k in want])
    assert np.mean(diffs > 1e-4) < 0.005 and diffs.max() < 2 * lr * (STEPS + 1), diffs.max()
    assert w0["augment/p"] == pytest.approx(want["augment/p"], abs=1e-6)
    assert w0["augment/p"] != pytest.approx(0.3)  # ADA moved p from the reduced sign stats
    # The statistics of the tick (losses, R1, path length, signs) are reduced over all replicas.
    def ticks(run_dir):
        return [json.loads(line) for line in (run_dir / "stats.jsonl").read_text().splitlines()]

    chief_ticks, single_ticks = ticks(tmp_path / "run"), ticks(tmp_path / "single")
    assert len(chief_ticks) == len(single_ticks) == 2  # after the first step, and at the end
    assert {"Loss/r1_penalty", "Loss/pl_penalty", "Loss/signs/real"} <= set(single_ticks[0])
    for chief_tick, single_tick in zip(chief_ticks, single_ticks):
        for key in [k for k in single_tick if k.startswith("Loss/")]:
            assert chief_tick[key] == pytest.approx(single_tick[key], rel=1e-3, abs=1e-5), key

    # Only the chief wrote a run directory; its checkpoint restores these weights exactly.
    assert not list(tmp_path.glob("scratch-1/checkpoints/ckpt-*"))
    ckpt = checkpoints.find_checkpoint(tmp_path / "run")
    restored = Trainer(tiny_options(1), tmp_path / "restored", open_dataset(DATA),
                       resume=ckpt, log=lambda *a: None)
    assert int(restored.progress.step.numpy()) == STEPS
    for name, value in network_weights(restored).items():
        np.testing.assert_array_equal(value, w0[name], err_msg=name)


def test_killed_worker_stops_the_run_with_a_clear_error(tmp_path):
    ports = free_ports(2)
    command = [sys.executable, str(REPO / "tools" / "train.py"), "--strategy=multi_worker",
               f"--data={DATA}", "--batch=8", "--cbase=128", "--cmax=8", "--map=1",
               "--mbstd_group=2", "--kimg=1000", "--tick=0.008", "--snap=1000", "--aug=noaug",
               f"--outdir={tmp_path / 'runs'}"]
    procs = start_workers(command, ports, tmp_path, tmp_path)
    chief_log = tmp_path / "worker0.log"
    deadline = time.time() + 240
    while "tick 1 " not in chief_log.read_text() and time.time() < deadline:
        assert procs[0].poll() is None, chief_log.read_text()
        time.sleep(1)
    assert "tick 1 " in chief_log.read_text(), chief_log.read_text()
    procs[1].send_signal(signal.SIGKILL)
    code = wait_all(procs[:1], timeout=120)[0]  # (a chief that hangs raises TimeoutExpired)
    log = chief_log.read_text()
    assert code != 0, log
    assert "stopped or became unreachable" in log and "--resume" in log, log
    assert len(list((tmp_path / "runs").iterdir())) == 1  # only the chief made a run dir
