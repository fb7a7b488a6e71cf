r"""Translate images with StarGAN v2 networks (a --method=stargan_v2 run or a converted checkpoint).

Examples (AFHQ, the reference's assets/representative/afhq/{src,ref}/<domain>/ layout):
    python tools/translate.py --network=RUN_DIR --src=afhq/src --ref=afhq/ref --outdir=out
    python tools/translate.py --network=RUN_DIR --src=afhq/src --y=dog,wild --num_z=10 \
        --psi=0.5,0.7,1.0 --outdir=out                   # latent-guided, 3 truncations
    python tools/translate.py --network=RUN_DIR --mode=reference,video --src=afhq/src \
        --ref=afhq/ref --outdir=out                      # the reference's sample mode
    python tools/translate.py --network=RUN_DIR --src=cat.png --ref=dog.png --y=dog --outdir=out

Modes (--mode, one or a comma-separated list; by default single when --ref is one image,
reference when --ref is a folder, latent without --ref):
  latent     latent_psi_<psi>.png for each --psi: the sources in the first row, then for each
             target domain (--y) --num_z rows G(x, s), s = F_y(z) truncated toward the domain's
             mean style (of 10000 latents) when psi < 1. z ~ N(0, I) from --seed, one z per row.
  reference  reference.png: white top-left tile, the sources across the top, the references
             (those of the --y domains) down the left, G(x_src, E_y(x_ref)) in between. When the
             sources are in domain folders, also cycle.png: rows sources, references (paired in
             turn), translations and reconstructions G(G(x, s_ref), E(x, y_src)).
  video      video_ref.gif (or .mp4, --video_format): for each pair of consecutive references
             of one domain, the sources' translations as the style moves from one reference to
             the next (the reference's video_ref; references sorted by domain, then file name).
  video_latent
             video_latent.gif (or .mp4): the latent-guided counterpart (the reference's
             video_latent): for each --y domain, the style walks through the --num_z latents'
             styles (truncated with the first --psi), each source above its translation.
  single     one PNG per translation, <src>_to_<domain>_<ref>.png with --ref, or
             <src>_to_<domain>_z<k>.png (latent-guided, _psi<psi> added for several --psi)
             without it. Domains are named by their folder, or by index.

--src is an image file or a folder of images: either flat, or one sub-folder per domain
(src/<domain>/*.png, sorted names = domain indices, as the reference's ImageFolder); the domain
of a source matters only for cycle.png. --ref is an image file (its domain from --y) or a
folder: one sub-folder per domain (as the reference's assets/representative/<dataset>/ref), or
flat with one domain from --y. Domain folders must match the network's number of domains; their
names are accepted by --y. Images are resized to the network's size (bilinear, any aspect)
and mapped to [-1, 1]. EMA networks are used unless --no_ema. video_ref.gif tiles are at most
128 px by default (--video_size): a GIF of all AFHQ sources at 256 px would be 4128 px wide.
"""

import os
import pathlib
import sys

from absl import app
from absl import flags

from tfgan_fs.cli.errors import fail

MODES = ("latent", "reference", "single", "video", "video_latent")

FLAGS = flags.FLAGS
flags.DEFINE_string("network", None, "Run directory or checkpoint directory of StarGAN v2 "
                    "networks (--method=stargan_v2 training or tools/convert_stargan_v2.py).")
flags.DEFINE_boolean("no_ema", False, "Use the trained networks instead of their EMA copies "
                     "(the reference samples with the EMA networks).")
flags.DEFINE_string("outdir", None, "Output directory (created if needed).")
flags.DEFINE_list("mode", None, "What to write, one or more of latent, reference, video, "
                  "video_latent, single, e.g. reference,video as the reference's sample mode "
                  "(default: single when --ref is an image, reference when it is a folder, "
                  "latent without --ref).")
flags.DEFINE_string("src", None, "Source image, or folder of images (flat or one sub-folder per "
                    "domain).")
