"""One task of the multi-worker test: trains the tiny config with MultiWorkerMirroredStrategy.

    python multi_worker_task.py OUT_DIR   (TF_CONFIG set by the caller)

The chief trains in OUT_DIR/run (checkpoints, stats); every task writes its final weights to
OUT_DIR/weights-<task index>.npz so the test can compare the tasks.
"""

import os
import pathlib
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

import numpy as np  # noqa: E402

from multi_worker_config import DATA, STEPS, tiny_options  # noqa: E402
from tfgan_fs.data import open_dataset  # noqa: E402
from tfgan_fs.training.loop import Trainer  # noqa: E402
from tfgan_fs.training.strategy import is_chief, make_strategy  # noqa: E402


def main(out_dir):
    out_dir = pathlib.Path(out_dir)
    strategy = make_strategy("multi_worker", collective_timeout=120)
    options = tiny_options(strategy.num_replicas_in_sync)
    chief = is_chief(strategy)
    run_dir = out_dir / ("run" if chief else f"scratch-{strategy.cluster_resolver.task_id}")
    run_dir.mkdir(parents=True, exist_ok=True)
    trainer = Trainer(options, run_dir, open_dataset(DATA), strategy=strategy)
    trainer.run()
    assert int(trainer.progress.step.numpy()) == STEPS
    weights = {f"{name}/{v.path}": v.numpy() for name, net in trainer.method.networks.items()
               for v in net.weights}
    weights["augment/p"] = trainer.method.augment_pipe.p.numpy()
    np.savez(out_dir / f"weights-{strategy.cluster_resolver.task_id}.npz", **weights)


if __name__ == "__main__":
    main(sys.argv[1])
