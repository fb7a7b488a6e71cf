"""Generate images with a trained generator (G_ema of a run or checkpoint, or an export).

Examples:
    python tools/generate.py --network=training-runs/00000-shapes32-auto1 --seeds=0-15 \
        --outdir=out
    python tools/generate.py --network=RUN_DIR --seeds=0-7 --trunc=0.7 --class=2 --outdir=out
    python tools/generate.py --network=models/G --seeds=0-7 --outdir=out   # tools/export.py
    python tools/generate.py --network=RUN_DIR --interpolate=3,7,12 --outdir=out
    python tools/generate.py --network=RUN_DIR --projected_w=out/projected_w.npz --outdir=out

Each seed s gives z = numpy.random.RandomState(s).randn(1, z_dim) (as in the reference), so a
seed names the same image for the same network. With --seed_rng=tf, z is the stateless TF draw
of an export's `from_seeds` signature instead (see tfgan_fs/export/latents.py).
An exported SavedModel (a version directory, or a TF Serving base directory: its newest
version) gives the same images as the checkpoint it was exported from; it has constant noise
and truncates all ws. Writes seed0000.png ... and grid.png.

With --interpolate=A,B,... the seeds A, B, ... (z as for --seeds) are keyframes of a walk in W
(tfgan_fs/interpolation.py) and the tool writes, instead of seed images, interpolation.png (one
row per consecutive pair, --interp_steps + 1 columns from one keyframe to the next) and
interpolation.gif (--interp_steps frames per segment, through all keyframes and back to the
first, looping). A smooth walk means a smooth latent space; one that jumps from one training
image to the next is the "stair-like" space of an overfitted few-shot generator.

With --projected_w=FILE (an .npz with 'w' [N, num_ws, w_dim] or [num_ws, w_dim], as
tools/project.py writes) the tool renders those ws through G's synthesis instead of seeds, as
the reference's generate.py --projected-w: proj00.png, proj01.png, ... (--noise_mode, default
constant noise; --seeds, --trunc and --class do not apply). Any generator with the same num_ws
and w_dim renders them, e.g. one adapted from the projected one.
"""

import os
import pathlib
import sys

from absl import app
from absl import flags

from tfgan_fs.cli.errors import fail

FLAGS = flags.FLAGS
flags.DEFINE_string("network", None, "Run directory or checkpoint directory to load G_ema from, "
                    "a SavedModel written by tools/export.py, or "
                    "an official network pickle (.pkl: StyleGAN2-ADA, GGDR) or a rosinality "
                    "checkpoint (.pt: StyleGAN-NADA, CDC, MixDL), converted on the fly.")
flags.DEFINE_string("seeds", "0-7", "Seeds, e.g. 0-7 or 1,5,10-12.")
flags.DEFINE_float("trunc", 1.0, "Truncation psi (1 = no truncation).")
flags.DEFINE_integer("trunc_cutoff", None, "Truncate only the first N ws (default: all).")
flags.DEFINE_integer("class", None, "Class index for conditional networks (required for them).")
flags.DEFINE_enum("noise_mode", "const", ["const", "random", "none"], "Noise inputs.")
flags.DEFINE_string("outdir", None, "Output directory (created if needed).")
flags.DEFINE_boolean("grid", True, "Also write grid.png with all images.")
flags.DEFINE_integer("batch", 16, "Images generated per batch.")
flags.DEFINE_enum("seed_rng", "numpy", ["numpy", "tf"], "Seed -> z: 'numpy' as the reference "
                  "(RandomState(seed).randn), 'tf' as an export's from_seeds signature.")
flags.DEFINE_string("interpolate", None, "Keyframe seeds A,B,... (at least 2): write "
                    "interpolation.png and interpolation.gif (a walk in W) instead of seed images.")
flags.DEFINE_integer("interp_steps", 12, "Frames per keyframe-to-keyframe segment of "
                     "--interpolate (the picture has one more column: both ends).")
flags.DEFINE_integer("interp_ms", 50, "Milliseconds per frame of interpolation.gif.")
flags.DEFINE_string("projected_w", None, "An .npz of ws ('w', [N, num_ws, w_dim]) written by "
                    "tools/project.py: write proj00.png ... of them instead of seed images.")
flags.mark_flags_as_required(["network", "outdir"])


