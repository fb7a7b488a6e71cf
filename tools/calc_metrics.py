"""Compute quality metrics of a trained generator (G_ema of a run or checkpoint).

Example:
    python tools/calc_metrics.py --metrics=fid50k_full,kid50k_full \
        --network=training-runs/00003-afhqcat-mirror-paper512 \
        --inception=weights/classify_image_graph_def.pb

Few-shot runs: the training images are the run's first --max_images of --data; FID/KID/PR can
compare with a separate full real set instead (--metric_data, default: the run's).

Prints one JSON line per metric and appends it to the run directory's metric-<name>.jsonl.
Real-data statistics are cached (--cache_dir) and reused while the dataset and the feature
network are unchanged. Weight files: see README.md, "Metrics".
"""

import os
import pathlib
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
REPO_ROOT = pathlib.Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from absl import app  # noqa: E402
from absl import flags  # noqa: E402

from tfgan_fs.cli.errors import fail  # noqa: E402
from tfgan_fs.cli import metric_flags  # noqa: E402

FLAGS = flags.FLAGS
flags.DEFINE_string("network", None, "Run directory or checkpoint to evaluate (its G_ema).")
flags.DEFINE_string("data", None, "Dataset of the training images (default: the run's --data).")
flags.DEFINE_integer("max_images", None, "The run's training images: the first N of --data, "
                     "which the few-shot metrics (nn_*, intra_*) compare samples with "
                     "(default: the run's).")
flags.DEFINE_integer("batch", 64, "Images per feature-extraction batch (all replicas).")
flags.DEFINE_integer("seed", 0, "Seed of the generated samples.")
metric_flags.define_metric_flags(default_metrics="fid50k_full")
flags.adopt_module_key_flags(metric_flags)  # list them under --help too
flags.mark_flags_as_required(["network"])


def main(argv):
    if len(argv) > 1:
        fail(f"unexpected arguments {argv[1:]}")
    from absl import logging
    logging.set_verbosity(logging.WARNING)

    from tfgan_fs.cli.metric_flags import metric_setup
    from tfgan_fs.data import DatasetError, open_dataset
    from tfgan_fs.metrics.metric_main import (MetricContext, calc_metric, open_metric_data,
                                              report_metric)
    from tfgan_fs.metrics.weights import MissingWeightsError
    from tfgan_fs.training import checkpoints
    from tfgan_fs.training.options import TrainingOptions
    from tfgan_fs.training.strategy import make_strategy

    try:
        ckpt = checkpoints.find_checkpoint(FLAGS.network)
        run_dir = ckpt.parent.parent
        options_path = run_dir / "training_options.json"
        options = (TrainingOptions.from_json(options_path.read_text())
                   if options_path.exists() else None)
        data_spec = FLAGS.data or (options.data if options else None)
        if data_spec is None:
            why = ("its run trained on no dataset (--method=nada): give the real images of the "
                   "target domain" if options else "the network has no training_options.json "
                   "to take it from")
            fail(f"--data is required: {why}")
        max_images = FLAGS.max_images if FLAGS.max_images is not None else (
            options.max_images if options else None)
        specs, detectors, cache = metric_setup(FLAGS)
        if not specs:
            fail("--metrics is empty")
        data = open_dataset(data_spec)
        strategy = make_strategy("auto")
        with strategy.scope():
            G = checkpoints.load_network(ckpt, "G_ema")
        if (G.img_resolution, G.img_channels) != (data.info.resolution, data.info.channels):
            fail(f"--data {data_spec} has {data.info.resolution}x{data.info.resolution}x"
                 f"{data.info.channels} images but the network generates {G.img_resolution}x"
                 f"{G.img_resolution}x{G.img_channels}")
        metric_data_spec = FLAGS.metric_data or (options.metric_data if options else None)
        ctx = MetricContext(data=data, data_spec=data_spec, detectors=detectors,
                            strategy=strategy, cache=cache, batch_size=FLAGS.batch,
                            max_images=max_images, seed=FLAGS.seed,
                            metric_data=open_metric_data(metric_data_spec, data.info),
                            metric_data_spec=metric_data_spec)
        for spec in specs:
            result = calc_metric(spec.name, G, ctx)
            print(report_metric(result, run_dir=run_dir, network=ckpt))
    except (checkpoints.CheckpointError, DatasetError, MissingWeightsError, ValueError) as err:
        fail(str(err))


if __name__ == "__main__":
    app.run(main)
