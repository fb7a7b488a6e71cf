"""Latent-walk videos (MP4 or GIF) of one generator, or of several side by side.

Examples:
    python tools/gen_video.py --network=RUN_DIR --seeds=0-31 --grid=2x2 --output=walk.mp4
    python tools/gen_video.py --network=RUN_DIR --seeds=0-2 --w_frames=30 --kind=linear \
        --output=walk.gif
    python tools/gen_video.py --network=source_run --network=adapted_run --seeds=0-7 \
        --output=compare.mp4                                # StyleGAN-NADA generate_videos.py

As stylegan3's gen_video.py (tfgan_fs/figures/latent_walk.py): the --seeds fill a gw x gh grid
(--grid=WxH) with --num_keyframes seeds per tile (default: as many as the seeds allow; seed
i * K + k is keyframe k of tile i, tiles row by row); each seed's z = RandomState(seed).randn is
mapped to W (--trunc) and each tile walks through its keyframes in W, --w_frames frames from one
keyframe to the next, cubic or linear (--kind), looping back to its first keyframe (K * w_frames
frames). Several --network values walk the same z side by side, each through its own mapping
(networks of one resolution and z_dim). Noise is constant, so only w moves. Frames are rendered
and encoded one at a time (memory flat in the length); MP4 is H.264 through imageio-ffmpeg.
"""

import pathlib

from absl import app
from absl import flags

from tfgan_fs.cli.errors import fail

FLAGS = flags.FLAGS
flags.DEFINE_multi_string("network", None, "Run directory or checkpoint directory to load "
                          "G_ema from, or an official network pickle (.pkl) or a rosinality "
                          "checkpoint (.pt). Repeat it to walk several networks side by side "
                          "on the same latents (same resolution and z_dim).")
flags.DEFINE_string("seeds", "0-31", "Keyframe seeds: gw * gh * --num_keyframes of them, e.g. "
                    "0-31 for a 2x2 grid of 8 keyframes.")
flags.DEFINE_string("grid", "1x1", "Tiles per frame, WIDTHxHEIGHT, e.g. 2x2.")
flags.DEFINE_integer("num_keyframes", None, "Keyframes per tile (default: len(seeds) // "
                     "(gw * gh)).")
flags.DEFINE_integer("w_frames", 120, "Frames from one keyframe to the next (stylegan3's "
                     "--w-frames).")
flags.DEFINE_enum("kind", "cubic", ["cubic", "linear"], "Interpolation of the ws between "
                  "keyframes.")
flags.DEFINE_boolean("loop", True, "Walk back from the last keyframe to the first (a seamless "
                     "loop); --noloop stops on the last keyframe.")
flags.DEFINE_float("trunc", 1.0, "Truncation psi of the keyframes' ws (1 = none).")
flags.DEFINE_integer("trunc_cutoff", None, "Truncate only the first N ws (default: all).")
flags.DEFINE_integer("class", None, "Class index for conditional networks (required for them).")
flags.DEFINE_string("output", None, "Video file to write: .mp4 (H.264) or .gif.")
flags.DEFINE_float("fps", 60, "Frames per second (stylegan3's gen_video.py writes 60).")
flags.DEFINE_integer("crf", 18, "MP4 quality, the x264 constant rate factor: 0 lossless, 18 "
                     "visually near-lossless, 51 worst.")
flags.DEFINE_integer("batch", 16, "Images synthesised per call.")
flags.mark_flags_as_required(["network", "output"])


def parse_grid(text):
    try:
        gw, gh = (int(v) for v in text.lower().split("x"))
        if gw < 1 or gh < 1:
            raise ValueError
    except ValueError:
        fail(f"--grid: expected WIDTHxHEIGHT with positive integers, e.g. 2x2, got {text!r}")
    return gw, gh


def main(argv):
    if len(argv) > 1:
        fail(f"unexpected arguments {argv[1:]}")
    from tfgan_fs.cli.seeds import parse_int_ranges
    from tfgan_fs.figures import video

    try:
        seeds = parse_int_ranges(FLAGS.seeds)
    except ValueError as err:
        fail(f"--seeds: {err}")
    gw, gh = parse_grid(FLAGS.grid)
    num_keyframes = FLAGS.num_keyframes or len(seeds) // (gw * gh)
    if num_keyframes < 2:
        fail(f"--seeds: a {gw}x{gh} grid walks through at least 2 keyframes per tile: give at "
             f"least {2 * gw * gh} seeds (got {len(seeds)})")
    if len(seeds) < num_keyframes * gw * gh:
        fail(f"--seeds: {gw}x{gh} tiles x {num_keyframes} keyframes need "
             f"{num_keyframes * gw * gh} seeds, got {len(seeds)}")
    for flag in ("w_frames", "batch"):
        if FLAGS[flag].value < 1:
            fail(f"--{flag} must be >= 1")
    if not FLAGS.fps > 0:
        fail("--fps must be > 0")
    if not 0 <= FLAGS.crf <= 51:
        fail("--crf must be in [0, 51]")
    try:
        video.video_format(FLAGS.output)
    except ValueError as err:
        fail(f"--output: {err}")

    from absl import logging
    logging.set_verbosity(logging.WARNING)
    import numpy as np
    import tqdm

    from tfgan_fs.cli.generators import class_label, load_generators
    from tfgan_fs.figures import latent_walk

    generators = load_generators(FLAGS.network, "walks in W")
    G = generators[0]
    label = class_label(G, FLAGS["class"].value)

    seeds = seeds[:num_keyframes * gw * gh]
    z = np.concatenate([np.random.RandomState(s).randn(1, G.z_dim) for s in seeds])
    z = z.reshape([gw * gh, num_keyframes, G.z_dim])
    keyframe_ws = [latent_walk.walk_keyframe_ws(g, z, label, FLAGS.trunc, FLAGS.trunc_cutoff)
                   for g in generators]
    num_frames = latent_walk.num_walk_frames(num_keyframes, FLAGS.w_frames, FLAGS.loop)
    frames = latent_walk.iter_walk_frames(
        generators, keyframe_ws, (gw, gh), FLAGS.w_frames, FLAGS.kind, FLAGS.loop,
        FLAGS.batch, progress=lambda r: tqdm.tqdm(r, desc="Rendering", unit="frame"))
    output = pathlib.Path(FLAGS.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    count = video.write_video(frames, output, fps=FLAGS.fps, crf=FLAGS.crf)
    assert count == num_frames
    print(f"Wrote {output} ({count} frames, {count / FLAGS.fps:.1f} s at {FLAGS.fps:g} fps; "
          f"{gw}x{gh} tiles x {len(generators)} network(s), {num_keyframes} keyframes)")


if __name__ == "__main__":
    app.run(main)
