"""Export G_ema of a run or checkpoint as a SavedModel for TF Serving.

Example:
    python tools/export.py --network=training-runs/00000-shapes32-auto1 --outdir=models/G
    tensorflow_model_server --rest_api_port=8501 --model_name=G \
        --model_base_path=$PWD/models/G

Writes OUTDIR/<version>/saved_model.pb (+ variables/) atomically, with the signatures
serving_default (z, truncation_psi[, c] -> images uint8, images_float), from_seeds,
mapping and synthesis; see README.md, "Serving with TF Serving". The export contains stock
TensorFlow ops only.
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

FLAGS = flags.FLAGS
flags.DEFINE_string("network", None, "Run directory or checkpoint directory to export G_ema of.")
flags.DEFINE_string("outdir", None, "TF Serving model base directory (the version goes below).")
flags.DEFINE_integer("version", 1, "Version number: the export is written to OUTDIR/<version>.")
flags.DEFINE_integer("max_batch", 64, "Largest batch a request may have.")
flags.DEFINE_boolean("force_fp32", False, "Compute every layer in float32 (ignore the float16 "
                     "top layers of the training config; portable, slower on GPUs).")
flags.DEFINE_boolean("overwrite", False, "Replace OUTDIR/<version> if it exists.")
flags.mark_flags_as_required(["network", "outdir"])


def main(argv):
    if len(argv) > 1:
        fail(f"unexpected arguments {argv[1:]}")
    if FLAGS.version < 0:
        fail(f"--version must be >= 0, got {FLAGS.version}")
    if FLAGS.max_batch < 1:
        fail(f"--max_batch must be >= 1, got {FLAGS.max_batch}")
    if not os.path.exists(FLAGS.network):  # before the slow TensorFlow import
        fail(f"--network: {FLAGS.network} does not exist")
    from absl import logging
    logging.set_verbosity(logging.WARNING)

    from tfgan_fs.export import ExportError, check_destination, export_generator
    from tfgan_fs.training.checkpoints import CheckpointError

    try:
        check_destination(FLAGS.outdir, FLAGS.version, FLAGS.overwrite)
    except ExportError as err:
        fail(f"--outdir: {err}")
    try:
        path, ckpt = export_generator(FLAGS.network, FLAGS.outdir, version=FLAGS.version,
                                      max_batch=FLAGS.max_batch, force_fp32=FLAGS.force_fp32,
                                      overwrite=FLAGS.overwrite)
    except CheckpointError as err:
        fail(f"--network: {err}")
    except ExportError as err:
        fail(f"--outdir: {err}")
    print(f"Exported G_ema of {ckpt} to {path}")


if __name__ == "__main__":
    app.run(main)
