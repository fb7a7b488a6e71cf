"""Speed measurements that print numbers (never timed tests).

    python tools/benchmark.py --op=train --res=64 --batch=8 --aug=fixed --p=0.2 --impl=auto
    python tools/benchmark.py --op=upfirdn2d --impl=ref,custom --xla
    python tools/benchmark.py --op=augment --res=256 --batch=32 --augpipe=bgc --p=1
    python tools/benchmark.py --op=nada --res=256 --batch=2 --impl=auto
    python tools/benchmark.py --op=train --method=stargan_v2 --res=256 --batch=8 --iters=3
    python tools/benchmark.py --op=data --warmup=0 --iters=3

prints JSON lines: the workload, its settings and its timings, measured after a warm-up on
whatever device TensorFlow picks. The workloads live in `tfgan_fs.benchmarks`, one module per
``--op``.
"""

import importlib
import json
import sys
import types

from absl import app
from absl import flags

from tfgan_fs.cli.errors import fail
from tfgan_fs.benchmarks.nada_step import OP as NADA_OP
from tfgan_fs.methods.registry import BUILTIN

# --op value -> module in tfgan_fs.benchmarks
WORKLOADS = {
    "train": "train_step",
    "augment": "augment",
    "upfirdn2d": "upfirdn2d",
    "bias_act": "bias_act",
    NADA_OP: "nada_step",
    "data": "builtin_data",
}
DEFAULT_BATCH = 32
DEFAULT_NADA_BATCH = 2  # the StyleGAN-NADA README command

FLAGS = flags.FLAGS
flags.DEFINE_enum("op", "train", sorted(WORKLOADS), "What to measure: train = the real "
                  "training step (G main + D main every minibatch, path length every 4, R1 "
                  "every 16, G_ema) as the StyleGAN2-ADA reference times it; augment = the ADA "
                  "augmentation pipe (forward) on random images; upfirdn2d / bias_act = the "
                  "custom ops against the reference at StyleGAN2 G and D shapes; nada = one "
                  "StyleGAN-NADA iteration (layer selection, frozen and adapted synthesis, "
                  "CLIP losses, selective Adam) with a random paper256 generator and a random "
                  "CLIP of --clip_size, nothing downloaded; data = drawing the built-in datasets "
                  "(builtin:shapes, builtin:faces) at their defaults.")
flags.DEFINE_integer("res", 256, "Image resolution.")
flags.DEFINE_integer("batch", None, f"Batch size (default: {DEFAULT_BATCH}; --op=nada: "
                     f"{DEFAULT_NADA_BATCH}, as the StyleGAN-NADA README command).")
flags.DEFINE_string("cfg", "auto", "Preset (--op=train), as tools/train.py --cfg.")
flags.DEFINE_enum("aug", "fixed", ["fixed", "noaug", "diffaugment", "ada"], "D augmentation "
                  "(--op=train); fixed and ada run the --augpipe pipe at probability --p.")
flags.DEFINE_string("augpipe", "bgc", "AugmentPipe preset (--op=train, augment).")
flags.DEFINE_float("p", 0.2, "Augmentation probability (--op=train, augment).")
flags.DEFINE_enum("reg_type", "none", ["none", "ggdr"], "--op=train: extra D regularisation, "
                  "as tools/train.py --reg_type (ggdr: D's decoder and the GGDR loss).")
flags.DEFINE_enum("method", BUILTIN.default.name,
                  [spec.name for spec in BUILTIN.specs() if spec.reads_data],
                  "--op=train: training method, as tools/train.py --method, timed through its "
                  "spec with the flags above that it reads (e.g. mixdl: mixup steps every 2 "
                  "with the patch-level D and distance terms; cdc: anchor steps, patch-level D "
                  "and the distance-consistency term on every G step; stargan_v2: one "
                  "iteration of its four phases with the reference's networks at img_size "
                  "--res).")
flags.DEFINE_integer("ggdr_res", None, "--op=train with --reg_type=ggdr: feature resolution "
                     "(default: resolution / 4, clipped to [8, 64]).")