flags.DEFINE_string("ref", None, "Reference image (domain from --y), or folder with one "
                    "sub-folder per domain (or flat, one --y domain).")
flags.DEFINE_list("y", None, "Target domains, indices or folder names, e.g. 1,2 or dog,wild "
                  "(default: all).")
flags.DEFINE_integer("num_z", 10, "Latents per target domain (latent and single modes; the "
                     "reference's num_outs_per_domain).")
flags.DEFINE_list("psi", ["1.0"], "Truncation psi toward the domain's mean style, one "
                  "latent_psi_<psi>.png each (1 = none; the reference's snapshots use "
                  "0.5,0.7,1.0).")
flags.DEFINE_integer("seed", 777, "Seed of the latents z and of the mean styles (the "
                     "reference's seed).")
flags.DEFINE_integer("img_size", None, "Size the sources are resized to (default the network's; "
                     "another size, a multiple of the generator's down-sampling, only in latent "
                     "modes).")
flags.DEFINE_integer("batch", 16, "Translations per network call.")
flags.DEFINE_integer("video_size", None, "Tile size of the videos (default: the network's "
                     "size, at most 128).")
flags.DEFINE_integer("video_ms", 70, "Milliseconds per frame of the videos (the reference's "
                     "video plays 30 fps at half speed).")
flags.DEFINE_enum("video_format", "gif", ["gif", "mp4"], "Format of video_ref and video_latent: "
                  "gif or mp4 (H.264, through imageio-ffmpeg).")
flags.mark_flags_as_required(["network", "outdir", "src"])


def list_images(path, flag):
    """([(file, domain folder name or None)], domain folder names or None) of --src / --ref.

    A file is one image; a folder holds images directly (flat) or one sub-folder per domain
    (the image extensions of the datasets).
    """
    from tfgan_fs.data.image_sources import IMAGE_EXTENSIONS, is_image_name

    def is_image(path):
        return is_image_name(path.name)

    path = pathlib.Path(path)
    if path.is_file():
        if not is_image(path):
            fail(f"--{flag}: {path} is not an image file ({' '.join(IMAGE_EXTENSIONS)})")
        return [(path, None)], None
    if not path.is_dir():
        fail(f"--{flag}: {path} does not exist")
    flat = sorted(p for p in path.iterdir() if p.is_file() and is_image(p))
    subdirs = sorted(p for p in path.iterdir() if p.is_dir() and not p.name.startswith("."))
    nested = [(p, d.name) for d in subdirs for p in sorted(d.iterdir())
              if p.is_file() and is_image(p)]
    if flat and nested:
        fail(f"--{flag}: {path} has images both directly and in sub-folders; use one sub-folder "
             f"per domain or a flat folder")
    if flat:
        return [(p, None) for p in flat], None
    if not nested:
        fail(f"--{flag}: no images ({' '.join(IMAGE_EXTENSIONS)}) in {path} or its sub-folders")
    return nested, [d.name for d in subdirs]


def load_images(files, size, flag):
    """float32 [N, size, size, 3] in [-1, 1]: RGB, resized bilinearly (the reference's
    Resize + ToTensor + Normalize(0.5, 0.5))."""
    import numpy as np
    import PIL.Image

    out = np.empty([len(files), size, size, 3], np.float32)
    for i, path in enumerate(files):
        try:
            with PIL.Image.open(path) as image:
                image = image.convert("RGB").resize((size, size), PIL.Image.BILINEAR)
                out[i] = np.asarray(image, np.float32) / 127.5 - 1
        except (OSError, ValueError, SyntaxError) as err:
            fail(f"--{flag}: cannot read image {path} ({err}); expected an RGB image, resized "
                 f"to [{size}, {size}, 3]")
    return out


def check_readable(items, flag):
    """Opens each image's header (no decoding) so that a file that is no image fails before
    TensorFlow loads."""
    import PIL.Image

    for path, _ in items:
        try:
            with PIL.Image.open(path):
                pass
        except (OSError, ValueError, SyntaxError) as err:
            fail(f"--{flag}: cannot read image {path} ({err})")


