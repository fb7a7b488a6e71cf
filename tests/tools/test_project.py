"""GAN inversion (tfgan_fs/projection.py, the StyleGAN2-ADA projector): schedules and the noise
regulariser against hand/NumPy values, recovery of a w that a tiny G generated, tools/project.py
end to end and tools/generate.py --projected_w (subprocesses), clear errors.

The distance is LPIPS with the random stand-in VGG weights of tests/metrics/net_fixtures.py.
"""

import math
import os
import pathlib
import subprocess
import sys

import keras
import numpy as np
import PIL.Image
import pytest
import tensorflow as tf

from tfgan_fs import images as image_io
from tfgan_fs import projection
from tfgan_fs.convert.convert import ConvertedNetworks
from tfgan_fs.metrics.lpips import LPIPS
from tfgan_fs.networks import Generator
from tfgan_fs.runs import checkpoints

REPO = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "metrics"))
from net_fixtures import random_lpips_arrays, write_npz  # noqa: E402
ENV = {key: value for key, value in os.environ.items() if key != "TFGAN_FS_LPIPS"}
ENV["TF_CPP_MIN_LOG_LEVEL"] = "3"
RES, Z_DIM, W_DIM = 16, 8, 8


def run_tool(name, args):
    return subprocess.run([sys.executable, str(REPO / "tools" / name)] + [str(a) for a in args],
                          env=ENV, capture_output=True, text=True, timeout=300)


def tiny_generator(seed, noise_strength=0.0):
    """A 16x16 G with few channels, weights perturbed so that biases matter; deterministic."""
    keras.utils.set_random_seed(seed)
    G = Generator(Z_DIM, 0, W_DIM, RES, 3, mapping_kwargs=dict(num_layers=2),
                  synthesis_kwargs=dict(channel_base=128, channel_max=16))
    for i, v in enumerate(G.weights):
        if v.path.endswith("noise_strength"):
            v.assign(noise_strength)
        elif not v.path.endswith("noise_const"):
            v.assign(v + 0.05 * tf.random.stateless_normal(v.shape, [i, seed]))
    return G


def synthesize(G, ws):
    return G.synthesis(tf.constant(ws, tf.float32), noise_mode="const").numpy()


def assert_close_uint8(actual, expected):
    # The same float math in another process/batch may round a pixel one step differently.
    diff = np.abs(np.asarray(actual, int) - np.asarray(expected, int))
    assert diff.max() <= 1 and np.mean(diff > 0) < 0.02


@pytest.fixture(scope="module")
def lpips_arrays():
    return random_lpips_arrays("vgg")


@pytest.fixture(scope="module")
def lpips(lpips_arrays):
    return LPIPS(lpips_arrays)


# --------------------------------------------------------------------------------------------
# Schedules and the regulariser.

def test_learning_rate_schedule_against_hand_values():
    # num_steps=1000, lr 0.1, ramp-up over the first 5 %, half-cosine ramp-down over the last 25 %.
    expected = {
        0: 0.0,  # t = 0: the ramp-up starts at 0
        25: 0.05,  # half-way up
        50: 0.1, 500: 0.1, 750: 0.1,
        875: 0.05,  # half-way down: 0.5 - 0.5 cos(pi / 2)
        950: 0.1 * (0.5 - 0.5 * math.cos(0.2 * math.pi)),  # 0.00954915
        999: 0.1 * (0.5 - 0.5 * math.cos(0.004 * math.pi)),  # 3.9478e-6
    }
    for step, lr in expected.items():
        assert projection.learning_rate(step, 1000) == pytest.approx(lr, rel=1e-9, abs=1e-15)
    assert 0.00954915 == pytest.approx(expected[950], rel=1e-6)
    assert projection.learning_rate(10, 100, initial_learning_rate=0.2) == pytest.approx(0.2)


def test_w_noise_scale_schedule_against_hand_values():
    # w_std * 0.05 * max(0, 1 - t / 0.75)^2
    assert projection.w_noise_scale(0, 1000, w_std=2.0) == pytest.approx(0.1)
    assert projection.w_noise_scale(375, 1000, w_std=2.0) == pytest.approx(0.025)  # (1/2)^2
    assert projection.w_noise_scale(600, 1000, w_std=2.0) == pytest.approx(0.1 * 0.2 ** 2)
    assert projection.w_noise_scale(750, 1000, w_std=2.0) == 0.0
    assert projection.w_noise_scale(900, 1000, w_std=2.0) == 0.0


