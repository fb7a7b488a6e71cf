"""tfgan_fs/interpolation.py against G's own outputs and a NumPy lerp of the ws; the animated
GIF writer; tools/generate.py --interpolate (subprocesses) on a tiny saved run."""

import os
import pathlib
import subprocess
import sys

import numpy as np
import PIL.Image
import pytest
import tensorflow as tf

from tfgan_fs import images as image_io
from tfgan_fs import interpolation
from tfgan_fs.export import seed_latents
from tfgan_fs.methods import StyleGAN2, StyleGAN2Config
from tfgan_fs.networks import Generator
from tfgan_fs.runs import checkpoints

REPO = pathlib.Path(__file__).resolve().parents[2]
GENERATE = str(REPO / "tools" / "generate.py")
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
RES, Z_DIM, C_DIM = 16, 8, 2


def run_tool(args):
    return subprocess.run([sys.executable, GENERATE] + [str(a) for a in args], env=ENV,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def G():
    """A tiny conditional generator whose weights are perturbed so that w_avg and all layers
    matter (w_avg is tracked over a few batches, for truncation)."""
    G = Generator(Z_DIM, C_DIM, 8, RES, 3, mapping_kwargs=dict(num_layers=1),
                  synthesis_kwargs=dict(channel_base=64, channel_max=8))
    for i, v in enumerate(G.weights):
        v.assign(v + 0.05 * tf.random.stateless_normal(v.shape, [i, 1]))
    for i in range(5):
        G.mapping(tf.random.stateless_normal([8, Z_DIM], [i, 2]),
                  tf.one_hot(np.arange(8) % C_DIM, C_DIM), update_w_avg=True)
    return G


@pytest.fixture(scope="module")
def keyframes():
    rs = np.random.RandomState(3)
    return rs.randn(3, Z_DIM).astype(np.float32), np.eye(C_DIM, dtype=np.float32)[[0, 1, 1]]


def assert_close_uint8(actual, expected):
    # Other batch compositions round differently in float32: a pixel may flip by one step.
    diff = np.abs(np.asarray(actual, int) - np.asarray(expected, int))
    assert diff.max() <= 1 and np.mean(diff > 0) < 0.02


def direct(G, z, c, psi=1.0):
    """Images of G's own call, one keyframe at a time."""
    return np.concatenate([image_io.to_uint8(G(z[i:i + 1], c[i:i + 1], truncation_psi=psi,
                                               noise_mode="const")) for i in range(len(z))])


def synthesis_of(G, ws):
    return image_io.to_uint8(G.synthesis(tf.constant(ws, tf.float32), noise_mode="const"))


def test_frames_pass_through_the_keyframes_and_the_mean_ws(G, keyframes):
    z, c = keyframes
    steps = 4
    frames = interpolation.w_interpolation_frames(G, z, c, steps=steps, batch=5)
    assert frames.shape == (3 * steps, RES, RES, 3) and frames.dtype == np.uint8
    own = direct(G, z, c)
    for k in range(3):
        assert_close_uint8(frames[k * steps], own[k])
    ws = G.mapping(z, c).numpy()
    # Half-way frames: synthesis of the NumPy mean of consecutive ws, and back to the first.
    assert_close_uint8(frames[steps // 2], synthesis_of(G, (ws[:1] + ws[1:2]) / 2)[0])
    assert_close_uint8(frames[2 * steps + steps // 2], synthesis_of(G, (ws[2:] + ws[:1]) / 2)[0])
    assert_close_uint8(frames[1], synthesis_of(G, ws[:1] + 0.25 * (ws[1:2] - ws[:1]))[0])
    # Neighbouring frames differ (the walk moves), and the frames do not depend on the batch.
    assert all(np.any(frames[i] != frames[i + 1]) for i in range(len(frames) - 1))
    assert_close_uint8(interpolation.w_interpolation_frames(G, z, c, steps=steps, batch=64),
                       frames)


def test_open_walk_ends_on_the_last_keyframe_and_truncation_applies(G, keyframes):
    z, c = keyframes
    frames = interpolation.w_interpolation_frames(G, z, c, steps=3, truncation_psi=0.5,
                                                  loop=False)
    assert len(frames) == 2 * 3 + 1
    own = direct(G, z, c, psi=0.5)
    for k in range(3):
        assert_close_uint8(frames[3 * k], own[k])
    assert np.any(own != direct(G, z, c))  # truncation changes the images
    # Unconditional G: c may be None.
    G0 = Generator(Z_DIM, 0, 8, RES, 3, mapping_kwargs=dict(num_layers=1),
                   synthesis_kwargs=dict(channel_base=64, channel_max=8))
    frames = interpolation.w_interpolation_frames(G0, z[:2], steps=2, loop=False)
    assert_close_uint8(frames[[0, 2]], direct(G0, z[:2], np.zeros([2, 0], np.float32)))


def test_grid_rows_go_from_one_keyframe_to_the_next(G, keyframes):
    z, c = keyframes
    steps = 5
    grid = interpolation.interpolation_grid(G, z, c, steps=steps)
    assert grid.shape == (2 * RES, steps * RES, 3) and grid.dtype == np.uint8
    tiles = grid.reshape(2, RES, steps, RES, 3).transpose(0, 2, 1, 3, 4)
    own = direct(G, z, c)
    ws = G.mapping(z, c).numpy()
    for row in range(2):
        assert_close_uint8(tiles[row, 0], own[row])
        assert_close_uint8(tiles[row, -1], own[row + 1])
        assert_close_uint8(tiles[row, steps // 2],
                           synthesis_of(G, (ws[row:row + 1] + ws[row + 1:row + 2]) / 2)[0])


def test_lerp_ws_against_numpy():
    ws = np.random.RandomState(0).randn(3, 4, 2).astype(np.float32)
    t = np.array([0, 0.25, 1])
    out = interpolation.lerp_ws(ws, t)
    assert out.shape == (2, 3, 4, 2)
    for k in range(2):
        for j, tj in enumerate(t):
            np.testing.assert_allclose(out[k, j], (1 - tj) * ws[k] + tj * ws[k + 1], atol=1e-6)


def test_bad_arguments_are_value_errors(G, keyframes):
    z, c = keyframes
    with pytest.raises(ValueError, match="at least 2 keyframe"):
        interpolation.w_interpolation_frames(G, z[:1], c[:1])
    with pytest.raises(ValueError, match="at least 2 keyframe"):
        interpolation.interpolation_grid(G, z[:1], c[:1])
    with pytest.raises(ValueError, match="steps must be >= 2"):
        interpolation.interpolation_grid(G, z, c, steps=1)
    with pytest.raises(ValueError, match=r"c must have shape \[3, 2\]"):
        interpolation.interpolation_grid(G, z, c[:2])
    with pytest.raises(ValueError, match=r"z must have shape \[K, 8\]"):
        interpolation.interpolation_grid(G, z[:, :4], c)


def test_save_gif_writes_every_frame_and_loops(tmp_path):
    frames = np.zeros([5, 6, 4, 3], np.uint8)
    for i in range(5):
        frames[i, :, :, i % 3] = 40 * (i + 1)
    path = tmp_path / "a.gif"
    image_io.save_gif(frames, path, duration_ms=60)
    gif = PIL.Image.open(path)
    assert gif.n_frames == 5 and gif.info["loop"] == 0 and gif.info["duration"] == 60
    for i in range(5):
        gif.seek(i)
        np.testing.assert_array_equal(np.asarray(gif.convert("RGB")), frames[i])
    image_io.save_gif(frames[..., :1], tmp_path / "gray.gif", loop=False)
    assert "loop" not in PIL.Image.open(tmp_path / "gray.gif").info
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.gif", "gray.gif"]


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    """A saved run of a tiny conditional StyleGAN2 (untrained, weights perturbed)."""
    cfg = StyleGAN2Config(
        G_kwargs=dict(z_dim=Z_DIM, w_dim=8, mapping_kwargs=dict(num_layers=1),
                      synthesis_kwargs=dict(channel_base=64, channel_max=8)),
        D_kwargs=dict(channel_base=64, channel_max=8, epilogue_kwargs=dict(mbstd_group_size=2)))
    method = StyleGAN2(cfg, RES, 3, label_distribution=[0.5, 0.5])
    method.build_optimizers()
    for i, v in enumerate(method.G_ema.weights):
        v.assign(v + 0.05 * tf.random.stateless_normal(v.shape, [i, 3]))
    run_dir = tmp_path_factory.mktemp("interp") / "run"
    checkpoints.RunState(method, checkpoints.Progress()).save(run_dir / "checkpoints")
    return run_dir, checkpoints.load_network(run_dir, "G_ema")


def test_generate_interpolate_writes_the_grid_and_a_looping_gif(tiny_run, tmp_path):
    run_dir, G = tiny_run
    seeds = [3, 7, 1]
    c = np.eye(C_DIM, dtype=np.float32)[[1, 1, 1]]
    result = run_tool([f"--network={run_dir}", "--interpolate=3,7,1", "--interp_steps=4",
                       "--interp_ms=80", "--class=1", "--trunc=0.7", f"--outdir={tmp_path}"])
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["interpolation.gif",
                                                          "interpolation.png"]
    grid = np.asarray(PIL.Image.open(tmp_path / "interpolation.png"))
    assert grid.shape == (2 * RES, 5 * RES, 3)
    # The seeds' z as for --seeds (the reference's RandomState draw), in the given order.
    z = np.concatenate([np.random.RandomState(s).randn(1, Z_DIM) for s in seeds])
    expected = interpolation.interpolation_grid(G, z, c, steps=5, truncation_psi=0.7)
    assert_close_uint8(grid, expected)
    gif = PIL.Image.open(tmp_path / "interpolation.gif")
    assert gif.n_frames == 3 * 4 and gif.info["loop"] == 0 and gif.info["duration"] == 80
    assert gif.size == (RES, RES)

    # --seed_rng=tf draws z as an export's from_seeds does.
    tf_out = tmp_path / "tf"
    result = run_tool([f"--network={run_dir}", "--interpolate=3,7", "--seed_rng=tf",
                       "--class=0", f"--outdir={tf_out}"])
    assert result.returncode == 0, result.stderr
    grid = np.asarray(PIL.Image.open(tf_out / "interpolation.png"))
    expected = interpolation.interpolation_grid(G, seed_latents([3, 7], Z_DIM).numpy(),
                                                np.eye(C_DIM, dtype=np.float32)[[0, 0]],
                                                steps=13)
    assert grid.shape == (RES, 13 * RES, 3)
    assert_close_uint8(grid, expected)


def test_generate_interpolate_needs_two_seeds(tiny_run, tmp_path):
    run_dir, _ = tiny_run
    result = run_tool([f"--network={run_dir}", "--interpolate=5", "--class=1",
                       f"--outdir={tmp_path / 'out'}"])
    assert result.returncode == 1
    assert "error: --interpolate needs at least 2 seeds" in result.stderr
    assert "Traceback" not in result.stderr and not (tmp_path / "out").exists()
