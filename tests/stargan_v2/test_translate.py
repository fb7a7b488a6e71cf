"""StarGAN v2 sampling: the grids and videos of tfgan_fs.translation.grids and tools/translate.py.

The networks are the committed 64-px fixture (3 domains, latent_dim 8, style_dim 16), converted
into a run dir once per module. Tiles are checked against the translator's own outputs computed
directly (eager, one call), within one uint8 level: batching changes the computation order.
"""

import os
import pathlib
import subprocess
import sys

import imageio_ffmpeg
import numpy as np
import PIL.Image
import pytest
import tensorflow as tf

from tfgan_fs import images as image_io
from tfgan_fs.convert import stargan_v2 as conv
from tfgan_fs.translation import grids, load_translator

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO / "tests" / "tools"))
from inprocess import load_tool, run_main  # noqa: E402
TOOL = REPO / "tools" / "translate.py"
FIXTURE = HERE / "fixtures" / "nets_ema.ckpt"
S = 64  # the fixture's img_size
DOMAINS = ("cat", "dog", "wild")
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""}


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("translate") / "run"
    conv.write_run_dir(conv.convert_checkpoint(str(FIXTURE)), path)
    return path


@pytest.fixture(scope="module")
def translator(run_dir):
    return load_translator(run_dir)


def smooth_images(n, seed):
    """[n, S, S, 3] in [-1, 1]: upsampled noise (image-like, not white noise)."""
    low = np.random.RandomState(seed).uniform(-1, 1, [n, 8, 8, 3]).astype(np.float32)
    return tf.image.resize(low, [S, S], "bilinear").numpy()


def tiles(grid, rows, cols, size=S):
    assert grid.dtype == np.uint8 and grid.shape == (rows * size, cols * size, 3)
    return grid.reshape(rows, size, cols, size, 3).transpose(0, 2, 1, 3, 4)


def direct(translator, x, s):
    """uint8 G(x, s) from one eager call."""
    return image_io.to_uint8(translator.translate(tf.constant(x), tf.constant(s)).numpy())


def assert_near(actual, expected, atol=1):
    diff = np.abs(actual.astype(np.int32) - expected.astype(np.int32))
    assert diff.max() <= atol, f"max difference {diff.max()} > {atol}"


def test_latent_grid_layout_and_tiles(translator):
    x = smooth_images(3, 0)
    y_trgs, z = [2, 0], np.random.RandomState(1).randn(2, 8).astype(np.float32)
    grid = grids.latent_grid(translator, x, y_trgs, z, batch_size=4)
    t = tiles(grid, 1 + 2 * 2, 3)
    np.testing.assert_array_equal(t[0], image_io.to_uint8(x))
    for d, y in enumerate(y_trgs):
        s = translator.style_latent(tf.constant(z), tf.constant([y, y])).numpy()
        for k in range(2):
            assert_near(t[1 + d * 2 + k], direct(translator, x, np.repeat(s[k:k + 1], 3, 0)))
    # One latent per tile ([K, N, latent_dim]) and other chunk sizes give the same picture.
    per_tile = grids.latent_grid(translator, x, y_trgs, np.repeat(z[:, None], 3, 1), batch_size=1)
    assert_near(per_tile, grid)


def test_mean_styles_and_truncation(translator):
    s_avg = grids.mean_styles(translator, num=300, seed=5, batch_size=128)
    assert s_avg.shape == (3, translator.style_dim)
    z = np.random.RandomState(5).randn(300, 8).astype(np.float32)
    for y in range(3):
        expected = translator.style_latent(tf.constant(z), tf.fill([300], y)).numpy().mean(0)
        np.testing.assert_allclose(s_avg[y], expected, rtol=1e-4, atol=1e-5)
    x = smooth_images(2, 2)
    zs = np.random.RandomState(3).randn(2, 8)
    # psi = 0: every tile of domain y is G(x, s_avg[y]), whatever z.
    t = tiles(grids.latent_grid(translator, x, [1, 2], zs, psi=0.0, s_avg=s_avg), 5, 2)
    for d, y in enumerate([1, 2]):
        expected = direct(translator, x, np.repeat(s_avg[y:y + 1], 2, 0))
        assert_near(t[1 + 2 * d], expected)
        assert_near(t[2 + 2 * d], expected)
    # psi = 0.5: halfway between the mean and F_y(z).
    t = tiles(grids.latent_grid(translator, x, [1], zs[:1], psi=0.5, s_avg=s_avg), 2, 2)
    s = translator.style_latent(tf.constant(zs[:1], tf.float32), tf.constant([1])).numpy()
    assert_near(t[1], direct(translator, x, np.repeat(s_avg[1] + 0.5 * (s - s_avg[1]), 2, 0)))


