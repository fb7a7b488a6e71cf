"""Speed measurements that print numbers (never timed tests).

    python tools/benchmark.py --op=augment --res=256 --batch=32 --augpipe=bgc --p=1

prints one JSON line: the op, its settings, ms per call and images per second, measured after a
warm-up on whatever device TensorFlow picks.
"""

import json
import os
import pathlib
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
REPO_ROOT = pathlib.Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from absl import app  # noqa: E402
from absl import flags  # noqa: E402

from tfgan_fs.cli.errors import fail  # noqa: E402

FLAGS = flags.FLAGS
flags.DEFINE_enum("op", "augment", ["augment"], "What to measure: augment = the ADA "
                  "augmentation pipe (forward) on random images.")
flags.DEFINE_integer("res", 256, "Image resolution.")
flags.DEFINE_integer("batch", 32, "Batch size.")
flags.DEFINE_string("augpipe", "bgc", "AugmentPipe preset (--op=augment).")
flags.DEFINE_float("p", 1.0, "Augmentation probability (--op=augment).")
flags.DEFINE_integer("warmup", 2, "Untimed calls before measuring.")
flags.DEFINE_integer("iters", 10, "Timed calls.")


def measure(fn, warmup, iters):
    """Seconds per call of `fn` (which returns a tensor), after `warmup` calls."""
    for i in range(warmup):
        fn(i).numpy()
    start = time.perf_counter()
    for i in range(iters):
        fn(warmup + i).numpy()
    return (time.perf_counter() - start) / iters


def benchmark_augment():
    import tensorflow as tf
    from tfgan_fs.augment import AugmentPipe, augpipe_kwargs

    pipe = AugmentPipe(**augpipe_kwargs(FLAGS.augpipe), initial_p=FLAGS.p)
    images = tf.random.uniform([FLAGS.batch, FLAGS.res, FLAGS.res, 3], -1, 1)
    run = tf.function(lambda seed: pipe(images, seed=seed))
    sec = measure(lambda i: run(tf.constant([0, i], tf.int64)), FLAGS.warmup, FLAGS.iters)
    return {"op": "augment", "augpipe": FLAGS.augpipe, "p": FLAGS.p, "res": FLAGS.res,
            "batch": FLAGS.batch, "ms_per_call": sec * 1000, "img_per_sec": FLAGS.batch / sec,
            "device": "GPU" if tf.config.list_physical_devices("GPU") else "CPU"}


def main(argv):
    if len(argv) > 1:
        fail(f"unexpected arguments {argv[1:]}")
    if FLAGS.res < 8 or FLAGS.batch < 1 or FLAGS.iters < 1:
        fail("--res must be >= 8, --batch and --iters >= 1")
    from absl import logging
    logging.set_verbosity(logging.WARNING)
    result = {"augment": benchmark_augment}[FLAGS.op]()
    print(json.dumps(result))


if __name__ == "__main__":
    app.run(main)
