"""Convert an official StarGAN v2 checkpoint (clovaai/stargan-v2) into a tfgan_fs run directory.

Examples:
    python tools/convert_stargan_v2.py --source=expr/checkpoints/afhq/100000_nets_ema.ckpt \
        --dest=pretrained/stargan_v2_afhq
    python tools/convert_stargan_v2.py --source=expr/checkpoints/celeba_hq/100000_nets_ema.ckpt \
        --dest=pretrained/stargan_v2_celeba_hq --wing=expr/checkpoints/wing.ckpt

The checkpoint is a torch.save (zip or legacy format) of {'generator', 'mapping_network',
'style_encoder'} state_dicts (*_nets.ckpt adds 'discriminator', converted too; w_hpf > 0
checkpoints may hold the FAN as 'fan'). It is read without torch by a restricted unpickler
that constructs only containers and tensors. img_size, style_dim,
latent_dim, num_domains, channel counts and block counts are inferred from the tensor shapes;
whether w_hpf > 0 follows from the generator's block count, its value from the generator's
'hpf.filter' buffer (checkpoints of the current reference) or else --w_hpf (default 1).

A w_hpf > 0 generator (CelebA-HQ) needs the FAN landmark network for its face masks: it is
converted from --wing (the official wing.ckpt, `bash download.sh wing`) or else from the
checkpoint's own 'fan' entry, and saved in the run under 'fan'. Without either the conversion is
an error, because such a run cannot translate, evaluate or export; --allow_no_fan converts the
networks anyway (with a warning). --wing with a w_hpf = 0 generator (AFHQ) is an error; the
'fan' entry of such a checkpoint is skipped. The run directory is written atomically
(checkpoints/latest, one checkpoint with the networks under the checkpoint's keys, network.json,
and conversion.json describing the source); `tfgan_fs.convert.stargan_v2.load` reads it.
"""

import pathlib
import sys

from absl import app
from absl import flags

from tfgan_fs.cli.errors import fail  # (no TensorFlow import: fast --help)

FLAGS = flags.FLAGS
flags.DEFINE_string("source", None, "Official StarGAN v2 checkpoint (torch.save), e.g. "
                    "100000_nets_ema.ckpt or 100000_nets.ckpt.")
flags.DEFINE_string("dest", None, "Run directory to create (must not exist).")
flags.DEFINE_float("w_hpf", None, "High-pass weight of the generator (the reference's "
                   "--w_hpf). Default: inferred (0; with the extra down-sampling block of "
                   "w_hpf > 0, the value of its 'hpf.filter' buffer, or 1 without one); a value "
                   "that contradicts the checkpoint is an error.", lower_bound=0)
flags.DEFINE_string("wing", None, "The FAN landmark network of w_hpf > 0 generators: the "
                    "official wing.ckpt (torch.save of {'state_dict': ...}). Default: the "
                    "checkpoint's own 'fan' entry, if it has one.")
flags.DEFINE_bool("allow_no_fan", False, "Convert a w_hpf > 0 checkpoint without a FAN (no "
                  "--wing, no 'fan' entry): the run then cannot translate, evaluate or export "
                  "until it is converted again with --wing.")
flags.mark_flags_as_required(["source", "dest"])


def main(argv):
    if len(argv) > 1:
        fail(f"unexpected arguments {argv[1:]}")
    source, dest = pathlib.Path(FLAGS.source), pathlib.Path(FLAGS.dest)
    if not source.is_file():
        fail(f"--source: {source} does not exist or is not a file")
    if dest.exists():
        fail(f"--dest {dest} already exists; choose a new directory")
    wing = pathlib.Path(FLAGS.wing) if FLAGS.wing else None
    if wing is not None and not wing.is_file():
        fail(f"--wing: {wing} does not exist or is not a file")
    from absl import logging
    logging.set_verbosity(logging.WARNING)
    from tfgan_fs.convert import ConversionError, PickleRefusedError
    from tfgan_fs.convert.stargan_v2 import convert_checkpoint, write_run_dir
    try:
        converted = convert_checkpoint(source, FLAGS.w_hpf, wing=wing,
                                       require_fan=not FLAGS.allow_no_fan)
    except (ConversionError, PickleRefusedError) as err:
        text = str(err)
        flag = ("" if text.startswith("--") else "--wing: " if wing is not None
                and text.startswith(str(wing)) else "--source: ")
        fail(f"{flag}{text}")
    info = converted.info
    if info["w_hpf"] > 0 and info["fan"] is None:  # --allow_no_fan
        print(f"WARNING: {source} has a w_hpf {info['w_hpf']:g} generator without a FAN: "
              f"{dest} cannot translate, evaluate or export until converted again with "
              "--wing=expr/checkpoints/wing.ckpt", file=sys.stderr)
    try:
        write_run_dir(converted, dest)
    except ConversionError as err:
        fail(str(err))
    print(f"Wrote {dest}: {', '.join(converted.networks)}; img_size {info['img_size']}, "
          f"style_dim {info['style_dim']}, latent_dim {info['latent_dim']}, "
          f"num_domains {info['num_domains']}, w_hpf {info['w_hpf']}")
    if info["fan"] is not None:
        print(f"FAN (face masks) from {info['fan']['source']}"
              + (f"; ignored keys the FAN does not have: {info['fan']['ignored_keys'][:5]}"
                 if info["fan"]["ignored_keys"] else ""))


if __name__ == "__main__":
    app.run(main)
