"""tools/generate.py's figure modes (in process) on tiny saved runs: each picture against G's
own outputs or a synthesis of ws built here in NumPy, and the refusals (with the flag named).

Images are compared as uint8 with at most one step of difference on under 2 % of the pixels
(another batch composition rounds float32 differently)."""

import pathlib
import sys

import numpy as np
import PIL.Image
import pytest
import tensorflow as tf

from tfgan_fs import images as image_io

REPO = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "tools"))
from inprocess import load_tool, run_main  # noqa: E402
from tiny_runs import save_run, tiny_generator  # noqa: E402

GENERATE = REPO / "tools" / "generate.py"
RES, Z_DIM, W_DIM = 16, 8, 8


def save_tiny_run(root, name, seed, res=RES, z_dim=Z_DIM):
    G = tiny_generator(seed, res=res, z_dim=z_dim)
    G.mapping(tf.random.stateless_normal([64, z_dim], [seed, 1]), None, update_w_avg=True)
    return save_run(root / name, G)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("figures")
    return {"a": save_tiny_run(root, "a", 0), "b": save_tiny_run(root, "b", 1),
            "res32": save_tiny_run(root, "res32", 2, res=32),
            "z4": save_tiny_run(root, "z4", 3, z_dim=4)}


@pytest.fixture(scope="module")
def tool():
    with load_tool(GENERATE) as namespace:
        yield namespace


def z_of(seeds, z_dim=Z_DIM):
    return np.concatenate([np.random.RandomState(s).randn(1, z_dim) for s in seeds]) \
        .astype(np.float32)


def png(path):
    return np.asarray(PIL.Image.open(path))


def tiles(grid, rows, cols, size=RES):
    return grid.reshape(rows, size, cols, size, -1).transpose(0, 2, 1, 3, 4)


def synth(G, ws):
    return image_io.to_uint8(G.synthesis(tf.constant(ws, tf.float32), noise_mode="const"))


def assert_refused(tool, capsys, args, needle):
    """The tool exits with status 1 and `needle` in its error, without a traceback."""
    status, _, err = run_main(tool, GENERATE, args, capsys)
    assert status == 1 and needle in err and "Traceback" not in err, err


def assert_close_uint8(actual, expected):
    diff = np.abs(np.asarray(actual, int) - np.asarray(expected, int))
    assert diff.max() <= 1 and np.mean(diff > 0) < 0.02


def test_style_mix_cells_are_hand_mixed(runs, tool, capsys, tmp_path):
    run, G = runs["a"]
    status, out, err = run_main(tool, GENERATE, [f"--network={run}", "--style_mix",
                                                 "--rows=1,2", "--cols=5,6,7", "--styles=1-3",
                                                 f"--outdir={tmp_path}"], capsys)
    assert status == 0, err
    assert "Wrote stylemix.png (2 rows x 3 columns" in out
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == sorted(["stylemix.png"] + [f"mix{r}-{c}.png" for r in (1, 2)
                                               for c in (5, 6, 7)])
    row_ws, col_ws = G.mapping(z_of([1, 2]), None).numpy(), G.mapping(z_of([5, 6, 7]),
                                                                         None).numpy()
    grid = tiles(png(tmp_path / "stylemix.png"), 3, 4)
    for r, row in enumerate((1, 2)):
        for c, col in enumerate((5, 6, 7)):
            mixed = row_ws[r].copy()
            mixed[1:4] = col_ws[c, 1:4]
            expected = synth(G, mixed[None])[0]
            assert_close_uint8(png(tmp_path / f"mix{row}-{col}.png"), expected)
            assert_close_uint8(grid[r + 1, c + 1], expected)
    assert_refused(tool, capsys, [f"--network={run}", "--style_mix", f"--styles=0-{G.num_ws}",
                                  f"--outdir={tmp_path / 'bad'}"],
                   f"error: --styles: styles [{G.num_ws}] are not layers of this network (it "
                   f"has num_ws = {G.num_ws}")


def test_trunc_sweep_psi_1_row_is_the_plain_images(runs, tool, capsys, tmp_path):
    run, G = runs["a"]
    status, _, err = run_main(tool, GENERATE, [f"--network={run}", "--seeds=3-5",
                                               f"--outdir={tmp_path / 'plain'}"], capsys)
    assert status == 0, err
    status, out, err = run_main(tool, GENERATE, [f"--network={run}", "--seeds=3-5",
                                                 "--trunc_sweep=1,0", f"--outdir={tmp_path}"],
                                capsys)
    assert status == 0, err
    sweep = tiles(png(tmp_path / "trunc_sweep.png"), 2, 3)
    for i, seed in enumerate((3, 4, 5)):
        assert_close_uint8(sweep[0, i], png(tmp_path / "plain" / f"seed{seed:04d}.png"))
        w_avg = np.tile(G.mapping.w_avg.numpy(), [1, G.num_ws, 1])
        assert_close_uint8(sweep[1, i], synth(G, w_avg)[0])
    assert_refused(tool, capsys, [f"--network={run}", "--trunc_sweep=1,x",
                                  f"--outdir={tmp_path / 'bad'}"],
                   "error: --trunc_sweep: expected comma-separated numbers")


