"""tools/gen_video.py (in process) on tiny saved runs: the MP4's frame count and size decoded
with imageio-ffmpeg, its first frame against the keyframes' synthesis (codec tolerance: mean
luma error < 6, a quarter of the error to another keyframe), the GIF variant, and refusals."""

import pathlib
import sys

import imageio_ffmpeg
import numpy as np
import PIL.Image
import pytest

from tfgan_fs import images as image_io

REPO = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "tools"))
from inprocess import load_tool, run_main  # noqa: E402
from tiny_runs import save_run, tiny_generator  # noqa: E402

GEN_VIDEO = REPO / "tools" / "gen_video.py"
RES, Z_DIM = 16, 8


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("gen_video")
    return {name: save_run(root / name, tiny_generator(seed, res=res, noise=False))
            for name, seed, res in (("a", 0, RES), ("b", 1, RES), ("res32", 2, 32))}


@pytest.fixture(scope="module")
def tool():
    with load_tool(GEN_VIDEO) as namespace:
        yield namespace


def luma(images):
    return np.asarray(images, np.float64) @ np.array([0.299, 0.587, 0.114])


def test_mp4_of_a_grid_of_two_networks(runs, tool, capsys, tmp_path):
    (a, Ga), (b, Gb) = runs["a"], runs["b"]
    out = tmp_path / "walk.mp4"
    status, stdout, err = run_main(tool, GEN_VIDEO, [
        f"--network={a}", f"--network={b}", "--seeds=0-5", "--grid=2x1", "--w_frames=4",
        "--fps=24", f"--output={out}"], capsys)
    assert status == 0, err
    assert "Rendering" in err  # the progress bar
    assert "12 frames" in stdout  # 3 keyframes x 4, looping
    reader = imageio_ffmpeg.read_frames(str(out))
    meta = next(reader)
    assert meta["size"] == (2 * 2 * RES, RES) and meta["fps"] == 24
    frames = [np.frombuffer(f, np.uint8).reshape(RES, 4 * RES, 3) for f in reader]
    assert len(frames) == 12
    # Tile i walks seeds 3i, 3i+1, 3i+2; frame 0 shows keyframe 0 of each tile, for A then B.
    z = np.concatenate([np.random.RandomState(s).randn(1, Z_DIM) for s in (0, 3, 1)])
    for g, G in enumerate((Ga, Gb)):
        first = image_io.to_uint8(G(z.astype(np.float32), None, noise_mode="const"))
        for tile in range(2):
            got = luma(frames[0][:, (2 * g + tile) * RES:(2 * g + tile + 1) * RES])
            error = np.abs(got - luma(first[tile])).mean()
            assert error < 6 and error < 0.25 * np.abs(got - luma(first[2])).mean()


def test_gif_open_walk_and_refusals(runs, tool, capsys, tmp_path):
    a, _ = runs["a"]
    status, stdout, err = run_main(tool, GEN_VIDEO, [
        f"--network={a}", "--seeds=0-2", "--w_frames=2", "--noloop", "--kind=linear",
        "--fps=10", f"--output={tmp_path / 'walk.gif'}"], capsys)
    assert status == 0, err
    gif = PIL.Image.open(tmp_path / "walk.gif")
    assert gif.size == (RES, RES) and gif.n_frames == 2 * 2 + 1 and gif.info["duration"] == 100
    cases = [
        ([f"--network={a}", f"--network={runs['res32'][0]}"], "has resolution 32, but"),
        ([f"--network={a}", "--seeds=0-2", "--grid=2x2"], "give at least 8 seeds"),
        ([f"--network={a}", "--grid=2by2"], "--grid: expected WIDTHxHEIGHT"),
        ([f"--network={a}", "--output=walk.avi"], "must end in .mp4 or .gif"),
    ]
    for args, needle in cases:
        if not any(arg.startswith("--output") for arg in args):
            args = args + [f"--output={tmp_path / 'bad' / 'x.mp4'}"]
        status, _, err = run_main(tool, GEN_VIDEO, args, capsys)
        assert status == 1 and needle in err and "Traceback" not in err, (args, err)
    assert not (tmp_path / "bad").exists()