def main(argv):
    if len(argv) > 1:
        fail(f"unexpected arguments {argv[1:]}")
    from absl import logging
    logging.set_verbosity(logging.WARNING)
    import numpy as np
    import tensorflow as tf
    import tqdm

    from tfgan_fs import images as image_io
    from tfgan_fs.cli.seeds import parse_int_ranges
    from tfgan_fs.export import ExportedGenerator, find_saved_model, seed_latents
    from tfgan_fs.convert.sources import load_generator

    try:
        seeds = parse_int_ranges(FLAGS.seeds)
    except ValueError as err:
        fail(f"--seeds: {err}")
    if FLAGS.batch < 1:
        fail("--batch must be >= 1")
    keyframes = None
    if FLAGS.interpolate is not None:
        try:
            keyframes = parse_int_ranges(FLAGS.interpolate)
        except ValueError as err:
            fail(f"--interpolate: {err}")
        if len(keyframes) < 2:
            fail(f"--interpolate needs at least 2 seeds (keyframes), got {FLAGS.interpolate!r}")
        if FLAGS.interp_steps < 1:
            fail("--interp_steps must be >= 1")
        if FLAGS.interp_ms < 10:
            fail("--interp_ms must be >= 10 (GIF stores hundredths of a second)")
        if FLAGS.noise_mode != "const":
            fail("--noise_mode: --interpolate uses constant noise (so that only w changes)")
    if FLAGS.projected_w is not None:
        if keyframes is not None:
            fail("--projected_w and --interpolate exclude each other")
        if not os.path.isfile(FLAGS.projected_w):
            fail(f"--projected_w: '{FLAGS.projected_w}' does not exist (tools/project.py "
                 f"writes projected_w.npz)")
    batch = FLAGS.batch
    if find_saved_model(FLAGS.network) is not None:
        if FLAGS.noise_mode != "const":
            fail("--noise_mode: an exported SavedModel has constant noise only (use the "
                 "checkpoint for other noise modes)")
        if FLAGS.trunc_cutoff is not None:
            fail("--trunc_cutoff: an exported SavedModel truncates all ws (use the checkpoint "
                 "for a cutoff)")
        try:
            G = ExportedGenerator(FLAGS.network)
        except ValueError as err:
            fail(f"--network: {err}")
        if keyframes is not None or FLAGS.projected_w is not None:
            flag = "--interpolate" if keyframes is not None else "--projected_w"
            fail(f"{flag} needs G's mapping and synthesis: pass the run or checkpoint "
                 "instead of an exported SavedModel")
        batch = min(batch, G.max_batch or batch)

        def generate(z, c):
            return G(z, c, FLAGS.trunc)
    else:
        try:
            G = load_generator(FLAGS.network, "G_ema")
        except ValueError as err:
            fail(f"--network: {err} (nor is it a SavedModel written by tools/export.py)")

        @tf.function
        def generate_float(z, c):
            return G(z, c, truncation_psi=FLAGS.trunc, truncation_cutoff=FLAGS.trunc_cutoff,
                     noise_mode=FLAGS.noise_mode)

        def generate(z, c):
            return image_io.to_uint8(generate_float(z, c))

        if FLAGS.projected_w is not None:
            write_projected_w(G, batch)
            return

    label = np.zeros([1, G.c_dim], np.float32)
    if G.c_dim:
        if FLAGS["class"].value is None:
            fail(f"this network is conditional ({G.c_dim} classes): pass --class=0..."
                  f"{G.c_dim - 1}")
        if not 0 <= FLAGS["class"].value < G.c_dim:
            fail(f"--class must be in [0, {G.c_dim - 1}], got {FLAGS['class'].value}")
        label[0, FLAGS["class"].value] = 1
    elif FLAGS["class"].value is not None:
        print("warning: --class is ignored for an unconditional network", file=sys.stderr)

    def latents(chunk):
        if FLAGS.seed_rng == "tf":
            return seed_latents(chunk, G.z_dim).numpy()
        return np.concatenate([np.random.RandomState(s).randn(1, G.z_dim) for s in chunk])

    outdir = pathlib.Path(FLAGS.outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    if keyframes is not None:
        write_interpolation(G, latents(keyframes).astype(np.float32),
                            np.repeat(label, len(keyframes), 0), outdir, batch)
        return
    results = []
    for i in tqdm.trange(0, len(seeds), batch, desc="Generating", unit="batch"):
        chunk = seeds[i:i + batch]
        z = latents(chunk).astype(np.float32)
        imgs = generate(z, np.repeat(label, len(chunk), 0))
        for seed, img in zip(chunk, imgs):
            image_io.save_image(img, outdir / f"seed{seed:04d}.png")
        results.append(imgs)
    if FLAGS.grid:
        imgs = np.concatenate(results)
        columns = int(np.ceil(np.sqrt(len(imgs))))
        image_io.save_image(image_io.make_grid(imgs, columns), outdir / "grid.png")
    print(f"Wrote {len(seeds)} images to {outdir}")


def write_projected_w(G, batch):
    """Writes proj00.png ... of the ws in --projected_w (G's synthesis, --noise_mode)."""
    import tensorflow as tf

    from tfgan_fs import images as image_io
    from tfgan_fs.projection import load_projected_w

    if FLAGS["seeds"].present or FLAGS["class"].value is not None or FLAGS.trunc != 1:
        print("warning: --seeds, --class and --trunc are ignored with --projected_w",
              file=sys.stderr)
    try:
        ws = load_projected_w(FLAGS.projected_w, G)
    except ValueError as err:
        fail(f"--projected_w: {err}")

    @tf.function
    def synthesize(ws):
        return G.synthesis(ws, noise_mode=FLAGS.noise_mode)

    outdir = pathlib.Path(FLAGS.outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    for i in range(0, len(ws), batch):
        imgs = image_io.to_uint8(tf.cast(synthesize(tf.constant(ws[i:i + batch])), tf.float32))
        for idx, img in enumerate(imgs, start=i):
            image_io.save_image(img, outdir / f"proj{idx:02d}.png")
    print(f"Wrote {len(ws)} images of {FLAGS.projected_w} to {outdir}")


def write_interpolation(G, z, c, outdir, batch):
    """Writes interpolation.png and interpolation.gif of keyframes z [K, z_dim], labels c."""
    from tfgan_fs import images as image_io
    from tfgan_fs import interpolation

    options = dict(truncation_psi=FLAGS.trunc, truncation_cutoff=FLAGS.trunc_cutoff, batch=batch)
    grid = interpolation.interpolation_grid(G, z, c, steps=FLAGS.interp_steps + 1, **options)
    image_io.save_image(grid, outdir / "interpolation.png")
    frames = interpolation.w_interpolation_frames(G, z, c, steps=FLAGS.interp_steps, loop=True,
                                                  **options)
    image_io.save_gif(frames, outdir / "interpolation.gif", duration_ms=FLAGS.interp_ms)
    print(f"Wrote interpolation.png ({len(z) - 1} rows) and interpolation.gif ({len(frames)} "
          f"frames) to {outdir}")


if __name__ == "__main__":
    app.run(main)