def test_reference_grid_layout(translator):
    x_src, x_ref, y_ref = smooth_images(3, 4), smooth_images(2, 5), [2, 0]
    t = tiles(grids.reference_grid(translator, x_src, x_ref, y_ref, batch_size=4), 3, 4)
    assert (t[0, 0] == 255).all()
    np.testing.assert_array_equal(t[0, 1:], image_io.to_uint8(x_src))
    np.testing.assert_array_equal(t[1:, 0], image_io.to_uint8(x_ref))
    s_ref = translator.style_reference(tf.constant(x_ref), tf.constant(y_ref)).numpy()
    for r in range(2):
        assert_near(t[1 + r, 1:], direct(translator, x_src, np.repeat(s_ref[r:r + 1], 3, 0)))


def test_cycle_grid(translator):
    x_src, y_src, x_ref, y_ref = smooth_images(2, 6), [0, 1], smooth_images(2, 7), [2, 2]
    t = tiles(grids.cycle_grid(translator, x_src, y_src, x_ref, y_ref), 4, 2)
    np.testing.assert_array_equal(t[0], image_io.to_uint8(x_src))
    np.testing.assert_array_equal(t[1], image_io.to_uint8(x_ref))
    s_ref = translator.style_reference(tf.constant(x_ref), tf.constant(y_ref))
    x_fake = translator.translate(tf.constant(x_src), s_ref)
    assert_near(t[2], image_io.to_uint8(x_fake.numpy()))
    s_src = translator.style_reference(tf.constant(x_src), tf.constant(y_src))
    assert_near(t[3], direct(translator, x_fake, s_src))
    with pytest.raises(ValueError, match="2 sources and 1 references"):
        grids.cycle_grid(translator, x_src, y_src, x_ref[:1], y_ref[:1])


def test_interpolation_frames(translator):
    x_src, x_ref, y_ref = smooth_images(2, 8), smooth_images(5, 9), [1, 1, 0, 0, 2]
    alphas, hold, m = [0.0, 0.5, 1.0], 2, 8
    frames = grids.interpolation_frames(translator, x_src, x_ref, y_ref, alphas=alphas,
                                        hold=hold, batch_size=4)
    # Pairs (0, 1) and (2, 3); the domain changes between 1 and 2, and 4 has no partner.
    assert grids.reference_pairs(y_ref) == [(0, 1), (2, 3)]
    assert frames.dtype == np.uint8 and frames.shape == (2 * 3 + hold, 2 * S, S + m + 2 * S, 3)
    ref = image_io.to_uint8(x_ref)
    s_ref = translator.style_reference(tf.constant(x_ref), tf.constant(y_ref)).numpy()
    for p, (a, b) in enumerate([(0, 1), (2, 3)]):
        for i, alpha in enumerate(alphas):
            frame = frames[p * 3 + i]
            # Left: the references slide up; alpha 0: x_prev at the bottom, alpha 1: both.
            if alpha == 0:
                assert (frame[:S, :S + m] == 0).all()
                np.testing.assert_array_equal(frame[S:, :S], ref[a])
            if alpha == 1:
                np.testing.assert_array_equal(frame[:S, :S], ref[a])
                np.testing.assert_array_equal(frame[S:, :S], ref[b])
            assert (frame[:, S:S + m] == 0).all()
            # Right: each source above G(x_src, lerp(s_prev, s_next, alpha)).
            cols = frame[:, S + m:].reshape(2 * S, 2, S, 3).transpose(1, 0, 2, 3)
            np.testing.assert_array_equal(cols[:, :S], image_io.to_uint8(x_src))
            s = s_ref[a] + alpha * (s_ref[b] - s_ref[a])
            assert_near(cols[:, S:], direct(translator, x_src, np.repeat(s[None], 2, 0)))
    for i in range(hold):
        np.testing.assert_array_equal(frames[6 + i], frames[5])
    alphas = grids.video_alphas()
    assert len(alphas) == 31 and alphas[0] == 0 and alphas[-1] == 1
    assert (np.diff(alphas) >= 0).all()
    with pytest.raises(ValueError, match="consecutive references of one domain"):
        grids.interpolation_frames(translator, x_src, x_ref[:3], [0, 1, 2])


