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
constant noise; --seeds, --trunc and --class do not apply). Any generator with the same w_dim
renders W ws (one w for all layers; broadcast to its num_ws), and any with the same num_ws too
renders W+ ws, e.g. one adapted from the projected one (README.md, "Figures and videos").

Figures (README.md, "Figures and videos"; tfgan_fs/figures/; one mode at a time, instead of the
seed images):
    --network=A --network=B ...   comparison.png: one row per network, the same --seeds
    --style_mix --rows=0-3 --cols=10-13 --styles=0-6
                                  stylemix.png (NVlabs style_mixing.py) and mix<row>-<col>.png
    --trunc_sweep=1,0.7,0.5,0     trunc_sweep.png: one row of --seeds per psi
    --direction=FILE.npy --strengths=-3,0,3
                                  direction.png: one row per seed, one column per strength
    --pca_directions=N            pca_directions.npy (GANSpace) and pca_directions.png
Videos of latent walks: tools/gen_video.py.
"""

import os
import pathlib
import sys

from absl import app
from absl import flags

from tfgan_fs.cli.errors import fail

FLAGS = flags.FLAGS
flags.DEFINE_multi_string("network", None, "Run directory or checkpoint directory to load "
                          "G_ema from, a SavedModel written by tools/export.py, or "
                          "an official network pickle (.pkl: StyleGAN2-ADA, GGDR) or a "
                          "rosinality checkpoint (.pt: StyleGAN-NADA, CDC, MixDL), converted on "
                          "the fly. Repeat it (--network=A --network=B) for comparison.png: "
                          "the same seeds through each network, one row each (same "
                          "resolution and z_dim).")
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
                    "tools/project.py: write proj00.png ... of them instead of seed images. W "
                    "ws render with any network of their w_dim, W+ ws with any of their num_ws "
                    "and w_dim.")
flags.DEFINE_boolean("style_mix", False, "Write the style-mixing figure (NVlabs "
                     "style_mixing.py): stylemix.png (column sources --cols across the top, row "
                     "sources --rows down the left, each cell the row's ws with the column's ws "
                     "at --styles) and each cell as mix<row>-<col>.png.")
flags.DEFINE_string("rows", "85,100,75,458,1500", "Row seeds of --style_mix (their ws are "
                    "kept outside --styles).")
flags.DEFINE_string("cols", "55,821,1789,293", "Column seeds of --style_mix (their ws replace "
                    "the rows' at --styles).")
flags.DEFINE_string("styles", "0-6", "Layer (w) indices the columns give in --style_mix, e.g. "
                    "0-6 (coarse: pose, shape; the reference's default), 4-7 (middle), 8-13 "
                    "(fine: colours); 0 ... num_ws - 1.")
flags.DEFINE_list("trunc_sweep", None, "Truncation psis, e.g. 1,0.7,0.5,0: write "
                  "trunc_sweep.png, one row of --seeds per psi (psi 0 is the mean image).")
flags.DEFINE_string("direction", None, "A direction in W (.npy of [w_dim], or [N, w_dim] with "
                    "--direction_index; e.g. pca_directions.npy): write direction.png, one row "
                    "per seed, one column per --strengths.")
flags.DEFINE_integer("direction_index", 0, "Row of a [N, w_dim] --direction file (0: the first "
                     "principal direction of a pca_directions.npy).")
flags.DEFINE_list("strengths", ["-3", "0", "3"], "Edit strengths of --direction and "
                  "--pca_directions, in standard deviations of W along the direction (measured "
                  "on --pca_samples sampled ws).")
flags.DEFINE_string("edit_layers", None, "Layer (w) indices the edit moves, e.g. 0-5 (default "
                    "all).")
flags.DEFINE_integer("pca_directions", None, "Write the top N principal directions of W "
                     "(GANSpace: PCA of the ws of --pca_samples random z) as pca_directions.npy "
                     "[N, w_dim], and pca_directions.png: one row per direction of the first "
                     "seed at --strengths.")
flags.DEFINE_integer("pca_samples", 10000, "Sampled z for --pca_directions and for the "
                     "standard deviation along a --direction.")
flags.mark_flags_as_required(["network", "outdir"])


def parse_floats(values, flag):
    try:
        floats = [float(v) for v in values]
    except ValueError:
        fail(f"--{flag}: expected comma-separated numbers, e.g. 1,0.7,0, got {','.join(values)}")
    if not floats:
        fail(f"--{flag}: give at least one value")
    return floats


def check_flags():
    """Checks the flags that need no network; returns the figure mode (None: seed images)."""
    from tfgan_fs.cli.seeds import parse_int_ranges

    for flag in ("seeds", "rows", "cols", "styles"):
        try:
            parse_int_ranges(FLAGS[flag].value)
        except ValueError as err:
            fail(f"--{flag}: {err}")
    if FLAGS.batch < 1:
        fail("--batch must be >= 1")
    modes = selected_modes()
    if len(modes) > 1:
        fail(f"{' and '.join('--' + m for m in modes)} exclude each other (one figure at a "
             "time)")
    mode = modes[0] if modes else None
    if len(FLAGS.network) > 1 and mode is not None:
        fail(f"several --network values make comparison.png of --seeds; --{mode} takes one "
             f"network")
    if FLAGS.trunc_sweep is not None:
        parse_floats(FLAGS.trunc_sweep, "trunc_sweep")
    if mode in ("direction", "pca_directions"):
        parse_floats(FLAGS.strengths, "strengths")
        if FLAGS.pca_samples < 2:
            fail("--pca_samples must be >= 2")
        if FLAGS.edit_layers is not None:
            try:
                parse_int_ranges(FLAGS.edit_layers)
            except ValueError as err:
                fail(f"--edit_layers: {err}")
    if FLAGS.pca_directions is not None and FLAGS.pca_directions < 1:
        fail("--pca_directions must be >= 1")
    if FLAGS.direction is not None and not os.path.isfile(FLAGS.direction):
        fail(f"--direction: '{FLAGS.direction}' does not exist (an .npy of [w_dim] or "
             f"[N, w_dim], e.g. pca_directions.npy of --pca_directions)")
    if FLAGS.projected_w is not None and not os.path.isfile(FLAGS.projected_w):
        fail(f"--projected_w: '{FLAGS.projected_w}' does not exist (tools/project.py "
             f"writes projected_w.npz)")
    return mode


def selected_modes():
    """The figure flags given (--interpolate, --projected_w, --style_mix, ...)."""
    given = {"interpolate": FLAGS.interpolate is not None,
             "projected_w": FLAGS.projected_w is not None,
             "style_mix": FLAGS.style_mix,
             "trunc_sweep": FLAGS.trunc_sweep is not None,
             "direction": FLAGS.direction is not None,
             "pca_directions": FLAGS.pca_directions is not None}
    return [mode for mode, on in given.items() if on]


def main(argv):
    if len(argv) > 1:
        fail(f"unexpected arguments {argv[1:]}")
    from absl import logging
    logging.set_verbosity(logging.WARNING)
    mode = check_flags()
    import numpy as np
    import tensorflow as tf
    import tqdm

    from tfgan_fs import images as image_io
    from tfgan_fs.cli.seeds import parse_int_ranges
    from tfgan_fs.export import ExportedGenerator, find_saved_model, seed_latents
    from tfgan_fs.cli.generators import load_generators
    from tfgan_fs.convert.sources import load_generator

    seeds = parse_int_ranges(FLAGS.seeds)
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
    batch = FLAGS.batch
    networks = FLAGS.network
    generators = None
    if len(networks) == 1 and find_saved_model(networks[0]) is not None:
        if FLAGS.noise_mode != "const":
            fail("--noise_mode: an exported SavedModel has constant noise only (use the "
                 "checkpoint for other noise modes)")
        if FLAGS.trunc_cutoff is not None:
            fail("--trunc_cutoff: an exported SavedModel truncates all ws (use the checkpoint "
                 "for a cutoff)")
        try:
            G = ExportedGenerator(networks[0])
        except ValueError as err:
            fail(f"--network: {err}")
        if mode is not None:
            fail(f"--{mode} needs G's mapping and synthesis: pass the run or checkpoint "
                 "instead of an exported SavedModel")
        batch = min(batch, G.max_batch or batch)

        def generate(z, c):
            return G(z, c, FLAGS.trunc)
    else:
        if len(networks) == 1:
            try:
                generators = [load_generator(networks[0], "G_ema")]
            except ValueError as err:
                fail(f"--network: {err} (nor is it a SavedModel written by tools/export.py)")
        else:
            generators = load_generators(networks, "comparison pictures")
        G = generators[0]

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
            return seed_latents(chunk, G.z_dim).numpy().astype(np.float32)
        return np.concatenate([np.random.RandomState(s).randn(1, G.z_dim)
                               for s in chunk]).astype(np.float32)

    outdir = pathlib.Path(FLAGS.outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    if keyframes is not None:
        write_interpolation(G, latents(keyframes), np.repeat(label, len(keyframes), 0), outdir,
                            batch)
        return
    if mode is not None:
        writer = {"style_mix": write_style_mix, "trunc_sweep": write_trunc_sweep,
                  "direction": write_direction, "pca_directions": write_pca_directions}[mode]
        writer(G, latents, label, outdir)
        return
    if generators is not None and len(generators) > 1:
        from tfgan_fs.figures import comparison
        grid, _ = comparison.comparison_grid(
            generators, latents(seeds), np.repeat(label, len(seeds), 0),
            truncation_psi=FLAGS.trunc, truncation_cutoff=FLAGS.trunc_cutoff,
            noise_mode=FLAGS.noise_mode, batch=batch)
        image_io.save_image(grid, outdir / "comparison.png")
        rows = "\n".join(f"  row {i}: {n}" for i, n in enumerate(networks))
        print(f"Wrote comparison.png ({len(networks)} networks x {len(seeds)} seeds) to "
              f"{outdir}:\n{rows}")
        return
    results = []
    for i in tqdm.trange(0, len(seeds), batch, desc="Generating", unit="batch"):
        chunk = seeds[i:i + batch]
        z = latents(chunk)
        imgs = generate(z, np.repeat(label, len(chunk), 0))
        for seed, img in zip(chunk, imgs):
            image_io.save_image(img, outdir / f"seed{seed:04d}.png")
        results.append(imgs)
    if FLAGS.grid:
        imgs = np.concatenate(results)
        columns = int(np.ceil(np.sqrt(len(imgs))))
        image_io.save_image(image_io.make_grid(imgs, columns), outdir / "grid.png")
    print(f"Wrote {len(seeds)} images to {outdir}")


def mapped_ws(G, z, label, psi=None):
    """ws [N, num_ws, w_dim] of z through G's mapping with --trunc / --trunc_cutoff."""
    import numpy as np
    import tensorflow as tf

    ws = G.mapping(tf.constant(z), tf.constant(np.repeat(label, len(z), 0)),
                   truncation_psi=FLAGS.trunc if psi is None else psi,
                   truncation_cutoff=FLAGS.trunc_cutoff)
    return np.asarray(tf.cast(ws, tf.float32))