def noise_regularization_np(bufs):
    total = 0.0
    for noise in bufs:
        noise = np.asarray(noise, np.float64)
        while True:
            total += np.mean(noise * np.roll(noise, 1, axis=1)) ** 2  # x
            total += np.mean(noise * np.roll(noise, 1, axis=0)) ** 2  # y
            if noise.shape[0] <= 8:
                break
            h = noise.shape[0] // 2
            noise = noise.reshape(h, 2, h, 2).mean(axis=(1, 3))
    return total


def test_noise_regularization_against_numpy():
    rs = np.random.RandomState(0)
    # Correlated noise so that every term is far from 0: a cumulative sum along x and y.
    bufs = [np.cumsum(np.cumsum(rs.randn(s, s), 0), 1).astype(np.float32) / s
            for s in (4, 8, 16, 32, 64)]
    got = float(projection.noise_regularization([tf.constant(b) for b in bufs]))
    np.testing.assert_allclose(got, noise_regularization_np(bufs), rtol=1e-4)
    # One buffer alone, and one where x and y differ (the transpose swaps the two terms).
    np.testing.assert_allclose(float(projection.noise_regularization([bufs[3][:, ::-1]])),
                               noise_regularization_np([bufs[3][:, ::-1]]), rtol=1e-4)


def test_downsample_to_256_is_a_box_average():
    img = np.random.RandomState(1).rand(1, 512, 512, 3).astype(np.float32)
    out = projection.downsample_to_lpips(tf.constant(img)).numpy()
    np.testing.assert_allclose(out, img.reshape(1, 256, 2, 256, 2, 3).mean(axis=(2, 4)),
                               atol=1e-6)
    small = tf.constant(img[:, :256, :256])
    assert projection.downsample_to_lpips(small) is small


def test_adam_is_torch_adam():
    # torch.optim.Adam: m, v with bias corrections; p -= lr / (1 - b1^t) * m / (sqrt(v / (1 -
    # b2^t)) + eps), written out in NumPy for three steps with changing lr.
    var = tf.Variable([1.0, -2.0, 0.5])
    adam = projection._Adam([var])
    p, m, v = np.array([1.0, -2.0, 0.5]), np.zeros(3), np.zeros(3)
    for t, (g, lr) in enumerate([([0.3, -1.0, 0.0], 0.1), ([0.1, 2.0, 1e-3], 0.05),
                                 ([-0.4, 0.5, 1.0], 0.0)], start=1):
        adam.apply([tf.constant(g)], [var], tf.constant(lr))
        m = 0.9 * m + 0.1 * np.array(g)
        v = 0.999 * v + 0.001 * np.array(g) ** 2
        p = p - lr / (1 - 0.9 ** t) * m / (np.sqrt(v / (1 - 0.999 ** t)) + 1e-8)
        np.testing.assert_allclose(var.numpy(), p, rtol=1e-5, atol=1e-6)


# --------------------------------------------------------------------------------------------
# Projection.

