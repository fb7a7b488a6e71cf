r"""Train with tfgan_fs: StyleGAN2-ADA, GGDR, MixDL, CDC, StyleGAN-NADA or StarGAN v2.

Examples:
    # Quickstart on the built-in procedural data (no download, a few minutes on a CPU):
    python tools/train.py --flagfile=quickstart.flags

    # Your own data, prepared with tools/dataset_tool.py:
    python tools/train.py --data=datasets/afhqcat --outdir=training-runs --cfg=paper512 --mirror

    # Continue a run exactly where it stopped (optionally extending --kimg), alone or with the
    # run's own command line:
    python tools/train.py --resume=training-runs/00003-afhqcat-mirror-paper512
    python tools/train.py --flagfile=quickstart.flags --resume=training-runs/00000-... --kimg=40

    # StyleGAN-NADA: shift a pretrained generator to a domain named by text (CLIP):
    python tools/train.py --flagfile=nada_ffhq_sketch.flags --network=pretrained/ffhq

    # StarGAN v2: translate between the domains of a folder with one sub-folder per domain:
    python tools/train.py --flagfile=stargan_v2_afhq.flags --data=data/afhq/train \
        --val_data=data/afhq/val

`--flagfile=NAME.flags` is looked up in the working directory, then in the repository's configs/.
Installed with `pip install -e .`, the same command is `tfgan-train`.
"""

from absl import flags

from tfgan_fs.cli import errors  # noqa: F401 (the tools' bootstrap: before TensorFlow)
from tfgan_fs.methods.registry import BUILTIN
from tfgan_fs.training import command

FLAGS = flags.FLAGS
command.define_flags(FLAGS, BUILTIN)

if __name__ == "__main__":
    command.run(FLAGS, BUILTIN, __doc__)