flags.DEFINE_boolean("fp32", False, "--op=train, nada: no float16 layers (default: float16 in "
                     "the top 4 resolutions when a GPU is visible, like tools/train.py).")
flags.DEFINE_enum("strategy", "auto", ["auto", "default", "mirrored", "multi_worker"],
                  "--op=train, nada: tf.distribute strategy, as tools/train.py --strategy.")
flags.DEFINE_boolean("xla", False, "Compile the measured function with XLA (jit_compile).")
flags.DEFINE_list("impl", ["ref", "custom"], "Op implementations to measure, one row each: any "
                  "of auto, ref, custom. --op=upfirdn2d/bias_act: --xla adds the reference "
                  "under XLA. --op=train, nada: the whole step with each (custom is skipped "
                  "with a note when the ops are not built).")
flags.DEFINE_integer("warmup", 2, "Untimed calls (--op=train: minibatches; --op=nada: "
                     "iterations) before measuring.")
flags.DEFINE_integer("iters", 10, "Timed calls (--op=train: minibatches, rounded up to whole "
                     "16-minibatch cycles so R1 and path length count at their real rate; "
                     "--op=nada: iterations).")
flags.DEFINE_enum("clip_size", "vit_b32", ["vit_b32", "tiny"], "--op=nada: the random CLIP: "
                  "vit_b32 = OpenAI ViT-B/32's sizes (151M parameters, 224x224 input; a small "
                  "tokenizer vocabulary, the text encoder's 49408 token embeddings kept); tiny "
                  "= a 1-layer, 16-wide CLIP on 32x32 images, for tests.")
flags.DEFINE_list("auto_layer_iters", ["1", "0"], "--op=nada: one row per value, as "
                  "tools/train.py --auto_layer_iters (SGD steps of the adaptive layer "
                  "selection; 0 = no selection, the default phase's layers every step).")
flags.DEFINE_integer("auto_layer_k", None, "--op=nada: layers selected per iteration (default: "
                     "the generator's number of W+ entries, 14 at 256x256, as the StyleGAN-NADA "
                     "README's --auto_layer_k 18 at 1024x1024).")
flags.DEFINE_integer("auto_layer_batch", 8, "--op=nada: latents of the layer selection, as "
                     "tools/train.py --auto_layer_batch.")


def main(argv):
    if len(argv) > 1:
        fail(f"unexpected arguments {argv[1:]}")
    if FLAGS.batch is None:
        FLAGS.batch = DEFAULT_NADA_BATCH if FLAGS.op == NADA_OP else DEFAULT_BATCH
    if FLAGS.res < 8 or FLAGS.batch < 1 or FLAGS.iters < 1:
        fail("--res must be >= 8, --batch and --iters >= 1")
    try:
        layer_iters = [int(v) for v in FLAGS.auto_layer_iters]
    except ValueError:
        layer_iters = [-1]
    if not layer_iters or min(layer_iters) < 0:
        fail(f"--auto_layer_iters must list integers >= 0, got {','.join(FLAGS.auto_layer_iters)}")
    if FLAGS.auto_layer_k is not None and FLAGS.auto_layer_k < 1:
        fail(f"--auto_layer_k must be >= 1, got {FLAGS.auto_layer_k}")
    if FLAGS.auto_layer_batch < 1:
        fail(f"--auto_layer_batch must be >= 1, got {FLAGS.auto_layer_batch}")
    if not set(FLAGS.impl) <= {"auto", "ref", "custom"}:
        fail(f"--impl must list auto, ref or custom, got {','.join(FLAGS.impl)}")
    from absl import logging
    logging.set_verbosity(logging.WARNING)
    own_flags = FLAGS.get_key_flags_for_module(sys.modules[__name__])
    settings = types.SimpleNamespace(**{flag.name: flag.value for flag in own_flags})
    settings.auto_layer_iters = layer_iters
    workload = importlib.import_module(f"tfgan_fs.benchmarks.{WORKLOADS[FLAGS.op]}")
    for row in workload.run(settings):
        print(json.dumps(row), flush=True)

if __name__ == "__main__":
    app.run(main)