def test_projection_recovers_a_generated_w(lpips):
    G = tiny_generator(seed=0)  # noise strengths 0: w alone makes the image
    w_avg, w_std = projection.w_stats(G, 1000)
    assert w_avg.shape == (W_DIM,) and w_std > 0
    # A target half-way between the mean w (where the projector starts) and a sample's w.
    w1 = G.mapping(np.random.RandomState(100).randn(1, Z_DIM).astype(np.float32), None)
    w_true = w_avg + 0.5 * (w1.numpy() - w_avg)
    target = synthesize(G, w_true)[0]
    noise_before = [v.numpy() for v in projection.noise_buffers(G)]
    steps = []

    result = projection.project(G, target, lpips, num_steps=100, w_avg_samples=1000,
                                progress=lambda step, dist, loss: steps.append((step, dist)))

    assert result.step_traces == 1  # one compiled step for all 100
    assert result.w.shape == (100, G.num_ws, W_DIM) and result.dist.shape == (100,)
    np.testing.assert_array_equal(result.w[:, 0], result.w[:, -1])  # one w, broadcast
    assert [s for s, _ in steps] == list(range(100))
    np.testing.assert_allclose([d for _, d in steps], result.dist, rtol=1e-6)
    # Distance falls by over 100x (seen: ~3000x); the final image is close to the target
    # (seen: mean |error| 0.005 on images of std ~0.6, from 0.44 at the start).
    assert result.dist[-10:].mean() < 0.01 * result.dist[0]
    start = synthesize(G, np.tile(w_avg, [1, G.num_ws, 1]))[0]
    error = np.abs(synthesize(G, result.w[-1:])[0] - target).mean()
    assert error < 0.05 * np.abs(start - target).mean() and error < 0.03
    # The optimised noise is normalised; G's own noise buffers are as before.
    assert sorted(result.noise) == sorted(v.path for v in projection.noise_buffers(G))
    for noise in result.noise.values():
        assert abs(noise.mean()) < 1e-5 and abs(np.mean(noise ** 2) - 1) < 1e-4
    for before, v in zip(noise_before, projection.noise_buffers(G)):
        np.testing.assert_array_equal(v.numpy(), before)


def test_project_checks_its_arguments(lpips):
    G = tiny_generator(seed=1)
    with pytest.raises(ValueError, match=r"target must have shape \[16, 16, 3\]"):
        projection.project(G, np.zeros([8, 8, 3], np.uint8), lpips, num_steps=1)
    with pytest.raises(ValueError, match="num_steps must be >= 1"):
        projection.project(G, np.zeros([16, 16, 3], np.uint8), lpips, num_steps=0)


def test_load_projected_w_shapes_and_errors(tmp_path):
    G = tiny_generator(seed=1)
    w = np.random.RandomState(0).randn(G.num_ws, W_DIM).astype(np.float32)
    np.savez(tmp_path / "one.npz", w=w)
    np.testing.assert_array_equal(projection.load_projected_w(tmp_path / "one.npz", G), w[None])
    np.savez(tmp_path / "three.npz", w=np.stack([w, w, w]))
    assert projection.load_projected_w(tmp_path / "three.npz", G).shape == (3, G.num_ws, W_DIM)
    np.savez(tmp_path / "bad.npz", w=w[:, :4])
    with pytest.raises(ValueError, match=rf"shape \[1, {G.num_ws}, 4\].*\[N, {G.num_ws}, 8\]"):
        projection.load_projected_w(tmp_path / "bad.npz", G)
    np.savez(tmp_path / "nokey.npz", ws=w)
    with pytest.raises(ValueError, match="has no array 'w'"):
        projection.load_projected_w(tmp_path / "nokey.npz", G)
    (tmp_path / "text.npz").write_text("not an archive")
    with pytest.raises(ValueError, match="cannot read .*text.npz"):
        projection.load_projected_w(tmp_path / "text.npz", G)


def test_load_target_image_crops_the_centre_square(tmp_path):
    image = np.zeros([32, 48, 3], np.uint8)  # 48 wide: the centre square is columns 8..39
    image[:, 8:40] = (200, 30, 90)
    PIL.Image.fromarray(image).save(tmp_path / "wide.png")
    target = projection.load_target_image(tmp_path / "wide.png", RES)
    assert target.shape == (RES, RES, 3) and target.dtype == np.uint8
    assert np.abs(target.astype(int) - [200, 30, 90]).max() <= 1  # Lanczos of a flat square
    assert projection.load_target_image(tmp_path / "wide.png", 8, channels=1).shape == (8, 8, 1)
    (tmp_path / "broken.png").write_bytes(b"no image")
    with pytest.raises(ValueError, match="cannot read the image .*broken.png"):
        projection.load_target_image(tmp_path / "broken.png", RES)


# --------------------------------------------------------------------------------------------
# The tools.

