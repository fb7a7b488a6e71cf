"""StarGAN v2's latent-guided video (`grids.iter_latent_frames`, the reference's video_latent)
and translate.py --mode=video_latent --video_format=mp4, on the committed 64-px fixture
(3 domains, latent_dim 8, style_dim 16). Translations are checked against the translator's own
eager outputs within one uint8 level; the MP4 by frame count and size."""

import pathlib
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
S = 64


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("video_latent") / "run"
    conv.write_run_dir(conv.convert_checkpoint(str(FIXTURE)), path)
    return path


@pytest.fixture(scope="module")
def translator(run_dir):
    return load_translator(run_dir)


def smooth_images(n, seed):
    low = np.random.RandomState(seed).uniform(-1, 1, [n, 8, 8, 3]).astype(np.float32)
    return tf.image.resize(low, [S, S], "bilinear").numpy()


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


def test_tool_writes_both_videos_as_mp4(run_dir, tmp_path, capsys):
    src, ref = tmp_path / "src", tmp_path / "ref"
    rs = np.random.RandomState(3)
    src.mkdir()
    PIL.Image.fromarray(rs.randint(0, 255, [S, S, 3]).astype(np.uint8)).save(src / "a.png")
    for name in ("r1.png", "r2.png"):
        (ref / "dog").mkdir(parents=True, exist_ok=True)
        PIL.Image.fromarray(rs.randint(0, 255, [S, S, 3]).astype(np.uint8)).save(ref / "dog" / name)
    for d in ("cat", "wild"):
        (ref / d).mkdir()
    with load_tool(TOOL) as tool:
        status, out, err = run_main(tool, TOOL, [
            f"--network={run_dir}", f"--src={src}", f"--ref={ref}", "--y=dog",
            "--mode=video,video_latent", "--video_format=mp4", "--num_z=2", "--video_size=32",
            f"--outdir={tmp_path / 'out'}"], capsys)
    assert status == 0, err
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["video_latent.mp4",
                                                                    "video_ref.mp4"]
    for name, width, count in (("video_ref.mp4", 32 + 4 + 32, 31 + 10),
                               ("video_latent.mp4", 32, 31 + 10)):
        reader = imageio_ffmpeg.read_frames(str(tmp_path / "out" / name))
        meta = next(reader)
        assert meta["size"] == (width, 64) and len(list(reader)) == count, name
