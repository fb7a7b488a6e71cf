"""tfgan_fs/figures/video.py and latent_walk.py: MP4 files decoded back with imageio-ffmpeg (the
library that wrote them), GIFs with Pillow, and latent-walk frames against G's synthesis of the
keyframe ws computed here.

Codec tolerance: H.264 at crf 18 in yuv420p (chroma at half resolution) changes smooth frames
by a few levels (mean absolute error < 6 allowed); frames of an untrained generator are compared
by luma (< 6), as their colour speckle is below the chroma resolution. Each check also compares
with the error to a different frame, which must be far larger."""

import imageio_ffmpeg
import keras
import numpy as np
import PIL.Image
import pytest
import tensorflow as tf

from tfgan_fs import images as image_io
from tfgan_fs.figures import latent_walk, video
from tfgan_fs.networks import Generator

RES, Z_DIM, W_DIM = 16, 8, 8


def read_mp4(path):
    reader = imageio_ffmpeg.read_frames(str(path))
    meta = next(reader)
    w, h = meta["size"]
    frames = np.stack([np.frombuffer(f, np.uint8).reshape(h, w, 3) for f in reader])
    return frames, meta


def luma(images):
    """BT.601 luma of uint8 RGB images, float."""
    return np.asarray(images, np.float64) @ np.array([0.299, 0.587, 0.114])


def smooth_frames(n, h, w):
    """Frames of smooth gradients that move: easy for a codec, each unlike the others."""
    y, x = np.mgrid[0:h, 0:w] / max(h, w)
    return [np.stack([(np.sin(3 * x + i) * 0.5 + 0.5) * 255,
                      (np.cos(2 * y - 0.7 * i) * 0.5 + 0.5) * 255,
                      np.full_like(x, 40 + 20 * i)], -1).astype(np.uint8) for i in range(n)]


def test_mp4_frame_count_size_and_content(tmp_path):
    frames = smooth_frames(7, 32, 48)
    path = tmp_path / "a.mp4"
    count = video.write_video(iter(frames), path, fps=12)  # a generator: streamed
    assert count == 7
    decoded, meta = read_mp4(path)
    assert meta["codec"] == "h264" and meta["fps"] == 12
    assert decoded.shape == (7, 32, 48, 3)
    for i in (0, 6):
        error = np.abs(decoded[i].astype(int) - frames[i]).mean()
        other = np.abs(decoded[i].astype(int) - frames[3]).mean()
        assert error < 6 and other > 3 * error
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.mp4"]  # no temporary left


def test_mp4_odd_size_grey_frames_are_padded(tmp_path):
    frames = np.full([3, 15, 9, 1], 200, np.uint8)
    video.write_video(frames, tmp_path / "g.mp4", fps=5)
    decoded, _ = read_mp4(tmp_path / "g.mp4")
    assert decoded.shape == (3, 16, 10, 3)  # one black row and column for yuv420p
    assert np.abs(decoded[:, :14, :8].astype(int) - 200).max() <= 6


def test_gif_and_errors_leave_nothing_behind(tmp_path):
    frames = smooth_frames(4, 8, 8)
    assert video.write_video(frames, tmp_path / "a.gif", fps=20) == 4
    gif = PIL.Image.open(tmp_path / "a.gif")
    assert gif.n_frames == 4 and gif.info["duration"] == 50 and gif.size == (8, 8)

    def broken():
        yield frames[0]
        yield np.zeros([10, 8, 3], np.uint8)  # another size

    with pytest.raises(ValueError, match=r"b.mp4: frame 1 is 8x10, the first was 8x8"):
        video.write_video(broken(), tmp_path / "b.mp4")
    with pytest.raises(ValueError, match="no frames"):
        video.write_video([], tmp_path / "c.mp4")
    with pytest.raises(ValueError, match="must end in .mp4 or .gif"):
        video.write_video(frames, tmp_path / "d.avi")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.gif"]


@pytest.fixture(scope="module")
def G():
    keras.utils.set_random_seed(7)
    G = Generator(Z_DIM, 0, W_DIM, RES, 3, mapping_kwargs=dict(num_layers=2),
                  synthesis_kwargs=dict(channel_base=64, channel_max=8))
    for i, v in enumerate(G.weights):
        if not v.path.endswith(("noise_const", "noise_strength")):  # no noise: smoother
            v.assign(v + 0.1 * tf.random.stateless_normal(v.shape, [i, 7]))
    return G


def test_walk_frames_hit_the_keyframes_and_tile_the_grid(G):
    z = np.random.RandomState(0).randn(2, 3, Z_DIM).astype(np.float32)  # 2 tiles, 3 keyframes
    ws = latent_walk.walk_keyframe_ws(G, z)
    np.testing.assert_allclose(ws[1, 2], G.mapping(z[1, 2:], None).numpy()[0], atol=1e-5)
    frames = list(latent_walk.iter_walk_frames(G, ws, grid=(2, 1), w_frames=4, kind="cubic"))
    assert len(frames) == 3 * 4 and frames[0].shape == (RES, 2 * RES, 3)
    synth = image_io.to_uint8(G.synthesis(tf.constant(ws.reshape(6, G.num_ws, W_DIM)),
                                          noise_mode="const")).reshape(2, 3, RES, RES, 3)
    for k in range(3):
        for tile in range(2):
            got = frames[4 * k][:, tile * RES:(tile + 1) * RES].astype(int)
            diff = np.abs(got - synth[tile, k])
            assert diff.max() <= 1 and np.mean(diff > 0) < 0.02
    # Between keyframes the linear walk is the synthesis of the NumPy lerp.
    linear = list(latent_walk.iter_walk_frames(G, ws, grid=(2, 1), w_frames=4, kind="linear",
                                               loop=False))
    assert len(linear) == 2 * 4 + 1
    half = image_io.to_uint8(G.synthesis(tf.constant(0.5 * (ws[:1, 0] + ws[:1, 1])),
                                         noise_mode="const"))[0]
    assert np.abs(linear[2][:, :RES].astype(int) - half).max() <= 1


def test_walk_video_decodes_to_the_keyframes(G, tmp_path):
    z = np.random.RandomState(1).randn(1, 2, Z_DIM).astype(np.float32)
    ws = latent_walk.walk_keyframe_ws(G, z, truncation_psi=0.8)
    frames = latent_walk.iter_walk_frames([G, G], [ws, ws], w_frames=3)
    assert video.write_video(frames, tmp_path / "walk.mp4", fps=10) == 6
    decoded, _ = read_mp4(tmp_path / "walk.mp4")
    assert decoded.shape == (6, RES, 2 * RES, 3)
    first, second = luma(image_io.to_uint8(G.synthesis(tf.constant(ws[0]),
                                                       noise_mode="const")))
    # An untrained G's images are speckled in colour, and yuv420p keeps colour at 8x8 for a
    # 16x16 tile: compare brightness (luma, kept at full resolution): mean error < 6 to the
    # first keyframe, and under a quarter of the error to the second (seen: 3.3 against 50).
    for half in (decoded[0, :, :RES], decoded[0, :, RES:]):  # the same G left and right
        error = np.abs(luma(half) - first).mean()
        assert error < 6 and error < 0.25 * np.abs(luma(half) - second).mean()
