"""Visualise a generator's feature maps and, for GGDR runs, D's predictions of them.

Examples:
    python tools/visualize_features.py --network=training-runs/00001-ffhq256-ggdr64 --outdir=out
    python tools/visualize_features.py --network=RUN --seeds=0-15 --res=16,32,64 --outdir=out

For each resolution r (default: the run's --ggdr_res, else 16, 32 and 64 where the generator
has them) writes gfeat_r.png: a row of G_ema images (constant noise), a row of G_ema's block
features at r and, when D has a GGDR decoder at r, a row of D's predictions of them on the same
images. Features are projected to RGB by a PCA fitted on G's L2-normalised per-pixel features,
and the predictions on the same axes and colour range (tfgan_fs/feature_pictures.py); the
reference's tools/visualize_gfeat.py clusters them with k-means instead. Seeds give
z = numpy.random.RandomState(seed).randn(z_dim), as generate.py.
"""

import pathlib

from absl import app
from absl import flags

from tfgan_fs.cli.errors import fail

FLAGS = flags.FLAGS
flags.DEFINE_string("network", None, "Run directory or checkpoint (a training run or one written "
                    "by tools/convert_pkl.py), or "
                    "an official network pickle (.pkl: StyleGAN2-ADA, GGDR) or a rosinality "
                    "checkpoint (.pt: StyleGAN-NADA, CDC, MixDL), converted on the fly.")
flags.DEFINE_string("seeds", "0-7", "Seeds of the images, e.g. 0-7 or 1,5,10-12 (one column "
                    "each; the PCA is fitted on all of them).")
flags.DEFINE_list("res", None, "Feature resolutions to show (default: D's decoder resolution if "
                  "it has one, else 16,32,64 where present).")
flags.DEFINE_float("trunc", 1.0, "Truncation psi (1 = no truncation).")
flags.DEFINE_integer("class", None, "Class index for conditional networks (required for them).")
flags.DEFINE_string("outdir", None, "Output directory (created if needed).")
flags.mark_flags_as_required(["network", "outdir"])


def _resolutions(G, D):
    block_res = [2 ** i for i in range(2, int(G.img_resolution).bit_length())]
    if FLAGS.res:
        try:
            res = [int(r) for r in FLAGS.res]
        except ValueError:
            fail(f"--res: expected integers, got {','.join(FLAGS.res)}")
        bad = [r for r in res if r not in block_res]
        if bad:
            fail(f"--res: {bad} are not block resolutions of this generator ({block_res})")
        return res
    if D is not None and D.decoder_res:
        return [D.decoder_res]
    return [r for r in (16, 32, 64) if r in block_res] or block_res[-1:]


def main(argv):
    if len(argv) > 1:
        fail(f"unexpected arguments {argv[1:]}")
    from absl import logging
    logging.set_verbosity(logging.WARNING)
    import numpy as np

    from tfgan_fs import feature_pictures
    from tfgan_fs import images as image_io
    from tfgan_fs.cli.seeds import parse_int_ranges
    from tfgan_fs.convert.sources import load_networks

    try:
        seeds = parse_int_ranges(FLAGS.seeds)
    except ValueError as err:
        fail(f"--seeds: {err}")
    try:
        networks = load_networks(FLAGS.network, ("G_ema", "D"))
    except ValueError as err:
        fail(f"--network: {err}")
    G, D = networks["G_ema"], networks.get("D")
    resolutions = _resolutions(G, D)
    c = np.zeros([len(seeds), G.c_dim], np.float32)
    if G.c_dim:
        if FLAGS["class"].value is None or not 0 <= FLAGS["class"].value < G.c_dim:
            fail(f"this network is conditional ({G.c_dim} classes): pass --class=0..."
                 f"{G.c_dim - 1}")
        c[:, FLAGS["class"].value] = 1
    z = np.concatenate([np.random.RandomState(s).randn(1, G.z_dim) for s in seeds])
    img, features = G(z.astype(np.float32), c, truncation_psi=FLAGS.trunc, noise_mode="const",
                      return_features=True)
    fmaps = {}
    if D is not None and D.decoder_res:
        fmaps = D(img, c, return_decoder=True)["decoder"]
    outdir = pathlib.Path(FLAGS.outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    for res in resolutions:
        pred = fmaps[res].numpy() if res in fmaps else None
        picture = feature_pictures.feature_picture(image_io.to_uint8(img), features[res].numpy(),
                                                   pred)
        path = outdir / f"gfeat_{res}.png"
        image_io.save_image(picture, path)
        print(f"Wrote {path}: images, G features at {res}x{res}"
              + (", D's decoder predictions" if pred is not None else ""))


if __name__ == "__main__":
    app.run(main)
