"""W+ and batch projection (tfgan_fs/projection.py `project_batch`), W ws rendered by any
generator, and tools/project.py on a folder (in process): one result per image, unreadable
files named, --init, MP4 progress videos.

The distance in the library tests is the mean squared pixel error (cheap; the projector takes
any distance); the tool uses LPIPS with the random stand-in VGG weights of
tests/metrics/net_fixtures.py."""

import pathlib
import sys

import imageio_ffmpeg
import numpy as np
import PIL.Image
import pytest
import tensorflow as tf

from tfgan_fs import projection

REPO = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "metrics"))
sys.path.insert(0, str(REPO / "tests" / "tools"))
from inprocess import load_tool, run_main  # noqa: E402
from net_fixtures import random_lpips_arrays, write_npz  # noqa: E402
import tiny_runs  # noqa: E402

RES, Z_DIM, W_DIM = 16, 8, 8
PROJECT = REPO / "tools" / "project.py"


def tiny_generator(seed, res=RES):
    """A G with few channels, no noise (w alone makes the image), perturbed weights."""
    return tiny_runs.tiny_generator(seed, res=res, channel_base=128, channel_max=16, noise=False,
                                    scale=0.05)


def pixel_distance(a, b):
    return tf.reduce_mean(tf.square(a - b), axis=[1, 2, 3])


def synthesize(G, ws):
    return G.synthesis(tf.constant(ws, tf.float32), noise_mode="const").numpy()


def test_w_plus_fits_a_w_plus_image_better_than_w():
    G = tiny_generator(0)
    # A W+ target: each layer's w from another z (no single w makes this image).
    z = np.random.RandomState(4).randn(G.num_ws, Z_DIM).astype(np.float32)
    w_plus = G.mapping(z, None).numpy()[:, 0][np.newaxis]  # [1, num_ws, w_dim]
    target = synthesize(G, w_plus)[0]
    options = dict(num_steps=60, w_avg_samples=500, initial_learning_rate=0.05)
    in_w = projection.project_batch(G, target[None], pixel_distance, space="w", **options)
    in_w_plus = projection.project_batch(G, target[None], pixel_distance, space="w+",
                                         **options)
    assert in_w.w.shape == in_w_plus.w.shape == (1, G.num_ws, W_DIM)
    np.testing.assert_array_equal(in_w.w[:, 0], in_w.w[:, -1])  # W: one w for all layers
    assert np.abs(in_w_plus.w[:, 0] - in_w_plus.w[:, -1]).max() > 1e-3  # W+: one per layer
    # Both improve on the start; W+ ends lower (seen: 0.019 against 0.126 for W).
    assert in_w_plus.dist[-1, 0] < 0.5 * in_w_plus.dist[0, 0]
    assert in_w_plus.dist[-5:].mean() < 0.7 * in_w.dist[-5:].mean()
    # The pull toward W shrinks the spread between the layers' ws.
    pulled = projection.project_batch(G, target[None], pixel_distance, space="w+",
                                      w_plus_reg=10.0, **options)

    def spread(w):
        return float(np.mean((w - w.mean(axis=1, keepdims=True)) ** 2))

    assert spread(pulled.w) < 0.5 * spread(in_w_plus.w)


def test_batch_projection_init_and_recording():
    G = tiny_generator(1)
    ws = G.mapping(np.random.RandomState(2).randn(3, Z_DIM).astype(np.float32), None).numpy()
    targets = synthesize(G, ws)
    result = projection.project_batch(G, targets, pixel_distance, num_steps=4,
                                      w_avg_samples=100, record_every=2, init_ws=ws,
                                      initial_noise_factor=0.0)
    assert result.w.shape == (3, G.num_ws, W_DIM) and result.dist.shape == (4, 3)
    assert sorted(result.recorded) == [0, 2, 3]  # every 2 steps and the last
    assert result.step_traces == 1
    # Started at the true ws (and no noise added to w), the first distances are 0 (float32
    # rounding), and the recorded ws of step 0 are one Adam step away from them.
    assert result.dist[0].max() < 1e-10
    np.testing.assert_allclose(result.recorded[0], ws, atol=0.1)
    with pytest.raises(ValueError, match="differ from layer to layer"):
        w_plus = ws.copy()
        w_plus[:, 0] += 1
        projection.project_batch(G, targets, pixel_distance, num_steps=1, w_avg_samples=10,
                                 init_ws=w_plus)
    with pytest.raises(ValueError, match=r"initial ws must have shape \[3 or 1"):
        projection.project_batch(G, targets, pixel_distance, num_steps=1, w_avg_samples=10,
                                 init_ws=ws[:2])