def write_style_mix(G, latents, label, outdir):
    """stylemix.png and mix<row>-<col>.png (NVlabs style_mixing.py)."""
    from tfgan_fs import images as image_io
    from tfgan_fs.cli.seeds import parse_int_ranges
    from tfgan_fs.figures import style_mixing

    rows, cols = parse_int_ranges(FLAGS.rows), parse_int_ranges(FLAGS.cols)
    styles = sorted(set(parse_int_ranges(FLAGS.styles)))
    try:
        grid, cells, _, _ = style_mixing.style_mixing_grid(
            G, mapped_ws(G, latents(rows), label), mapped_ws(G, latents(cols), label), styles,
            noise_mode=FLAGS.noise_mode, batch=FLAGS.batch)
    except ValueError as err:
        fail(f"--styles: {err}")
    for i, row in enumerate(rows):
        for j, col in enumerate(cols):
            image_io.save_image(cells[i, j], outdir / f"mix{row}-{col}.png")
    image_io.save_image(grid, outdir / "stylemix.png")
    print(f"Wrote stylemix.png ({len(rows)} rows x {len(cols)} columns, styles "
          f"{FLAGS.styles}) and {len(rows) * len(cols)} mix<row>-<col>.png to {outdir}")


def write_trunc_sweep(G, latents, label, outdir):
    """trunc_sweep.png: one row of --seeds per psi."""
    import numpy as np

    from tfgan_fs import images as image_io
    from tfgan_fs.cli.seeds import parse_int_ranges
    from tfgan_fs.figures import truncation

    seeds = parse_int_ranges(FLAGS.seeds)
    psis = parse_floats(FLAGS.trunc_sweep, "trunc_sweep")
    if FLAGS["trunc"].present:
        print("warning: --trunc is ignored with --trunc_sweep", file=sys.stderr)
    grid, _ = truncation.truncation_sweep(G, latents(seeds), psis,
                                          np.repeat(label, len(seeds), 0), FLAGS.trunc_cutoff,
                                          FLAGS.noise_mode, FLAGS.batch)
    image_io.save_image(grid, outdir / "trunc_sweep.png")
    print(f"Wrote trunc_sweep.png (rows psi = {', '.join(f'{p:g}' for p in psis)}; "
          f"{len(seeds)} seeds) to {outdir}")


