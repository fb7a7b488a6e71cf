"""The exported SavedModel as TF Serving uses it: plain TensorFlow in a fresh process, the
signatures saved_model_cli lists, and requests that are refused with a clear message."""

import pathlib
import re
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf
from conftest import C_DIM, MAX_BATCH, run_tool
from export_fixtures import RESOLUTION, Z_DIM, save_tiny_run

from tfgan_fs import images as image_io
from tfgan_fs.export import export_generator

CLIENT = pathlib.Path(__file__).with_name("serving_client.py")
PSI = 0.7
SEEDS = [5, 9, 5]


def stateless_z(seed):
    """The documented seed -> z mapping of `from_seeds`, written out independently."""
    return tf.random.stateless_normal([Z_DIM], seed=[seed, 0], alg="philox").numpy()


def assert_images_match(images_u8, images_float, expected_float):
    np.testing.assert_allclose(images_float, expected_float, atol=1e-5, rtol=0)
    # The graph quantises exactly as tfgan_fs.images.to_uint8 (generate.py) does...
    np.testing.assert_array_equal(images_u8, image_io.to_uint8(images_float))
    # ...so against the eager G_ema only values within 1e-5 of a rounding step can differ.
    assert np.abs(images_u8.astype(int) - image_io.to_uint8(expected_float)).max() <= 1


