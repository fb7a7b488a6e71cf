"""Export G_ema of a run or checkpoint, or a StarGAN v2 translator, as a SavedModel for TF Serving;
or a StyleGAN2 run as a rosinality-format checkpoint (.pt) for the PyTorch ecosystem.

Examples:
    python tools/export.py --network=training-runs/00000-shapes32-auto1 --outdir=models/G
    tensorflow_model_server --rest_api_port=8501 --model_name=G \
        --model_base_path=$PWD/models/G
    python tools/export.py --network=pretrained/stargan_v2_afhq --outdir=models/afhq \
        --domain_names=cat,dog,wild

Writes OUTDIR/<version>/saved_model.pb (+ variables/) atomically. A StyleGAN2 run (G_ema) gets
the signatures serving_default (z, truncation_psi[, c] -> images uint8, images_float),
from_seeds, mapping and synthesis; a StarGAN v2 run (training or tools/convert_stargan_v2.py)
gets translate_latent, translate_reference, translate_style, style_latent and style_reference
(`tfgan_fs.export.translation`; with w_hpf > 0 the run needs its FAN). See README.md,
"Serving with TF Serving". The export contains stock TensorFlow ops only.

--format=rosinality writes {"g_ema", "latent_avg"} (and "g", "d" when the run has them and
rosinality's classes can express them) as a torch.save zip file, without torch: it loads with
`torch.load(FILE, weights_only=True)` into rosinality's `Generator(size, style_dim, n_mlp,
channel_multiplier).load_state_dict(ckpt["g_ema"])`, the class StyleGAN-NADA, CDC, MixDL,
e4e/pSp and StyleCLIP build on:

    python tools/export.py --network=training-runs/00000-ffhq256 --format=rosinality \
        --out=ffhq256.pt

--network also takes an official network pickle (.pkl) or a rosinality checkpoint (.pt),
converted on the fly.
"""

import os

from absl import app
from absl import flags

from tfgan_fs.cli.errors import fail

FLAGS = flags.FLAGS
flags.DEFINE_string("network", None, "Run directory or checkpoint directory to export: G_ema of "
                    "a StyleGAN2 run, or the translator of a StarGAN v2 run; or a network file "
                    "(.pkl of StyleGAN2-ADA/GGDR, .pt of rosinality), converted on the fly.")
flags.DEFINE_enum("format", "savedmodel", ["savedmodel", "rosinality"], "savedmodel: a TF "
                  "Serving SavedModel under --outdir; rosinality: a .pt checkpoint at --out "
                  "(StyleGAN2 runs).")
flags.DEFINE_string("outdir", None, "--format=savedmodel: TF Serving model base directory (the "
                    "version goes below).")
flags.DEFINE_string("out", None, "--format=rosinality: the .pt file to write.")
flags.DEFINE_integer("version", 1, "Version number: the export is written to OUTDIR/<version>.")
flags.DEFINE_integer("max_batch", 64, "Largest batch a request may have.")
flags.DEFINE_boolean("force_fp32", False, "Compute every layer in float32 (ignore the float16 "
                     "top layers of the training config; portable, slower on GPUs). StarGAN v2 "
                     "networks always compute in float32.")
flags.DEFINE_list("domain_names", None, "StarGAN v2: one name per domain, in index order (e.g. "
                  "cat,dog,wild), saved as metadata. Default: the run's recorded domain_names "
                  "(training_options.json or conversion.json), if any.")
flags.DEFINE_boolean("overwrite", False, "Replace OUTDIR/<version> (or --out) if it exists.")
flags.mark_flags_as_required(["network"])