def test_w_ws_render_with_any_num_ws(tmp_path):
    G32 = tiny_generator(2, res=32)
    w = np.random.RandomState(0).randn(2, 1, W_DIM).astype(np.float32)
    np.savez(tmp_path / "w.npz", w=np.repeat(w, 6, axis=1))  # a W file of a num_ws = 6 G
    ws = projection.load_projected_w(tmp_path / "w.npz", G32)
    assert ws.shape == (2, G32.num_ws, W_DIM) and G32.num_ws != 6
    np.testing.assert_array_equal(ws, np.repeat(w, G32.num_ws, axis=1))
    w_plus = np.random.RandomState(1).randn(1, 6, W_DIM).astype(np.float32)
    np.savez(tmp_path / "wp.npz", w=w_plus)
    with pytest.raises(ValueError, match=r"shape \[1, 6, 8\].*W ws of \[N, 1, 8\] fit any"):
        projection.load_projected_w(tmp_path / "wp.npz", G32)


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("project_folder")
    run_dir, _ = tiny_runs.save_run(root / "run", tiny_generator(3))
    return run_dir, write_npz(root / "lpips_vgg.npz", random_lpips_arrays("vgg"))


@pytest.fixture(scope="module")
def tool():
    with load_tool(PROJECT) as namespace:
        yield namespace


def photo_folder(path):
    path.mkdir()
    rs = np.random.RandomState(0)
    for name in ("b.png", "a.jpg", "c.png"):
        PIL.Image.fromarray(rs.randint(0, 255, [20, 24, 3]).astype(np.uint8)).save(path / name)
    (path / "notes.txt").write_text("not an image")
    (path / "broken.png").write_bytes(b"\x89PNG truncated")
    return path


def test_folder_projection_names_unreadable_files(tiny_run, tool, capsys, tmp_path):
    run_dir, lpips = tiny_run
    folder = photo_folder(tmp_path / "photos")
    base = [f"--network={run_dir}", f"--target={folder}", f"--lpips={lpips}", "--num_steps=3",
            "--w_avg_samples=20", "--batch=2"]
    status, _, err = run_main(tool, PROJECT, base + [f"--outdir={tmp_path / 'out'}"], capsys)
    assert status == 1 and "2 of the 5 files" in err
    assert "broken.png" in err and "notes.txt" in err and "--skip_unreadable" in err
    assert not (tmp_path / "out").exists()  # nothing projected

    out = tmp_path / "out2"
    status, stdout, err = run_main(tool, PROJECT, base + [
        f"--outdir={out}", "--skip_unreadable", "--space=w+", "--save_video",
        "--video_format=mp4", "--video_every=2"], capsys)
    assert status == 0, err
    assert "skipped" in err and "broken.png" in err and "notes.txt" in err
    assert "Projected 3 images into W+" in stdout
    assert sorted(p.name for p in out.iterdir()) == ["a", "b", "c", "projected_w.npz",
                                                     "skipped.txt"]
    assert sorted((out / "skipped.txt").read_text().split()) == \
        sorted(str(folder / n) for n in ("broken.png", "notes.txt"))
    for name in "abc":
        assert sorted(p.name for p in (out / name).iterdir()) == \
            ["proj.mp4", "proj.png", "projected_w.npz", "target.png"]
        reader = imageio_ffmpeg.read_frames(str(out / name / "proj.mp4"))
        meta = next(reader)
        assert meta["size"] == (2 * RES, RES) and len(list(reader)) == 2  # steps 0 and 2
    with np.load(out / "projected_w.npz") as data:
        assert list(data["names"]) == ["a.jpg", "b.png", "c.png"]  # file-name order
        ws = data["w"]
    assert ws.shape == (3, 6, W_DIM)
    with np.load(out / "b" / "projected_w.npz") as data:
        np.testing.assert_array_equal(data["w"], ws[1:2])

    # --init from the result: one start per target.
    status, stdout, err = run_main(tool, PROJECT, base + [
        f"--outdir={tmp_path / 'out3'}", "--skip_unreadable", "--space=w+",
        f"--init={out / 'projected_w.npz'}"], capsys)
    assert status == 0, err
    status, _, err = run_main(tool, PROJECT, base + [
        f"--outdir={tmp_path / 'out4'}", "--skip_unreadable", "--space=w",
        f"--init={out / 'projected_w.npz'}"], capsys)
    assert status == 1 and "error: --init:" in err and "W+" in err
