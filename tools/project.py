"""Invert images: find the ws whose G_ema images look like them (GAN inversion).

Examples:
    python tools/project.py --network=training-runs/00003-... --target=photo.jpg \
        --lpips=weights/lpips_vgg.npz --outdir=out [--save_video]
    python tools/generate.py --network=training-runs/00003-... --projected_w=out/projected_w.npz \
        --outdir=out
    python tools/project.py --network=RUN_DIR --target=photos/ --space=w+ --lpips=... \
        --outdir=out                                        # every image of a folder, W+

The StyleGAN2-ADA projector (NVlabs/stylegan2-ada-pytorch `projector.py`; tfgan_fs/projection.py):
the target is centre-cropped to a square and resized to G's resolution (Lanczos), then one w
(and the noise buffers) are optimised for --num_steps Adam steps to minimise the LPIPS-VGG16
distance (or, with --distance=mse, the mean squared pixel error: no weights needed). Writes
target.png (the cropped target), proj.png (G's image of the result, with G's own
constant noise, as the reference), projected_w.npz ('w': [1, num_ws, w_dim], the reference's
format, which generate.py --projected_w renders) and, with --save_video, proj.gif or proj.mp4
(--video_format; target | projection every --video_every steps). LPIPS weights: README.md,
"Metrics".

--space=w+ optimises one w per layer (num_ws of them; --w_plus_reg pulls them toward one w),
closer fits that still render with generators of the same num_ws (e.g. an adapted one).
--init=FILE.npz starts from given ws (e.g. an earlier projection) instead of the mean w.
--target=FOLDER projects every image of the folder, --batch at a time (a batch shares the noise
buffers): one sub-folder per image (<name>/target.png, proj.png, projected_w.npz, video) and
projected_w.npz of all ('w' [N, num_ws, w_dim] in file-name order, 'names' their files).
Every file of the folder is read first; unreadable ones are named and nothing is projected,
unless --skip_unreadable (then they are named, listed in skipped.txt, and the rest projected).
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
flags.DEFINE_string("target", None, "Image file to project (PNG, JPEG, ...), or a folder: every "
                    "image in it (not recursive). Centre-cropped to a square and resized to G's "
                    "resolution.")
flags.DEFINE_string("outdir", None, "Output directory (created if needed).")
flags.DEFINE_integer("num_steps", 1000, "Optimisation steps.")
flags.DEFINE_integer("seed", 303, "Seed of the initial noise buffers and the w noise.")
flags.DEFINE_integer("w_avg_samples", 10000, "Mapped z samples for the mean w (the start) and "
                     "the w spread.")
flags.DEFINE_integer("class", None, "Class index for conditional networks (required for them).")
flags.DEFINE_enum("space", "w", ["w", "w+"], "Optimise one w for all layers (w, the reference) "
                  "or one w per layer (w+: closer fits, ws off the mapping's output).")
flags.DEFINE_float("w_plus_reg", 0.0, "With --space=w+: weight of mean((w_layer - "
                   "mean_layers(w))^2), pulling the layers' ws toward one w (0: none).")
flags.DEFINE_string("init", "mean", "Start: 'mean' (the mean w, as the reference) or an .npz "
                    "with 'w' [1 or N, num_ws, w_dim] (e.g. a projected_w.npz; N = the number "
                    "of targets, in file-name order).")
flags.DEFINE_integer("batch", 8, "Images of a --target folder projected at once (they share "
                     "the noise buffers; 1 = the reference projector for each image).")
flags.DEFINE_boolean("skip_unreadable", False, "With a --target folder: project the readable "
                     "images, name the others and list them in skipped.txt (default: an error "
                     "naming them, nothing projected).")
flags.DEFINE_boolean("save_video", False, "Also write proj.gif or proj.mp4 (--video_format): "
                     "target | projection, one frame every --video_every steps and the last.")
flags.DEFINE_integer("video_every", 10, "Steps between the frames of the --save_video video.")
flags.DEFINE_enum("video_format", "gif", ["gif", "mp4"], "Format of the --save_video video: gif "
                  "or mp4 (H.264).")
flags.DEFINE_float("video_fps", 20, "Frames per second of the --save_video video.")
flags.DEFINE_string("lpips", None, "LPIPS-VGG16 weights converted with tools/convert_lpips.py "
                    "(lpips_vgg.npz; default $TFGAN_FS_LPIPS).")
flags.DEFINE_enum("distance", "lpips", ["lpips", "mse"], "What the projector minimises: lpips "
                  "(LPIPS-VGG16, the reference) or mse (mean squared pixel error: no weights "
                  "needed, blurrier fits; a quick look on a CPU).")
flags.mark_flags_as_required(["network", "target", "outdir"])


def check_flags():
    if not os.path.exists(FLAGS.target):
        fail(f"--target: '{FLAGS.target}' does not exist (give the image file or folder to "
             f"project)")
    if not os.path.exists(FLAGS.network):
        fail(f"--network: '{FLAGS.network}' does not exist (give a run directory or checkpoint "
             f"of tools/train.py, an official network pickle (.pkl) or a rosinality "
             f"checkpoint (.pt))")
    for flag in ("num_steps", "w_avg_samples", "video_every", "batch"):
        if FLAGS[flag].value < 1:
            fail(f"--{flag} must be >= 1")
    if not FLAGS.video_fps > 0:
        fail("--video_fps must be > 0")
    if FLAGS.w_plus_reg < 0:
        fail("--w_plus_reg must be >= 0")
    if FLAGS.w_plus_reg and FLAGS.space != "w+":
        fail("--w_plus_reg applies to --space=w+ only")
    if FLAGS.init != "mean" and not os.path.isfile(FLAGS.init):
        fail(f"--init: '{FLAGS.init}' is neither 'mean' nor an existing .npz of ws")


def read_targets(resolution, channels):
    """[(name, path, image)] of --target (a file, or the files of a folder in name order)."""
    from tfgan_fs import projection

    if os.path.isfile(FLAGS.target):
        try:
            image = projection.load_target_image(FLAGS.target, resolution, channels)
        except ValueError as err:
            fail(f"--target: {err}")
        return [(None, FLAGS.target, image)], []
    paths = sorted(p for p in pathlib.Path(FLAGS.target).iterdir()
                   if p.is_file() and not p.name.startswith("."))
    targets, unreadable = [], []
    stems = [p.stem for p in paths]
    for path in paths:
        name = path.stem if stems.count(path.stem) == 1 else path.name
        try:
            targets.append((name, path, projection.load_target_image(path, resolution,
                                                                     channels)))
        except ValueError as err:
            unreadable.append((path, err))
    if unreadable and not FLAGS.skip_unreadable:
        names = "\n".join(f"  {path}: {err}" for path, err in unreadable)
        fail(f"--target: {len(unreadable)} of the {len(paths)} files in '{FLAGS.target}' are "
             f"not readable images (nothing projected; --skip_unreadable projects the rest):"
             f"\n{names}")
    if not targets:
        fail(f"--target: no readable image in '{FLAGS.target}'")
    for path, err in unreadable:
        print(f"warning: skipped {path}: {err}", file=sys.stderr)
    return targets, [path for path, _ in unreadable]


def write_npz(path, **arrays):
    import numpy as np

    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with open(tmp, "wb") as f:
        np.savez(f, **arrays)
    os.replace(tmp, path)


def main(argv):
    if len(argv) > 1:
        fail(f"unexpected arguments {argv[1:]}")
    check_flags()  # cheap checks first (before TensorFlow loads)

    from absl import logging
    logging.set_verbosity(logging.WARNING)
    import numpy as np
    import tensorflow as tf
    import tqdm

    from tfgan_fs import images as image_io
    from tfgan_fs import projection
    from tfgan_fs.cli.generators import class_label
    from tfgan_fs.export import find_saved_model
    from tfgan_fs.figures import video
    from tfgan_fs.metrics.lpips import LPIPS
    from tfgan_fs.metrics.weights import MissingWeightsError
    from tfgan_fs.convert.sources import load_generator

    if FLAGS.distance == "lpips":
        lpips_path = FLAGS.lpips or os.environ.get("TFGAN_FS_LPIPS")
        try:
            distance = LPIPS.load(lpips_path, flag="--lpips")
        except (MissingWeightsError, ValueError) as err:
            fail(str(err))
        if distance.net != "vgg":
            fail(f"--lpips: '{lpips_path}' holds {distance.net} LPIPS weights; the projector "
                 f"uses LPIPS-VGG16 as the reference (convert with tools/convert_lpips.py "
                 f"--net=vgg)")
    else:
        def distance(a, b):
            return tf.reduce_mean(tf.square(a - b), axis=[1, 2, 3])
    if find_saved_model(FLAGS.network) is not None:
        fail("--network: projection needs G's mapping and synthesis: pass the run or checkpoint "
             "instead of an exported SavedModel")
    try:
        G = load_generator(FLAGS.network, "G_ema")
    except ValueError as err:
        fail(f"--network: {err}")
    c = class_label(G, FLAGS["class"].value)
    targets, skipped = read_targets(G.img_resolution, G.img_channels)
    init = None
    if FLAGS.init != "mean":
        try:
            init = projection.load_projected_w(FLAGS.init, G)
        except ValueError as err:
            fail(f"--init: {err}")
        if len(init) not in (1, len(targets)):
            fail(f"--init: '{FLAGS.init}' holds {len(init)} ws for {len(targets)} targets "
                 f"(give 1, or one per target)")

    @tf.function
    def synthesize(ws):
        return G.synthesis(ws, noise_mode="const")

    def render(ws):  # G's own constant noise, as the reference's outputs
        return image_io.to_uint8(tf.cast(synthesize(tf.constant(ws)), tf.float32))

    outdir = pathlib.Path(FLAGS.outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    batch = 1 if targets[0][0] is None else FLAGS.batch
    record_every = FLAGS.video_every if FLAGS.save_video else None
    all_ws, last_dist = [], []
    for start in range(0, len(targets), batch):
        chunk = targets[start:start + batch]
        images = np.stack([image for _, _, image in chunk])
        chunk_init = None if init is None else (init if len(init) == 1 else
                                                init[start:start + batch])
        desc = "Projecting" + (f" {start + 1}-{start + len(chunk)}/{len(targets)}"
                               if len(targets) > 1 else "")
        with tqdm.tqdm(total=FLAGS.num_steps, desc=desc, unit="step") as bar:
            def progress(step, dist, loss):
                bar.set_postfix(dist=f"{float(dist.mean()):.4f}", loss=f"{loss:.4f}",
                                refresh=False)
                bar.update(1)

            try:
                result = projection.project_batch(
                    G, images, distance, space=FLAGS.space, w_plus_reg=FLAGS.w_plus_reg,
                    init_ws=chunk_init, num_steps=FLAGS.num_steps,
                    w_avg_samples=FLAGS.w_avg_samples, c=c, seed=FLAGS.seed,
                    record_every=record_every, progress=progress)
            except ValueError as err:
                fail(f"--init: {err}")
        for i, (name, _, image) in enumerate(chunk):
            where = outdir if name is None else outdir / name
            where.mkdir(parents=True, exist_ok=True)
            if FLAGS.save_video:
                frames = (np.concatenate([image, render(ws[i:i + 1])[0]], axis=1)
                          for ws in tqdm.tqdm(result.recorded.values(), desc="Video",
                                              unit="frame"))
                video.write_video(frames, where / f"proj.{FLAGS.video_format}",
                                  fps=FLAGS.video_fps)
            image_io.save_image(image, where / "target.png")
            image_io.save_image(render(result.w[i:i + 1])[0], where / "proj.png")
            write_npz(where / "projected_w.npz", w=result.w[i:i + 1])
        all_ws.append(result.w)
        last_dist.append(result.dist[-1])
    written = "target.png, proj.png, projected_w.npz" + (
        f", proj.{FLAGS.video_format}" if FLAGS.save_video else "")
    if targets[0][0] is None:
        print(f"Final distance {last_dist[0][0]:.4f}; wrote {written} to {outdir}")
        return
    names = np.array([str(path.name) for _, path, _ in targets])
    write_npz(outdir / "projected_w.npz", w=np.concatenate(all_ws), names=names)
    if skipped:
        tmp = outdir / f".skipped.txt.tmp-{os.getpid()}"
        tmp.write_text("".join(f"{p}\n" for p in skipped))
        os.replace(tmp, outdir / "skipped.txt")
    dist = np.concatenate(last_dist)
    print(f"Projected {len(targets)} images into {FLAGS.space.upper()} (final distance mean "
          f"{dist.mean():.4f}, max {dist.max():.4f}); wrote <name>/{{{written}}} and "
          f"projected_w.npz (all, with their file names) to {outdir}"
          + (f"; skipped {len(skipped)} unreadable files (skipped.txt)" if skipped else ""))


if __name__ == "__main__":
    app.run(main)