def test_snapshot_pictures_and_compiled_once(translator):
    x_src, y_src, x_ref, y_ref = smooth_images(3, 10), [0, 1, 2], smooth_images(3, 11), [1, 2, 0]
    z = np.random.RandomState(12).randn(2, 8)
    pictures = grids.snapshot_pictures(translator, x_src, y_src, x_ref, y_ref, z=z)
    assert sorted(pictures) == ["cycle", "translate_latent", "translate_reference"]
    assert pictures["translate_latent"].shape == ((1 + 3 * 2) * S, 3 * S, 3)
    assert pictures["translate_reference"].shape == (4 * S, 4 * S, 3)
    assert pictures["cycle"].shape == (4 * S, 3 * S, 3)
    assert_near(pictures["translate_latent"], grids.latent_grid(translator, x_src, [0, 1, 2], z))
    default_z = grids.snapshot_pictures(translator, x_src, y_src, x_ref, y_ref, seed=3)
    assert default_z["translate_latent"].shape == ((1 + 3 * 10) * S, 3 * S, 3)
    # Every network call was traced once (one signature per function and image size).
    functions = grids.compiled(translator)._functions
    assert len(functions) == 3
    assert all(fn.experimental_get_tracing_count() == 1 for fn in functions.values())


def test_bad_arrays(translator):
    x = smooth_images(2, 13)
    with pytest.raises(ValueError, match=r"references must be images of shape \[N, 64, 64, 3\]"):
        grids.reference_grid(translator, x, x[:, :32, :32], [0, 0])
    with pytest.raises(ValueError, match=r"domain indices must be in \[0, 2\]"):
        grids.reference_grid(translator, x, x, [0, 3])
    with pytest.raises(ValueError, match=r"z_trgs must have shape \[K, 8\]"):
        grids.latent_grid(translator, x, [0], np.zeros([2, 5]))


def test_save_gif_streams_frames(tmp_path):
    frames = (np.full([8, 10, 3], 20 * i, np.uint8) for i in range(5))
    image_io.save_gif(frames, tmp_path / "a.gif", duration_ms=40)
    with PIL.Image.open(tmp_path / "a.gif") as image:
        assert image.n_frames == 5 and image.size == (10, 8)
    assert os.listdir(tmp_path) == ["a.gif"]
    with pytest.raises(ValueError, match="no frames"):
        image_io.save_gif(iter([]), tmp_path / "b.gif")


# ----------------------------------------------------------------------------------------------
# tools/translate.py end to end.

def write_png(path, shape, seed, mode="RGB"):
    path.parent.mkdir(parents=True, exist_ok=True)
    pixels = np.random.RandomState(seed).randint(0, 256, shape, np.uint8)
    PIL.Image.fromarray(pixels).convert(mode).save(path)
    return path


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    """src/<domain>/ with one image each (non-square, one grayscale) and ref/<domain>/ with
    two each, as the reference's assets/representative/afhq."""
    root = tmp_path_factory.mktemp("inputs")
    for d, name in enumerate(DOMAINS):
        write_png(root / "src" / name / f"src_{name}.png", (40 + d, 50, 3), d,
                  "L" if d == 1 else "RGB")
        for i in range(2):
            write_png(root / "ref" / name / f"ref_{name}{i}.png", (70, 70, 3), 10 + 2 * d + i)
    return root


def load(paths):
    """The tool's loading: RGB, bilinear resize to S, [-1, 1]."""
    return np.stack([np.asarray(PIL.Image.open(p).convert("RGB").resize((S, S),
                                PIL.Image.BILINEAR), np.float32) / 127.5 - 1 for p in paths])


def translate_tool(*args):
    return subprocess.run([sys.executable, str(TOOL), *map(str, args)], cwd=REPO, env=ENV,
                          capture_output=True, text=True, timeout=300)


