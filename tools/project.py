"""Invert an image: find the w whose G_ema image looks like it (GAN inversion).

Example:
    python tools/project.py --network=training-runs/00003-... --target=photo.jpg \
        --lpips=weights/lpips_vgg.npz --outdir=out [--save_video]
    python tools/generate.py --network=training-runs/00003-... --projected_w=out/projected_w.npz \
        --outdir=out

The StyleGAN2-ADA projector (NVlabs/stylegan2-ada-pytorch `projector.py`; tfgan_fs/projection.py):
the target is centre-cropped to a square and resized to G's resolution (Lanczos), then one w
(and the noise buffers) are optimised for --num_steps Adam steps to minimise the LPIPS-VGG16
distance. Writes target.png (the cropped target), proj.png (G's image of the result, with G's own
constant noise, as the reference), projected_w.npz ('w': [1, num_ws, w_dim], the reference's
format, which generate.py --projected_w renders) and, with --save_video, proj.gif (target |
projection every --video_every steps). LPIPS weights: README.md, "Metrics".
"""

import os
import pathlib
import sys

from absl import app
from absl import flags

from tfgan_fs.cli.errors import fail

FLAGS = flags.FLAGS
flags.DEFINE_string("network", None, "Run directory or checkpoint directory to load G_ema from, "
                    "or an official network pickle (.pkl: StyleGAN2-ADA, GGDR) or a rosinality "
                    "checkpoint (.pt: StyleGAN-NADA, CDC, MixDL), converted on the fly.")
flags.DEFINE_string("target", None, "Image file to project (PNG, JPEG, ...): centre-cropped to "
                    "a square and resized to G's resolution.")
flags.DEFINE_string("outdir", None, "Output directory (created if needed).")
flags.DEFINE_integer("num_steps", 1000, "Optimisation steps.")
flags.DEFINE_integer("seed", 303, "Seed of the initial noise buffers and the w noise.")
flags.DEFINE_integer("w_avg_samples", 10000, "Mapped z samples for the mean w (the start) and "
                     "the w spread.")
flags.DEFINE_integer("class", None, "Class index for conditional networks (required for them).")
flags.DEFINE_boolean("save_video", False, "Also write proj.gif: target | projection, one frame "
                     "every --video_every steps and the last.")
flags.DEFINE_integer("video_every", 10, "Steps between the frames of proj.gif.")
flags.DEFINE_string("lpips", None, "LPIPS-VGG16 weights converted with tools/convert_lpips.py "
                    "(lpips_vgg.npz; default $TFGAN_FS_LPIPS).")
flags.mark_flags_as_required(["network", "target", "outdir"])


def main(argv):
    if len(argv) > 1:
        fail(f"unexpected arguments {argv[1:]}")
    # Cheap checks first (before TensorFlow loads).
    if not os.path.isfile(FLAGS.target):
        fail(f"--target: '{FLAGS.target}' does not exist (give the image file to project)")
    if not os.path.exists(FLAGS.network):
        fail(f"--network: '{FLAGS.network}' does not exist (give a run directory or checkpoint "
             f"of tools/train.py, an official network pickle (.pkl) or a rosinality "
             f"checkpoint (.pt))")
    if FLAGS.num_steps < 1:
        fail("--num_steps must be >= 1")
    if FLAGS.w_avg_samples < 1:
        fail("--w_avg_samples must be >= 1")
    if FLAGS.video_every < 1:
        fail("--video_every must be >= 1")

    from absl import logging
    logging.set_verbosity(logging.WARNING)
    import numpy as np
    import tensorflow as tf
    import tqdm

    from tfgan_fs import images as image_io
    from tfgan_fs import projection
    from tfgan_fs.export import find_saved_model
    from tfgan_fs.metrics.lpips import LPIPS
    from tfgan_fs.metrics.weights import MissingWeightsError
    from tfgan_fs.convert.sources import load_generator

    lpips_path = FLAGS.lpips or os.environ.get("TFGAN_FS_LPIPS")
    try:
        lpips = LPIPS.load(lpips_path, flag="--lpips")
    except (MissingWeightsError, ValueError) as err:
        fail(str(err))
    if lpips.net != "vgg":
        fail(f"--lpips: '{lpips_path}' holds {lpips.net} LPIPS weights; the projector uses "
             f"LPIPS-VGG16 as the reference (convert with tools/convert_lpips.py --net=vgg)")
    if find_saved_model(FLAGS.network) is not None:
        fail("--network: projection needs G's mapping and synthesis: pass the run or checkpoint "
             "instead of an exported SavedModel")
    try:
        G = load_generator(FLAGS.network, "G_ema")
    except ValueError as err:
        fail(f"--network: {err}")
    c = None
    if G.c_dim:
        if FLAGS["class"].value is None or not 0 <= FLAGS["class"].value < G.c_dim:
            fail(f"this network is conditional ({G.c_dim} classes): pass --class=0..."
                 f"{G.c_dim - 1}")
        c = np.eye(G.c_dim, dtype=np.float32)[FLAGS["class"].value]
    elif FLAGS["class"].value is not None:
        print("warning: --class is ignored for an unconditional network", file=sys.stderr)
    try:
        target = projection.load_target_image(FLAGS.target, G.img_resolution, G.img_channels)
    except ValueError as err:
        fail(f"--target: {err}")

    with tqdm.tqdm(total=FLAGS.num_steps, desc="Projecting", unit="step") as bar:
        def progress(step, dist, loss):
            bar.set_postfix(dist=f"{dist:.4f}", loss=f"{loss:.4f}", refresh=False)
            bar.update(1)

        result = projection.project(G, target, lpips, num_steps=FLAGS.num_steps,
                                    w_avg_samples=FLAGS.w_avg_samples, c=c, seed=FLAGS.seed,
                                    progress=progress)

    @tf.function
    def synthesize(ws):
        return G.synthesis(ws, noise_mode="const")

    def render(ws):  # G's own constant noise, as the reference's outputs
        return image_io.to_uint8(tf.cast(synthesize(tf.constant(ws)), tf.float32))

    outdir = pathlib.Path(FLAGS.outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    if FLAGS.save_video:
        steps = list(range(0, FLAGS.num_steps, FLAGS.video_every))
        if steps[-1] != FLAGS.num_steps - 1:
            steps.append(FLAGS.num_steps - 1)
        frames = [np.concatenate([target, render(result.w[i:i + 1])[0]], axis=1)
                  for i in tqdm.tqdm(steps, desc="Video", unit="frame")]
        image_io.save_gif(frames, outdir / "proj.gif")
    image_io.save_image(target, outdir / "target.png")
    projected_w = result.w[-1:]
    image_io.save_image(render(projected_w)[0], outdir / "proj.png")
    tmp = outdir / f".projected_w.npz.tmp-{os.getpid()}"
    with open(tmp, "wb") as f:
        np.savez(f, w=projected_w)
    os.replace(tmp, outdir / "projected_w.npz")
    print(f"Final distance {result.dist[-1]:.4f}; wrote target.png, proj.png, projected_w.npz"
          f"{', proj.gif' if FLAGS.save_video else ''} to {outdir}")


if __name__ == "__main__":
    app.run(main)