@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory, lpips_arrays):
    """A run directory holding a tiny G_ema (noise strengths 0.1: its own noise shows) and the
    stand-in LPIPS weights as a file."""
    G = tiny_generator(seed=2, noise_strength=0.1)
    root = tmp_path_factory.mktemp("project")
    checkpoints.RunState(ConvertedNetworks({"G_ema": G}, {}),
                         checkpoints.Progress()).save(root / "run" / "checkpoints")
    return root / "run", checkpoints.load_network(root / "run", "G_ema"), \
        write_npz(root / "lpips_vgg.npz", lpips_arrays)


def test_project_tool_end_to_end_and_generate_renders_the_w(tiny_run, tmp_path):
    run_dir, G, lpips_path = tiny_run
    image = np.zeros([32, 48, 3], np.uint8)
    image[:, 8:40] = np.linspace(0, 255, 32)[:, None, None].astype(np.uint8)
    PIL.Image.fromarray(image).save(tmp_path / "photo.png")
    out = tmp_path / "out"
    result = run_tool("project.py", [f"--network={run_dir}", f"--target={tmp_path}/photo.png",
                                     f"--lpips={lpips_path}", f"--outdir={out}",
                                     "--num_steps=10", "--w_avg_samples=100", "--save_video",
                                     "--video_every=4"])
    assert result.returncode == 0, result.stderr
    assert "Projecting" in result.stderr and "dist=" in result.stderr  # the tqdm bar
    assert sorted(p.name for p in out.iterdir()) == ["proj.gif", "proj.png", "projected_w.npz",
                                                     "target.png"]
    target = np.asarray(PIL.Image.open(out / "target.png"))
    np.testing.assert_array_equal(target, projection.load_target_image(tmp_path / "photo.png",
                                                                       RES))
    with np.load(out / "projected_w.npz") as data:
        assert data.files == ["w"]
        w = data["w"]
    assert w.shape == (1, G.num_ws, W_DIM) and w.dtype == np.float32
    proj = np.asarray(PIL.Image.open(out / "proj.png"))
    assert_close_uint8(proj, image_io.to_uint8(synthesize(G, w))[0])  # G's own noise
    gif = PIL.Image.open(out / "proj.gif")
    assert gif.n_frames == 4 and gif.size == (2 * RES, RES)  # steps 0, 4, 8 and the last, 9

    # generate.py renders every row of an npz; the first is the projection.
    other = G.mapping(np.ones([1, Z_DIM], np.float32), None).numpy()
    np.savez(tmp_path / "two.npz", w=np.concatenate([w, other]))
    gen = tmp_path / "gen"
    result = run_tool("generate.py", [f"--network={run_dir}", f"--projected_w={tmp_path}/two.npz",
                                      f"--outdir={gen}"])
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in gen.iterdir()) == ["proj00.png", "proj01.png"]
    assert_close_uint8(np.asarray(PIL.Image.open(gen / "proj00.png")), proj)
    assert_close_uint8(np.asarray(PIL.Image.open(gen / "proj01.png")),
                       image_io.to_uint8(synthesize(G, other))[0])


def test_project_tool_errors_name_the_missing_file(tiny_run, tmp_path):
    run_dir, _, lpips_path = tiny_run
    PIL.Image.fromarray(np.zeros([16, 16, 3], np.uint8)).save(tmp_path / "t.png")
    base = [f"--outdir={tmp_path / 'out'}", f"--lpips={lpips_path}"]
    cases = [
        ([f"--network={run_dir}", f"--target={tmp_path}/missing.png"],
         ["--target", "missing.png", "does not exist"]),
        ([f"--network={tmp_path}/no_run", f"--target={tmp_path}/t.png"],
         ["--network", "no_run", "does not exist", "network pickle (.pkl)",
          "rosinality checkpoint (.pt)"]),
        ([f"--network={run_dir}", f"--target={tmp_path}/t.png",
          f"--lpips={tmp_path}/none.npz"],
         ["none.npz", "does not exist", "lpips_vgg.npz", "convert_lpips.py", "--lpips=PATH"]),
    ]
    for args, needles in cases:
        result = run_tool("project.py", base + args)
        assert result.returncode == 1, result.stderr
        assert "error: " in result.stderr and "Traceback" not in result.stderr
        for needle in needles:
            assert needle in result.stderr, (needle, result.stderr)
    assert not (tmp_path / "out").exists()