def domain_names(src_names, ref_names, num_domains):
    """The domain names of the --src / --ref folders (sorted sub-folders), or None."""
    for flag, names in (("ref", ref_names), ("src", src_names)):
        if names is not None and len(names) != num_domains:
            fail(f"--{flag}: {FLAGS[flag].value} has {len(names)} domain folders "
                 f"({', '.join(names)}) but the network has {num_domains} domains")
    return ref_names or src_names


def folder_names(src_names, ref_names):
    """The domain folder names of --ref or --src (they must agree), or None."""
    if src_names is not None and ref_names is not None and src_names != ref_names:
        fail(f"--src domain folders ({', '.join(src_names)}) differ from --ref's "
             f"({', '.join(ref_names)})")
    return ref_names or src_names


def parse_domains(values, names, num_domains=None):
    """--y values (indices or folder names) -> unique indices (default all); without
    num_domains (before the network is loaded) only the names are checked."""
    if not values:
        return list(range(num_domains)) if num_domains else []
    if names:
        known = ", ".join(f"{i}={n}" for i, n in enumerate(names))
    else:
        known = (f"0-{num_domains - 1}" if num_domains else "indices") + (
            "; names need domain folders in --ref or --src")
    out = []
    for value in values:
        if value.isdigit():
            index = int(value)
            if num_domains and index >= num_domains:
                fail(f"--y: domain {index} is out of range: the network has {num_domains} "
                     f"domains ({known})")
        elif names and value in names:
            index = names.index(value)
        else:
            fail(f"--y: unknown domain {value!r} (domains: {known})")
        if index not in out:
            out.append(index)
    return out


def label(index, names):
    return names[index] if names else str(index)


def unique_stems(items):
    """File stems of [(path, ...)], prefixed with the folder name when two are equal."""
    stems = [path.stem for path, _ in items]
    if len(set(stems)) == len(stems):
        return stems
    return [f"{path.parent.name}_{path.stem}" for path, _ in items]


def psi_name(psi):
    return f"{psi:.1f}" if round(psi, 1) == psi else f"{psi:g}"