def edit_picture(G, ws, direction, sigma, strengths):
    """uint8 grid: one row per w of ws [N, num_ws, w_dim], one column per strength."""
    import numpy as np

    from tfgan_fs import images as image_io
    from tfgan_fs import interpolation
    from tfgan_fs.cli.seeds import parse_int_ranges
    from tfgan_fs.figures import directions

    layers = None if FLAGS.edit_layers is None else parse_int_ranges(FLAGS.edit_layers)
    if layers is not None and max(layers) >= G.num_ws:
        fail(f"--edit_layers: this network has num_ws = {G.num_ws} (layers 0-{G.num_ws - 1})")
    edited = directions.edit_ws(ws, direction, np.asarray(strengths) * sigma, layers)
    edited = edited.transpose(1, 0, 2, 3).reshape((-1,) + edited.shape[2:])  # row per w
    if FLAGS.noise_mode != "const":
        print("warning: edits use constant noise (only w changes)", file=sys.stderr)
    return image_io.make_grid(interpolation.synthesize(G, edited, FLAGS.batch), len(strengths))


def write_direction(G, latents, label, outdir):
    """direction.png: --seeds moved along --direction by --strengths."""
    from tfgan_fs import images as image_io
    from tfgan_fs.cli.seeds import parse_int_ranges
    from tfgan_fs.figures import directions

    try:
        direction = directions.load_direction(FLAGS.direction, G.w_dim, FLAGS.direction_index)
    except ValueError as err:
        fail(f"--direction: {err}")
    seeds = parse_int_ranges(FLAGS.seeds)
    strengths = parse_floats(FLAGS.strengths, "strengths")
    sigma = directions.direction_sigma(directions.sample_ws(G, FLAGS.pca_samples, c=label),
                                       direction)
    grid = edit_picture(G, mapped_ws(G, latents(seeds), label), direction, sigma, strengths)
    image_io.save_image(grid, outdir / "direction.png")
    print(f"Wrote direction.png ({len(seeds)} seeds x strengths {','.join(FLAGS.strengths)}; "
          f"one standard deviation = {sigma:.4g} in W) to {outdir}")