def test_tool_all_modes_subprocess(run_dir, folders, translator, tmp_path):
    out = tmp_path / "out"
    result = translate_tool(f"--network={run_dir}", f"--src={folders / 'src'}",
                            f"--ref={folders / 'ref'}", "--mode=latent,reference,video,single",
                            "--y=dog,2", "--num_z=2", "--psi=0.5,1", "--batch=8",
                            f"--outdir={out}")
    assert result.returncode == 0, result.stderr
    assert f"to {out}" in result.stdout
    names = {"latent_psi_0.5.png", "latent_psi_1.0.png", "reference.png", "cycle.png",
             "video_ref.gif"}
    singles = {f"src_{a}_to_{b}_ref_{b}{i}.png" for a in DOMAINS for b in ("dog", "wild")
               for i in range(2)}
    assert set(os.listdir(out)) == names | singles
    read = {n: np.asarray(PIL.Image.open(out / n)) for n in names - {"video_ref.gif"}}
    assert read["latent_psi_0.5.png"].shape == ((1 + 2 * 2) * S, 3 * S, 3)
    assert read["cycle.png"].shape == (4 * S, 3 * S, 3)
    # Sources in domain order; references of dog and wild only, by domain then name.
    src = sorted((folders / "src").glob("*/*.png"))
    refs = sorted((folders / "ref" / "dog").glob("*.png")) + sorted(
        (folders / "ref" / "wild").glob("*.png"))
    x_src, x_ref = load(src), load(refs)
    expected = grids.reference_grid(translator, x_src, x_ref, [1, 1, 2, 2])
    assert read["reference.png"].shape == expected.shape
    assert_near(read["reference.png"], expected)
    # A single translation is the reference grid's tile (reference wild1, source dog).
    single = np.asarray(PIL.Image.open(out / "src_dog_to_wild_ref_wild1.png"))
    assert_near(single, tiles(expected, 5, 4)[4, 2])
    with PIL.Image.open(out / "video_ref.gif") as gif:
        # 2 pairs x 31 frames + 10 held (Pillow merges identical consecutive frames).
        assert gif.size == (S + S // 8 + 3 * S, 2 * S) and 2 <= gif.n_frames <= 2 * 31 + 10


@pytest.fixture(scope="module")
def tool():
    """tools/translate.py's namespace, run in this process (no TensorFlow start-up per run)."""
    with load_tool(TOOL) as namespace:
        yield namespace


def run_in_process(tool, capsys, *args):
    """(exit status, stdout, stderr) of the tool's main with these arguments."""
    return run_main(tool, TOOL, args, capsys)


def test_tool_single_image(run_dir, folders, translator, tool, capsys, tmp_path):
    src = folders / "src" / "cat" / "src_cat.png"
    ref = folders / "ref" / "dog" / "ref_dog1.png"
    status, out, err = run_in_process(tool, capsys, f"--network={run_dir}", f"--src={src}",
                                      f"--ref={ref}", "--y=1", f"--outdir={tmp_path}")
    assert status == 0, err
    assert f"Wrote src_cat_to_1_ref_dog1.png to {tmp_path}" in out
    assert os.listdir(tmp_path) == ["src_cat_to_1_ref_dog1.png"]
    image = np.asarray(PIL.Image.open(tmp_path / "src_cat_to_1_ref_dog1.png"))
    s = translator.style_reference(tf.constant(load([ref])), tf.constant([1]))
    assert_near(image, direct(translator, load([src]), s)[0])


def test_tool_domain_out_of_range(run_dir, folders, tool, capsys, tmp_path):
    status, _, err = run_in_process(tool, capsys, f"--network={run_dir}",
                                    f"--src={folders / 'src' / 'cat'}", "--y=3",
                                    f"--outdir={tmp_path / 'out'}")
    assert status == 1
    assert "error: --y: domain 3 is out of range: the network has 3 domains (0-2" in err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("case", ["missing", "corrupt", "unknown_domain", "no_domain"])
def test_tool_bad_inputs(run_dir, folders, tmp_path, case):
    # Each fails before TensorFlow loads, so a subprocess is cheap.
    args = [f"--network={run_dir}", f"--outdir={tmp_path / 'out'}"]
    if case == "missing":
        args += [f"--src={tmp_path / 'nope.png'}"]
        expected = f"--src: {tmp_path / 'nope.png'} does not exist"
    elif case == "corrupt":
        bad = tmp_path / "bad.png"
        bad.write_bytes(b"\x89PNG\r\n\x1a\n not really a png")
        args += [f"--src={folders / 'src'}", f"--ref={bad}", "--y=0"]
        expected = f"--ref: cannot read image {bad}"
    elif case == "unknown_domain":
        args += [f"--src={folders / 'src'}", "--y=bird"]
        expected = "--y: unknown domain 'bird' (domains: 0=cat, 1=dog, 2=wild)"
    else:  # a flat folder of references needs their domain
        args += [f"--src={folders / 'src'}", f"--ref={folders / 'ref' / 'cat'}"]
        expected = "gives no domain: pass one --y"
    result = translate_tool(*args)
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"error: {expected}" in result.stderr or expected in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


# --------------------------------------------------------------------------------------------
# The latent-guided video (the reference's video_latent) and MP4 videos.

def test_latent_frames_walk_between_the_latents_styles(translator):
    x_src = smooth_images(2, 1)
    z = np.random.RandomState(2).randn(3, 8).astype(np.float32)
    alphas, hold = [0.0, 0.5, 1.0], 2
    frames = list(grids.iter_latent_frames(translator, x_src, [1, 2], z, alphas=alphas,
                                           hold=hold, batch_size=4))
    # 2 domains x 2 steps (z0 -> z1 -> z2) x 3 alphas, then the last frame held.
    assert len(frames) == 2 * 2 * 3 + hold and frames[0].shape == (2 * S, 2 * S, 3)
    for d, y in enumerate((1, 2)):
        s = translator.style_latent(tf.constant(z), tf.constant([y] * 3)).numpy()
        for k in (1, 2):
            for i, alpha in enumerate(alphas):
                frame = frames[(d * 2 + k - 1) * 3 + i]
                cols = frame.reshape(2 * S, 2, S, 3).transpose(1, 0, 2, 3)
                np.testing.assert_array_equal(cols[:, :S], image_io.to_uint8(x_src))
                style = s[k - 1] + alpha * (s[k] - s[k - 1])
                expected = image_io.to_uint8(translator.translate(
                    tf.constant(x_src), tf.constant(np.repeat(style[None], 2, 0))).numpy())
                assert np.abs(cols[:, S:].astype(int) - expected).max() <= 1
    np.testing.assert_array_equal(frames[-1], frames[-1 - hold])
    with pytest.raises(ValueError, match=r"z must have shape \[K >= 2, 8\]"):
        next(grids.iter_latent_frames(translator, x_src, [1], z[:1]))


def test_tool_writes_both_videos_as_mp4(run_dir, tool, tmp_path, capsys):
    src, ref = tmp_path / "src", tmp_path / "ref"
    rs = np.random.RandomState(3)
    src.mkdir()
    PIL.Image.fromarray(rs.randint(0, 255, [S, S, 3]).astype(np.uint8)).save(src / "a.png")
    for name in ("r1.png", "r2.png"):
        (ref / "dog").mkdir(parents=True, exist_ok=True)
        image = rs.randint(0, 255, [S, S, 3]).astype(np.uint8)
        PIL.Image.fromarray(image).save(ref / "dog" / name)
    for d in ("cat", "wild"):
        (ref / d).mkdir()
    status, out, err = run_in_process(
        tool, capsys, f"--network={run_dir}", f"--src={src}", f"--ref={ref}", "--y=dog",
        "--mode=video,video_latent", "--video_format=mp4", "--num_z=2", "--video_size=32",
        f"--outdir={tmp_path / 'out'}")
    assert status == 0, err
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["video_latent.mp4",
                                                                    "video_ref.mp4"]
    for name, width, count in (("video_ref.mp4", 32 + 4 + 32, 31 + 10),
                               ("video_latent.mp4", 32, 31 + 10)):
        reader = imageio_ffmpeg.read_frames(str(tmp_path / "out" / name))
        meta = next(reader)
        assert meta["size"] == (width, 64) and len(list(reader)) == count, name