def export_rosinality():
    """--format=rosinality: G_ema (+ G, D) of a StyleGAN2 run as a rosinality .pt file."""
    from tfgan_fs.convert import rosinality_writer
    from tfgan_fs.convert.sources import load_networks

    try:
        networks = load_networks(FLAGS.network, ("G_ema", "G", "D"))
    except ValueError as err:
        fail(f"--network: {err}")
    if "G_ema" not in networks:
        fail(f"--network: {FLAGS.network} has no G_ema (--format=rosinality writes StyleGAN2 "
             "generators)")
    D = networks.get("D")
    if D is not None:
        try:
            rosinality_writer.discriminator_state_dict(D)
        except ValueError as err:
            print(f"Note: D is not written ({err})")
            D = None
    try:
        rosinality_writer.write_rosinality(FLAGS.out, networks["G_ema"], networks.get("G"), D)
    except ValueError as err:
        fail(f"--network: {err}")
    G = networks["G_ema"]
    cm = rosinality_writer.channel_multiplier(G)
    written = ", ".join(["g_ema", "latent_avg"] + (["g"] if "G" in networks else [])
                        + (["d"] if D is not None else []))
    print(f"Wrote {FLAGS.out} ({written}): load it with rosinality's Generator(size="
          f"{G.img_resolution}, style_dim={G.w_dim}, n_mlp={G.mapping.num_layers}"
          + (f", channel_multiplier={cm})" if cm else ") and its channel table")
          + f"; lr_mlp={G.mapping.lr_multiplier:g}")


def main(argv):
    if len(argv) > 1:
        fail(f"unexpected arguments {argv[1:]}")
    if FLAGS.version < 0:
        fail(f"--version must be >= 0, got {FLAGS.version}")
    if FLAGS.max_batch < 1:
        fail(f"--max_batch must be >= 1, got {FLAGS.max_batch}")
    if not os.path.exists(FLAGS.network):  # before the slow TensorFlow import
        fail(f"--network: {FLAGS.network} does not exist")
    rosinality = FLAGS.format == "rosinality"
    needed, other = ("out", "outdir") if rosinality else ("outdir", "out")
    if FLAGS[needed].value is None:
        fail(f"--{needed} is required with --format={FLAGS.format}")
    if FLAGS[other].value is not None:
        fail(f"--{other} is for --format={'savedmodel' if rosinality else 'rosinality'}")
    if rosinality and os.path.exists(FLAGS.out) and not FLAGS.overwrite:
        fail(f"--out: {FLAGS.out} exists (pass --overwrite to replace it)")
    from absl import logging
    logging.set_verbosity(logging.WARNING)
    if rosinality:
        export_rosinality()
        return
    from tfgan_fs.convert.sources import network_source
    try:
        with network_source(FLAGS.network) as run_dir:
            export_run(run_dir)
    except ValueError as err:  # the file could not be converted
        fail(f"--network: {err}")


def export_run(network):
    """--format=savedmodel of a run directory or checkpoint."""
    from tfgan_fs.export import ExportError, check_destination, export_generator
    from tfgan_fs.export.translation import (TranslatorExportError, export_translator,
                                             is_translator_configs)
    from tfgan_fs.runs.checkpoints import CheckpointError, load_network_configs
    from tfgan_fs.translation import TranslatorLoadError

    try:
        check_destination(FLAGS.outdir, FLAGS.version, FLAGS.overwrite)
    except ExportError as err:
        fail(f"--outdir: {err}")
    try:
        _, configs = load_network_configs(network)
        translator = "G_ema" not in configs and is_translator_configs(configs)
        if FLAGS.domain_names is not None and not translator:
            fail("--domain_names: only StarGAN v2 runs have domains (--network has G_ema)")
        if translator:
            path, ckpt, meta = export_translator(
                network, FLAGS.outdir, version=FLAGS.version, max_batch=FLAGS.max_batch,
                domain_names=FLAGS.domain_names, overwrite=FLAGS.overwrite)
        else:
            path, ckpt = export_generator(network, FLAGS.outdir, version=FLAGS.version,
                                          max_batch=FLAGS.max_batch,
                                          force_fp32=FLAGS.force_fp32, overwrite=FLAGS.overwrite)
    except (CheckpointError, TranslatorLoadError) as err:
        fail(f"--network: {err}")
    except TranslatorExportError as err:
        fail(str(err))  # names the flag or file at fault
    except ExportError as err:
        fail(f"--outdir: {err}")
    if translator:
        names = ",".join(meta["domain_names"]) or "unnamed"
        print(f"Exported the StarGAN v2 translator of {ckpt} to {path} ({meta['num_domains']} "
              f"domains: {names}; img_size {meta['img_size']}, w_hpf {meta['w_hpf']:g})")
    else:
        source = ckpt if network == FLAGS.network else FLAGS.network
        print(f"Exported G_ema of {source} to {path}")


if __name__ == "__main__":
    app.run(main)