def write_pca_directions(G, latents, label, outdir):
    """pca_directions.npy [N, w_dim] and pca_directions.png (GANSpace)."""
    import numpy as np

    from tfgan_fs import images as image_io
    from tfgan_fs.cli.seeds import parse_int_ranges
    from tfgan_fs.figures import directions

    if FLAGS.pca_directions > G.w_dim:
        fail(f"--pca_directions: W has {G.w_dim} dimensions; ask for at most {G.w_dim}")
    strengths = parse_floats(FLAGS.strengths, "strengths")
    found, sigmas, _ = directions.pca_directions(
        directions.sample_ws(G, FLAGS.pca_samples, c=label), FLAGS.pca_directions)
    seed = parse_int_ranges(FLAGS.seeds)[0]
    w = mapped_ws(G, latents([seed]), label)
    rows = [edit_picture(G, w, d, s, strengths) for d, s in zip(found, sigmas)]
    path = outdir / "pca_directions.npy"
    tmp = outdir / f".pca_directions.npy.tmp-{os.getpid()}"
    with open(tmp, "wb") as f:
        np.save(f, found)
    os.replace(tmp, path)
    image_io.save_image(np.concatenate(rows), outdir / "pca_directions.png")
    print(f"Wrote pca_directions.npy ({len(found)} directions; standard deviations "
          f"{', '.join(f'{s:.3g}' for s in sigmas)}) and pca_directions.png (seed {seed}, one "
          f"row per direction) to {outdir}")


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