def test_several_networks_make_a_comparison_and_refuse_mismatches(runs, tool, capsys,
                                                                  tmp_path):
    (a, Ga), (b, Gb) = runs["a"], runs["b"]
    status, out, err = run_main(tool, GENERATE, [f"--network={a}", f"--network={b}",
                                                 "--seeds=0-3", f"--outdir={tmp_path}"], capsys)
    assert status == 0, err
    assert f"row 0: {a}" in out and f"row 1: {b}" in out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["comparison.png"]
    grid = tiles(png(tmp_path / "comparison.png"), 2, 4)
    z = z_of(range(4))
    for row, G in enumerate((Ga, Gb)):
        for i in range(4):
            assert_close_uint8(grid[row, i], image_io.to_uint8(G(z[i:i + 1], None,
                                                                 noise_mode="const"))[0])
    for other, needle in (("res32", "has resolution 32, but --network=" + str(a) + " has 16"),
                          ("z4", "has z_dim 4, but --network=" + str(a) + " has 8")):
        assert_refused(tool, capsys, [f"--network={a}", f"--network={runs[other][0]}",
                                      f"--outdir={tmp_path / other}"], needle)
        assert not (tmp_path / other).exists()


def test_pca_directions_and_direction_edits(runs, tool, capsys, tmp_path):
    run, G = runs["a"]
    status, out, err = run_main(tool, GENERATE, [f"--network={run}", "--pca_directions=2",
                                                 "--pca_samples=500", "--seeds=4",
                                                 "--strengths=-2,0,2", f"--outdir={tmp_path}"],
                                capsys)
    assert status == 0, err
    found = np.load(tmp_path / "pca_directions.npy")
    assert found.shape == (2, W_DIM)
    np.testing.assert_allclose(found @ found.T, np.eye(2), atol=1e-5)
    picture = tiles(png(tmp_path / "pca_directions.png"), 2, 3)
    plain = synth(G, G.mapping(z_of([4]), None).numpy())[0]
    for k in range(2):
        assert_close_uint8(picture[k, 1], plain)  # strength 0
        assert np.abs(picture[k, 0].astype(int) - plain).mean() > 1  # the edits show

    status, out, err = run_main(tool, GENERATE, [
        f"--network={run}", f"--direction={tmp_path / 'pca_directions.npy'}",
        "--direction_index=1", "--seeds=1,2", "--strengths=0,1.5", "--pca_samples=500",
        "--edit_layers=0-2", f"--outdir={tmp_path / 'edit'}"], capsys)
    assert status == 0, err
    sigma = float(out.split("one standard deviation = ")[1].split()[0])
    grid = tiles(png(tmp_path / "edit" / "direction.png"), 2, 2)
    ws = G.mapping(z_of([1, 2]), None).numpy()
    edited = ws.copy()
    edited[:, :3] += 1.5 * sigma * found[1]
    for i in range(2):
        assert_close_uint8(grid[i, 0], synth(G, ws[i:i + 1])[0])
        assert_close_uint8(grid[i, 1], synth(G, edited[i:i + 1])[0])
    assert_refused(tool, capsys, [f"--network={run}", "--direction=missing.npy",
                                  f"--outdir={tmp_path / 'bad'}"],
                   "error: --direction: 'missing.npy' does not exist")


def test_projected_w_renders_with_a_generator_of_another_resolution(runs, tool, capsys,
                                                                   tmp_path):
    (_, Ga), (run32, G32) = runs["a"], runs["res32"]
    w = Ga.mapping(z_of([9]), None).numpy()  # a W file of the 16 px network
    np.savez(tmp_path / "w.npz", w=w)
    status, _, err = run_main(tool, GENERATE, [f"--network={run32}",
                                               f"--projected_w={tmp_path / 'w.npz'}",
                                               f"--outdir={tmp_path / 'out'}"], capsys)
    assert status == 0, err
    expected = synth(G32, np.repeat(w[:, :1], G32.num_ws, axis=1))[0]
    assert_close_uint8(png(tmp_path / "out" / "proj00.png"), expected)
    assert_refused(tool, capsys, [f"--network={run32}", "--style_mix", "--trunc_sweep=1",
                                  f"--outdir={tmp_path}"],
                   "--style_mix and --trunc_sweep exclude each other")