@pytest.fixture(scope="module")
def served(exported, tmp_path_factory):
    """(request, result) of serving_client.py run once on the export in a fresh process."""
    tmp = tmp_path_factory.mktemp("served")
    rs = np.random.RandomState(1)
    request = dict(z=rs.randn(3, Z_DIM).astype(np.float32),
                   c=np.eye(C_DIM, dtype=np.float32)[[0, 2, 1]], psi=np.float32(PSI),
                   seeds=np.array(SEEDS, np.int64),
                   seeds_c=np.eye(C_DIM, dtype=np.float32)[[1, 0, 1]])
    np.savez(tmp / "request.npz", **request)
    result = subprocess.run([sys.executable, str(CLIENT), str(exported / "1"),
                             str(tmp / "request.npz"),
                             str(tmp / "result.npz")],
                            cwd=tmp, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return request, dict(np.load(tmp / "result.npz"))


def test_fresh_process_without_tfgan_fs_gives_g_ema_images(served, tiny_run):
    request, out = served
    z, c = request["z"], request["c"]
    G = tiny_run[1].G_ema
    assert not out["tfgan_fs_imported"]
    assert list(out["signatures"]) == ["from_seeds", "mapping", "serving_default", "synthesis"]

    expected = G(z, c, truncation_psi=PSI, noise_mode="const").numpy()
    assert expected.shape == (3, RESOLUTION, RESOLUTION, 3) and expected.std() > 0.05
    assert out["images"].dtype == np.uint8 and out["images_float"].dtype == np.float32
    assert_images_match(out["images"], out["images_float"], expected)
    diff = np.abs(out["images_float"] - expected).max()
    print(f"max |SavedModel - in-process G_ema| = {diff:.3g}")
    # Loaded as TF Serving loads it (restore op in a session): the same images.
    np.testing.assert_allclose(out["session_images_float"], out["images_float"], atol=1e-5,
                               rtol=0)

    ws = G.mapping(z, c, truncation_psi=PSI).numpy()
    np.testing.assert_allclose(out["ws"], ws, atol=1e-5, rtol=0)
    np.testing.assert_allclose(out["synthesis_float"], expected, atol=1e-5, rtol=0)


def test_from_seeds_is_deterministic_and_the_documented_draw(served, tiny_run):
    request, out = served
    G = tiny_run[1].G_ema
    # The same image for the same seed (and class), in one batch and across two loads.
    np.testing.assert_array_equal(out["seeds_images_0"], out["seeds_images_1"])
    # Seed 5 at batch positions 0 and 2: a batched op may round another row differently, so
    # floats agree to rounding and pixels to one step (only next to a rounding boundary).
    np.testing.assert_allclose(out["seeds_float_0"][2], out["seeds_float_0"][0], rtol=0,
                               atol=1e-5)
    assert np.abs(out["seeds_images_0"][2].astype(int) - out["seeds_images_0"][0]).max() <= 1
    assert not np.array_equal(out["seeds_images_0"][0], out["seeds_images_0"][1])
    seed_z = np.stack([stateless_z(s) for s in SEEDS])
    expected = G(seed_z, request["seeds_c"], truncation_psi=PSI, noise_mode="const").numpy()
    assert_images_match(out["seeds_images_0"], out["seeds_float_0"], expected)


def test_graph_has_stock_tensorflow_ops_only(served):
    # Op types come from the saved graph and its function library, and are looked up in the
    # op registry of a process that never imported tfgan_fs (nor any custom op library).
    out = served[1]
    types = list(out["op_types"])
    assert {"Conv2D", "MatMul", "StatelessRandomNormalV2"} <= set(types), types
    assert list(out["unregistered_op_types"]) == []
    assert not [t for t in types if re.search(r"(?i)upfirdn|bias_?act", t)]


def test_saved_model_cli_lists_the_signatures(exported):
    cli = pathlib.Path(sys.executable).with_name("saved_model_cli")
    result = run_tool([cli, "show", "--all", "--dir", exported / "1"])
    assert result.returncode == 0, result.stderr
    text = result.stdout
    blocks = {m.group(1): block for m, block in zip(
        re.finditer(r"signature_def\['(\w+)'\]", text),
        re.split(r"signature_def\['\w+'\]", text)[1:])}
    assert {"serving_default", "from_seeds", "mapping", "synthesis"} <= set(blocks)

    def tensor(block, kind, name):
        m = re.search(rf"{kind}\['{name}'\] tensor_info:\s+dtype: (\w+)\s+shape: (\([^)]*\))",
                      block)
        assert m, f"no {kind} {name} in:\n{block}"
        return m.groups()

    serve = blocks["serving_default"]
    assert tensor(serve, "inputs", "z") == ("DT_FLOAT", f"(-1, {Z_DIM})")
    assert tensor(serve, "inputs", "c") == ("DT_FLOAT", f"(-1, {C_DIM})")
    assert tensor(serve, "inputs", "truncation_psi") == ("DT_FLOAT", "()")
    assert tensor(serve, "outputs", "images") == ("DT_UINT8", f"(-1, {RESOLUTION}, "
                                                  f"{RESOLUTION}, 3)")
    assert tensor(serve, "outputs", "images_float")[0] == "DT_FLOAT"
    assert tensor(blocks["from_seeds"], "inputs", "seeds") == ("DT_INT64", "(-1)")
    assert tensor(blocks["mapping"], "outputs", "ws")[0] == "DT_FLOAT"
    assert tensor(blocks["synthesis"], "inputs", "ws")[0] == "DT_FLOAT"


@pytest.fixture(scope="module")
def signatures(exported):
    return tf.saved_model.load(str(exported / "1")).signatures


def _request(z_shape=(2, Z_DIM), c_shape=(2, C_DIM), psi=PSI, z_dtype=tf.float32):
    return dict(z=tf.zeros(z_shape, z_dtype), c=tf.zeros(c_shape),
                truncation_psi=tf.constant(psi, tf.float32))


@pytest.mark.parametrize("signature,request_args,message", [
    ("serving_default", _request(z_dtype=tf.int32), r"float tensor but is a int32"),
    ("serving_default", _request(z_shape=(2, 8)),
     rf"Shape of tensor z \[2,8\] is not compatible with expected shape \[\?,{Z_DIM}\]"),
    ("serving_default", _request(z_shape=(Z_DIM,), c_shape=(1, C_DIM)), r"Shape of tensor z"),
    ("serving_default", _request(z_shape=(MAX_BATCH + 1, Z_DIM), c_shape=(MAX_BATCH + 1, C_DIM)),
     rf"z: batch size must be <= {MAX_BATCH} \(--max_batch of this export\)"),
    ("serving_default", _request(z_shape=(0, Z_DIM), c_shape=(0, C_DIM)),
     r"z: batch size must be >= 1"),
    ("serving_default", _request(c_shape=(3, C_DIM)),
     r"c: batch size must equal the batch size of z"),
    ("serving_default", _request(c_shape=(2, C_DIM + 1)), r"Shape of tensor c \[2,4\]"),
    ("serving_default", _request(psi=float("nan")), r"truncation_psi must be finite"),
    ("serving_default", _request(psi=[0.5, 0.7]), r"Shape of tensor truncation_psi \[2\]"),
    ("from_seeds", dict(seeds=tf.zeros([MAX_BATCH + 1], tf.int64),
                        c=tf.zeros([MAX_BATCH + 1, C_DIM]), truncation_psi=tf.constant(1.0)),
     rf"seeds: batch size must be <= {MAX_BATCH}"),
    ("from_seeds", dict(seeds=tf.zeros([2], tf.float32), c=tf.zeros([2, C_DIM]),
                        truncation_psi=tf.constant(1.0)), r"int64 tensor but is a float"),
    ("synthesis", dict(ws=tf.zeros([2, 3, 16])), r"Shape of tensor ws \[2,3,16\]"),
])
def test_bad_requests_fail_with_a_clear_message(signatures, signature, request_args, message):
    with pytest.raises(tf.errors.InvalidArgumentError, match=message):
        signatures[signature](**request_args)


def test_unconditional_export_has_no_c_and_psi_one_is_untruncated(tmp_path):
    method = save_tiny_run(tmp_path / "run", c_dim=0, train=False)
    path, _ = export_generator(tmp_path / "run", tmp_path / "models", version=7)
    assert path == tmp_path / "models" / "7"
    serve = tf.saved_model.load(str(path)).signatures["serving_default"]
    assert set(serve.structured_input_signature[1]) == {"z", "truncation_psi"}
    z = np.random.RandomState(2).randn(2, Z_DIM).astype(np.float32)
    out = serve(z=tf.constant(z), truncation_psi=tf.constant(1.0))
    expected = method.G_ema(z, noise_mode="const").numpy()
    assert_images_match(out["images"].numpy(), out["images_float"].numpy(), expected)
    truncated = serve(z=tf.constant(z), truncation_psi=tf.constant(0.0))["images_float"]
    w_avg_image = method.G_ema.synthesis(
        tf.tile(method.G_ema.mapping.w_avg[None, None], [2, method.G_ema.num_ws, 1]),
        noise_mode="const")
    np.testing.assert_allclose(truncated, w_avg_image, atol=1e-5)
