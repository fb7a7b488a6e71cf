"""Convert an official StyleGAN2-ADA / GGDR network pickle, or a rosinality-format StyleGAN2
checkpoint (.pt: StyleGAN-NADA, CDC, MixDL), into a tfgan_fs run directory.

Examples:
    python tools/convert_pkl.py --source=ffhq.pkl --dest=pretrained/ffhq
    python tools/generate.py --network=pretrained/ffhq --seeds=0-7 --trunc=0.7 --outdir=out
    python tools/train.py --init_from=pretrained/ffhq --data=... --cfg=paper1024 ...

Supported: StyleGAN2-ADA PyTorch pickles (NVlabs/stylegan2-ada-pytorch network-snapshot-*.pkl:
G, D, G_ema) and TF1 pickles of NVlabs/stylegan2-ada and StyleGAN2 config F ((G, D, Gs) tuples;
mapped with the table of the PyTorch repository's legacy.py), and GGDR pickles
(naver-ai/GGDR network-snapshot-*.pkl: `training.networks_ggdr` G, D with the U-Net decoder
b8_dec .. b{decoder_res}_dec, G_ema, AugmentPipeGFeat). Not supported: StyleGAN3 and other forks,
progressive-growing (lod) TF networks, StyleGAN1.

rosinality/stylegan2-pytorch checkpoints (torch.save, zip or legacy format), as the papers
built on that code publish them: train.py's {g, d, g_ema, g_optim, d_optim, args, ada_aug_p}
(CDC, MixDL), convert_weight.py's {g_ema, latent_avg[, g, d]}, StyleGAN-NADA's {g_ema, g_optim}
(its released adapted models and stylegan2-ffhq-config-f.pt). Sizes come from the tensor
shapes; the mapping's lr multiplier is not stored (--lr_mlp, rosinality's 0.01); the noise
buffers become the constant noise (--noise_mode=const); a file without latent_avg gets w_avg
estimated as rosinality's mean_latent does (--w_avg_samples z, seed --w_avg_seed; recorded in
conversion.json). G-only files give a run with G and G_ema (G = g_ema); --init_from from it
starts D from scratch. Optimizer states and args are read as data and not converted.

    python tools/convert_pkl.py --source=stylegan2-ffhq-config-f.pt --dest=pretrained/ffhq-ros
    python tools/train.py --method=nada --network=pretrained/ffhq-ros ...

The pickle is read without torch or TensorFlow 1, by a restricted unpickler that constructs only
the tensor and container types a network pickle needs and refuses anything else: unpickling can
run arbitrary code, and official pickles embed Python source, which is never executed here.
Still, only convert files from sources you trust.

The result is written atomically (a temporary directory renamed to --dest): a run directory with
checkpoints/latest, one checkpoint holding G, D and G_ema (networks rebuilt from network.json),
and conversion.json describing the source. For --init_from, train with the same architecture
(resolution, --cbase, --cmax, --map, conditioning; fp16 settings do not matter); a converted
GGDR run also needs --reg_type=ggdr --ggdr_res=<its decoder_res> (printed, and recorded in
conversion.json):

    python tools/convert_pkl.py --source=ggdr-ffhq256.pkl --dest=pretrained/ggdr-ffhq256
    python tools/train.py --init_from=pretrained/ggdr-ffhq256 --reg_type=ggdr --ggdr_res=64 ...
"""

import pathlib

from absl import app
from absl import flags

from tfgan_fs.cli.errors import fail  # (no TensorFlow import: fast --help)

FLAGS = flags.FLAGS
flags.DEFINE_string("source", None, "Network pickle (.pkl) of StyleGAN2-ADA (PyTorch or TF1) "
                    "or GGDR, or a rosinality-format checkpoint (.pt).")
flags.DEFINE_string("dest", None, "Run directory to create (must not exist).")
flags.DEFINE_float("lr_mlp", 0.01, "rosinality .pt: the mapping's learning-rate multiplier the "
                   "generator was built with (not stored in the file; rosinality's default).")
flags.DEFINE_integer("w_avg_samples", 4096, "rosinality .pt without latent_avg: number of z "
                     "whose mapped mean becomes w_avg (rosinality's mean_latent; NADA uses 4096).")
flags.DEFINE_integer("w_avg_seed", 0, "rosinality .pt without latent_avg: seed of those z.")
flags.mark_flags_as_required(["source", "dest"])


def main(argv):
    if len(argv) > 1:
        fail(f"unexpected arguments {argv[1:]}")
    source, dest = pathlib.Path(FLAGS.source), pathlib.Path(FLAGS.dest)
    if not source.is_file():
        fail(f"--source: {source} does not exist or is not a file")
    if dest.exists():
        fail(f"--dest {dest} already exists; choose a new directory")
    from absl import logging
    logging.set_verbosity(logging.WARNING)

    from tfgan_fs.convert import ConversionError, PickleRefusedError, write_run_dir
    from tfgan_fs.convert.sources import convert_file, file_format

    if FLAGS.lr_mlp <= 0:
        fail(f"--lr_mlp must be > 0, got {FLAGS.lr_mlp}")
    if FLAGS.w_avg_samples < 1:
        fail(f"--w_avg_samples must be >= 1, got {FLAGS.w_avg_samples}")
    try:
        options = ({"lr_mlp": FLAGS.lr_mlp, "w_avg_samples": FLAGS.w_avg_samples,
                    "w_avg_seed": FLAGS.w_avg_seed}
                   if file_format(source) == "rosinality" else {})
        converted = convert_file(source, **options)
        write_run_dir(converted, dest)
    except (ConversionError, PickleRefusedError) as err:
        fail(f"--source: {err}")
    info = converted.info
    G = converted.networks["G_ema"]
    print(f"Wrote {dest}: G_ema {G.img_resolution}x{G.img_resolution}x{G.img_channels}, "
          f"z_dim {G.z_dim}, c_dim {G.c_dim}, {G.num_ws} ws"
          + (f"; augment p {info['augment_p']:.3f} recorded in conversion.json"
             if info.get("augment_p") is not None else ""))
    if info.get("ggdr"):
        res = info["ggdr"]["decoder_res"]
        print(f"D has GGDR's decoder up to {res}x{res} ({', '.join(info['ggdr']['decoder_layers'])}"
              f"): train from it with --init_from={dest} {info['ggdr']['train_flags']}")


if __name__ == "__main__":
    app.run(main)