def main(argv):
    if len(argv) > 1:
        fail(f"unexpected arguments {argv[1:]}")
    from absl import logging
    logging.set_verbosity(logging.WARNING)

    # Flags and input files, checked before TensorFlow loads.
    try:
        psis = [float(p) for p in FLAGS.psi]
    except ValueError:
        fail(f"--psi: expected numbers, e.g. 0.5,0.7,1.0, got {','.join(FLAGS.psi)}")
    if not psis:
        fail("--psi: give at least one value")
    for flag in ("batch", "num_z", "video_ms"):
        if FLAGS[flag].value < 1:
            fail(f"--{flag} must be >= 1")
    if FLAGS.mode and "video_latent" in FLAGS.mode and FLAGS.num_z < 2:
        fail("--mode=video_latent walks between latents: --num_z must be >= 2")
    if FLAGS.video_size is not None and FLAGS.video_size < 1:
        fail("--video_size must be >= 1")
    modes = FLAGS.mode or ["latent" if FLAGS.ref is None else (
        "single" if os.path.isfile(FLAGS.ref) else "reference")]
    unknown = [m for m in modes if m not in MODES]
    if unknown:
        fail(f"--mode: unknown {', '.join(unknown)} (modes: {', '.join(MODES)})")
    for mode in ("reference", "video"):
        if mode in modes and FLAGS.ref is None:
            fail(f"--mode={mode} needs --ref (a folder with one sub-folder per domain)")
    src_items, src_names = list_images(FLAGS.src, "src")
    ref_items, ref_names = None, None
    if FLAGS.ref is not None:
        if set(modes) <= {"latent", "video_latent"}:
            print("warning: --ref is ignored in latent mode", file=sys.stderr)
        else:
            ref_items, ref_names = list_images(FLAGS.ref, "ref")
    check_readable(src_items, "src")
    if ref_items is not None:
        check_readable(ref_items, "ref")
    names = folder_names(src_names, ref_names)
    parse_domains(FLAGS.y, names)
    if ref_items is not None and ref_names is None and len(set(FLAGS.y or [])) != 1:
        fail(f"--ref: {FLAGS.ref} gives no domain: pass one --y (the domain of the "
             f"reference{'s' if len(ref_items) > 1 else ''})")

    import numpy as np
    import tensorflow as tf
    import tqdm

    from tfgan_fs import images as image_io
    from tfgan_fs.figures import video
    from tfgan_fs.networks.stargan_v2 import encoder_repeat
    from tfgan_fs.translation import TranslatorLoadError, grids, load_translator

    try:
        translator = load_translator(FLAGS.network, ema=not FLAGS.no_ema, log=print)
    except (ValueError, tf.errors.OpError) as err:
        fail(f"--network: {err}")
    net_size, num_domains = translator.img_size, translator.num_domains
    domain_names(src_names, ref_names, num_domains)
    targets = parse_domains(FLAGS.y, names, num_domains)

    size = FLAGS.img_size or net_size
    uses_refs = ref_items is not None
    if size != net_size:
        factor = 2 ** encoder_repeat(net_size, translator.w_hpf)
        if uses_refs or translator.w_hpf > 0:
            fail(f"--img_size={size}: the network translates {net_size}x{net_size} images; "
                 f"another size works only latent-guided (no --ref) and without w_hpf")
        if size < factor or size % factor:
            fail(f"--img_size={size} must be a multiple of {factor} (the generator's "
                 f"down-sampling)")

    # Sources and references (those of the target domains, sorted by domain, then name).
    x_src = load_images([p for p, _ in src_items], size, "src")
    y_src = None if src_names is None else np.array([src_names.index(d) for _, d in src_items])
    x_ref = y_ref = None
    if uses_refs:
        if ref_names is None:
            ref_items = [(p, targets[0]) for p, _ in ref_items]
        else:
            ref_items = [(p, ref_names.index(d)) for p, d in ref_items
                         if ref_names.index(d) in targets]
            ref_items.sort(key=lambda item: item[1])
            if not ref_items:
                fail(f"--ref: no references of the domains "
                     f"{', '.join(label(y, names) for y in targets)} in {FLAGS.ref}")
        x_ref = load_images([p for p, _ in ref_items], net_size, "ref")
        y_ref = np.array([y for _, y in ref_items], np.int32)

    if "video" in modes and not grids.reference_pairs(y_ref):
        fail(f"--mode=video walks between references of one domain: --ref needs at least two "
             f"images of one of the domains {', '.join(label(y, names) for y in targets)}")
    outdir = pathlib.Path(FLAGS.outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    written = []
    batch = FLAGS.batch
    z = np.random.RandomState(FLAGS.seed).randn(FLAGS.num_z, translator.latent_dim)
    s_avg = None
    latent_single = "single" in modes and not uses_refs
    if ("latent" in modes or latent_single or "video_latent" in modes) and min(psis) != 1:
        print(f"Mean styles of {grids.MEAN_STYLE_LATENTS} latents per domain...")
        s_avg = grids.mean_styles(translator, seed=FLAGS.seed)

    def save(image, name):
        image_io.save_image(image, outdir / name)
        written.append(name)

    try:
        if "latent" in modes:
            for psi in psis:
                name = f"latent_psi_{psi_name(psi)}.png"
                print(f"Working on {name} ({len(x_src)} sources x {len(targets)} domains x "
                      f"{FLAGS.num_z} latents)...")
                save(grids.latent_grid(translator, x_src, targets, z, psi=psi, s_avg=s_avg,
                                       batch_size=batch), name)
        if "reference" in modes:
            print(f"Working on reference.png ({len(x_src)} sources x {len(x_ref)} "
                  f"references)...")
            save(grids.reference_grid(translator, x_src, x_ref, y_ref, batch), "reference.png")
            if y_src is not None:
                pick = np.arange(len(x_src)) % len(x_ref)
                print("Working on cycle.png...")
                save(grids.cycle_grid(translator, x_src, y_src, x_ref[pick], y_ref[pick], batch),
                     "cycle.png")
        tile = FLAGS.video_size or min(net_size, 128)
        fps = 1000 / FLAGS.video_ms
        if "video" in modes:
            pairs = grids.reference_pairs(y_ref)
            name = f"video_ref.{FLAGS.video_format}"
            print(f"Working on {name} ({len(pairs)} reference pairs, "
                  f"{len(grids.video_alphas())} frames each)...")
            frames = grids.iter_interpolation_frames(
                translator, x_src, x_ref, y_ref, tile_size=tile, batch_size=batch,
                progress=lambda p: tqdm.tqdm(p, desc="video_ref", unit="pair"))
            video.write_video(frames, outdir / name, fps=fps)
            written.append(name)
        if "video_latent" in modes:
            name = f"video_latent.{FLAGS.video_format}"
            print(f"Working on {name} ({len(targets)} domains x {FLAGS.num_z - 1} latent "
                  f"steps, {len(grids.video_alphas())} frames each)...")
            frames = grids.iter_latent_frames(
                translator, x_src, targets, z, psi=psis[0], s_avg=s_avg, tile_size=tile,
                batch_size=batch,
                progress=lambda p: tqdm.tqdm(p, desc="video_latent", unit="step"))
            video.write_video(frames, outdir / name, fps=fps)
            written.append(name)
        if "single" in modes:
            single(translator, grids, src_items, x_src, names, targets, psis, z, s_avg,
                   ref_items if uses_refs else None, x_ref, save)
    except TranslatorLoadError as err:
        fail(f"--network: {err}")
    except ValueError as err:
        fail(str(err))
    shown = ", ".join(written[:6]) + (f", ... ({len(written)} files)" if len(written) > 6 else "")
    print(f"Wrote {shown} to {outdir}")


def single(translator, grids, src_items, x_src, names, targets, psis, z, s_avg, ref_items,
           x_ref, save):
    """One PNG per (source, reference) or (source, domain, latent[, psi])."""
    import numpy as np
    import tqdm

    n, batch = len(x_src), FLAGS.batch
    if ref_items is not None:
        s = grids.style_reference(translator, x_ref, [y for _, y in ref_items], batch)
        jobs = [(i, r) for r in range(len(ref_items)) for i in range(n)]
        styles = s[[r for _, r in jobs]]
        src_stems, ref_stems = unique_stems(src_items), unique_stems(ref_items)
        names_out = [f"{src_stems[i]}_to_{label(ref_items[r][1], names)}_{ref_stems[r]}.png"
                     for i, r in jobs]
    else:
        jobs = [(i, y, k, psi) for psi in psis for y in targets for k in range(len(z))
                for i in range(n)]
        s = grids.style_latent(translator, z[[k for _, _, k, _ in jobs]],
                               [y for _, y, _, _ in jobs], batch)
        if s_avg is not None:
            psi = np.array([p for *_, p in jobs], np.float32)[:, None]
            s = grids.truncate(s, s_avg[[y for _, y, _, _ in jobs]], psi)
        styles = s
        suffix, src_stems = len(psis) > 1, unique_stems(src_items)
        names_out = [f"{src_stems[i]}_to_{label(y, names)}_z{k}"
                     f"{f'_psi{psi_name(p)}' if suffix else ''}.png" for i, y, k, p in jobs]
    src_index = np.array([job[0] for job in jobs])
    for start in tqdm.trange(0, len(jobs), batch, desc="Translating", unit="batch",
                             disable=len(jobs) <= batch):
        chunk = slice(start, start + batch)
        fakes = grids.translate_pairs(translator, x_src, styles[chunk], src_index[chunk], batch)
        for image, name in zip(fakes, names_out[chunk]):
            save(image, name)


if __name__ == "__main__":
    app.run(main)
