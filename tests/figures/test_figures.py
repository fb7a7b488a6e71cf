"""tfgan_fs/figures: each figure against values built by hand in NumPy from G's own mapping and
synthesis (style mixing, truncation, comparison, edits), PCA against numpy's eigenvectors, and
the keyframe walk against the spline equations (and scipy, where installed).

Tolerances: images are compared as uint8 with at most one step of difference on under 2 % of
the pixels (another batch composition rounds float32 differently); ws to 1e-5."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from tfgan_fs import images as image_io
from tfgan_fs.figures import comparison, directions, latent_walk, style_mixing, truncation
from tfgan_fs.networks import Generator

RES, Z_DIM, W_DIM = 16, 8, 8


def tiny_generator(seed, res=RES, z_dim=Z_DIM, c_dim=0):
    """A tiny G whose weights are perturbed (so that biases and w_avg matter), w_avg tracked;
    deterministic in `seed` whatever ran before it in the process."""
    keras.utils.set_random_seed(seed)
    G = Generator(z_dim, c_dim, W_DIM, res, 3, mapping_kwargs=dict(num_layers=2),
                  synthesis_kwargs=dict(channel_base=64, channel_max=8))
    for i, v in enumerate(G.weights):
        if not v.path.endswith("noise_const"):
            v.assign(v + 0.1 * tf.random.stateless_normal(v.shape, [i, seed]))
    for i in range(3):
        G.mapping(tf.random.stateless_normal([16, z_dim], [i, seed]),
                  tf.zeros([16, c_dim]), update_w_avg=True)
    return G


@pytest.fixture(scope="module")
def G():
    return tiny_generator(0)


def latents(n, seed=0):
    return np.random.RandomState(seed).randn(n, Z_DIM).astype(np.float32)


def synth(G, ws):
    return image_io.to_uint8(G.synthesis(tf.constant(ws, tf.float32), noise_mode="const"))


def assert_close_uint8(actual, expected):
    diff = np.abs(np.asarray(actual, int) - np.asarray(expected, int))
    assert diff.max() <= 1 and np.mean(diff > 0) < 0.02


def test_style_mixing_cells_are_hand_mixed_ws(G):
    # W+ ws (another w at each layer), so that a wrong layer index shows.
    rs = np.random.RandomState(0)
    row_ws = G.mapping(latents(3, 1), None).numpy() + rs.randn(3, G.num_ws, W_DIM) * 0.5
    col_ws = G.mapping(latents(2, 2), None).numpy() + rs.randn(2, G.num_ws, W_DIM) * 0.5
    styles = [0, 1, 2]
    grid, cells, row_imgs, col_imgs = style_mixing.style_mixing_grid(G, row_ws, col_ws, styles,
                                                                     batch=4)
    assert grid.shape == (4 * RES, 3 * RES, 3) and cells.shape == (3, 2, RES, RES, 3)
    tiles = grid.reshape(4, RES, 3, RES, 3).transpose(0, 2, 1, 3, 4)
    assert not tiles[0, 0].any()  # the empty corner
    for r in range(3):
        assert_close_uint8(tiles[r + 1, 0], synth(G, row_ws[r:r + 1])[0])
        for c in range(2):
            mixed = row_ws[r].copy()
            mixed[:3] = col_ws[c, :3]  # the column's ws at layers 0-2, the row's elsewhere
            expected = synth(G, mixed[np.newaxis])[0]
            assert_close_uint8(cells[r, c], expected)
            np.testing.assert_array_equal(tiles[r + 1, c + 1], cells[r, c])
    for c in range(2):
        assert_close_uint8(tiles[0, c + 1], synth(G, col_ws[c:c + 1])[0])
    # The mix differs from both sources (the styles matter).
    assert np.abs(cells[0, 0].astype(int) - row_imgs[0]).mean() > 1
    assert np.abs(cells[0, 0].astype(int) - col_imgs[0]).mean() > 1
    with pytest.raises(ValueError, match=rf"styles \[{G.num_ws}\] .*num_ws = {G.num_ws}"):
        style_mixing.mix_ws(row_ws, col_ws, [0, G.num_ws])


def test_truncation_sweep_rows(G):
    z = latents(3, 3)
    grid, rows = truncation.truncation_sweep(G, z, [1, 0.5, 0], batch=2)
    assert grid.shape == (3 * RES, 3 * RES, 3) and rows.shape == (3, 3, RES, RES, 3)
    plain = image_io.to_uint8(G(z, None, noise_mode="const"))
    assert_close_uint8(rows[0], plain)  # psi = 1: G's own images (in other batches)
    # psi = 0: every column is the image of w_avg (computed here from the variable).
    w_avg = np.tile(G.mapping.w_avg.numpy(), [1, G.num_ws, 1])
    for img in rows[2]:
        assert_close_uint8(img, synth(G, w_avg)[0])
    # psi = 0.5: lerp(w_avg, w, 0.5) by hand.
    ws = G.mapping(z, None).numpy()
    assert_close_uint8(rows[1], synth(G, w_avg + 0.5 * (ws - w_avg)))


def test_comparison_grid_rows_and_refusals(G):
    other = tiny_generator(1)
    z = latents(2, 4)
    grid, rows = comparison.comparison_grid([G, other], z, batch=1)
    assert grid.shape == (2 * RES, 2 * RES, 3)
    assert_close_uint8(rows[0], image_io.to_uint8(G(z, None, noise_mode="const")))
    assert_close_uint8(rows[1], image_io.to_uint8(other(z, None, noise_mode="const")))
    with pytest.raises(ValueError, match="B has resolution 32, but A has 16"):
        comparison.check_compatible([G, tiny_generator(2, res=32)], ["A", "B"])
    with pytest.raises(ValueError, match="#1 has z_dim 4, but #0 has 8"):
        comparison.comparison_grid([G, tiny_generator(2, z_dim=4)], z)


def test_pca_directions_against_numpy_eigenvectors(G):
    ws = directions.sample_ws(G, 2000, seed=5)
    assert ws.shape == (2000, W_DIM)
    found, sigmas, mean = directions.pca_directions(ws, 3)
    np.testing.assert_allclose(found @ found.T, np.eye(3), atol=1e-5)  # orthonormal
    cov = np.cov(ws, rowvar=False)
    eigvals, eigvecs = np.linalg.eigh(cov)  # ascending
    top = eigvecs[:, -1]
    assert abs(float(found[0] @ top)) == pytest.approx(1, abs=1e-5)  # same axis, either sign
    np.testing.assert_allclose(sigmas ** 2, eigvals[::-1][:3], rtol=1e-4)
    np.testing.assert_allclose(mean, ws.mean(axis=0), atol=1e-5)
    assert directions.direction_sigma(ws, found[1]) == pytest.approx(sigmas[1], rel=1e-4)
    with pytest.raises(ValueError, match=r"in \[1, 8\]"):
        directions.pca_directions(ws, 9)


def test_edit_ws_and_load_direction(tmp_path):
    ws = np.random.RandomState(0).randn(2, 4, 3).astype(np.float32)
    d = np.array([0, 3, 4], np.float32)
    out = directions.edit_ws(ws, d, [-1, 2], layers=[1, 2])
    assert out.shape == (2, 2, 4, 3)
    expected = np.stack([ws.copy(), ws.copy()])
    expected[0, :, 1:3] -= d
    expected[1, :, 1:3] += 2 * d
    np.testing.assert_allclose(out, expected, atol=1e-6)
    np.save(tmp_path / "d.npy", np.stack([d, 2 * d + 1]))
    np.testing.assert_allclose(directions.load_direction(tmp_path / "d.npy", 3), d / 5,
                               atol=1e-6)
    with pytest.raises(ValueError, match=r"d.npy' holds an array of shape \[2, 3\].*\[5\]"):
        directions.load_direction(tmp_path / "d.npy", 5)
    with pytest.raises(ValueError, match="index 2 is not one"):
        directions.load_direction(tmp_path / "d.npy", 3, index=2)


def test_keyframe_walk_passes_through_keyframes_and_solves_the_spline():
    ws = np.random.RandomState(1).randn(4, 2, 3)
    for loop in (True, False):
        for kind in ("cubic", "linear"):
            walk = latent_walk.KeyframeWalk(ws, kind, loop)
            np.testing.assert_allclose(walk(np.arange(4)), ws, atol=1e-6)
    linear = latent_walk.KeyframeWalk(ws, "linear")
    np.testing.assert_allclose(linear([0.25, 3.5])[1], 0.5 * (ws[3] + ws[0]), atol=1e-6)
    # Periodic cubic: its second derivatives M solve M[k-1] + 4 M[k] + M[k+1] = 6 (second
    # difference of the keyframes), cyclically; the curve is scipy's periodic spline.
    cubic = latent_walk.KeyframeWalk(ws, "cubic", loop=True)
    m = cubic.m
    for k in range(4):
        np.testing.assert_allclose(m[k - 1] + 4 * m[k] + m[(k + 1) % 4],
                                   6 * (ws[k - 1] - 2 * ws[k] + ws[(k + 1) % 4]), atol=1e-9)
    np.testing.assert_allclose(cubic([4.0]), ws[:1], atol=1e-6)  # loops: position K = keyframe 0
    scipy_interpolate = pytest.importorskip("scipy.interpolate")
    ref = scipy_interpolate.CubicSpline(np.arange(5), np.concatenate([ws, ws[:1]]),
                                        bc_type="periodic")
    x = np.linspace(0, 3.9, 17)
    np.testing.assert_allclose(cubic(x), ref(x), atol=1e-5)
    natural = scipy_interpolate.CubicSpline(np.arange(4), ws, bc_type="natural")
    np.testing.assert_allclose(latent_walk.KeyframeWalk(ws, "cubic", loop=False)(x[x <= 3]),
                               natural(x[x <= 3]), atol=1e-5)
