"""tools/export.py and tools/generate.py with exports; the export package's path and write
logic; the pieces the signatures are made of, against NumPy and the documented formulas."""

import os

import numpy as np
import PIL.Image
import pytest
import tensorflow as tf
from conftest import EXPORT, GENERATE, run_tool
from export_fixtures import Z_DIM

from tfgan_fs import images as image_io
from tfgan_fs.export import (ExportError, ExportedGenerator, check_destination, export_generator,
                             find_saved_model, seed_latents, write_saved_model)
from tfgan_fs.export.network import _force_reference_impl

GEN_ARGS = ["--seeds=5,9,2,11,3", "--class=2", "--trunc=0.7", "--seed_rng=tf", "--batch=8"]


def read_pngs(folder):
    return {p.name: np.asarray(PIL.Image.open(p)) for p in sorted(folder.iterdir())}


def test_generate_from_the_export_equals_generate_from_the_checkpoint(exported, tiny_run,
                                                                       tmp_path):
    run_dir, method = tiny_run
    # --batch=8 is over the export's max_batch of 4: generate.py splits the batches.
    from_ckpt = run_tool([GENERATE, f"--network={run_dir}", f"--outdir={tmp_path / 'a'}"]
                         + GEN_ARGS)
    assert from_ckpt.returncode == 0, from_ckpt.stderr
    from_export = run_tool([GENERATE, f"--network={exported}", f"--outdir={tmp_path / 'b'}"]
                           + GEN_ARGS)
    assert from_export.returncode == 0, from_export.stderr
    a, b = read_pngs(tmp_path / "a"), read_pngs(tmp_path / "b")
    assert sorted(a) == ["grid.png", "seed0002.png", "seed0003.png", "seed0005.png",
                         "seed0009.png", "seed0011.png"]
    assert sorted(b) == sorted(a)
    # The checkpoint runs G_ema in one batch of 5, the export its own graph in batches of <= 4:
    # float rounding may differ (~1e-6), which flips a pixel only next to a rounding step.
    for name in a:
        diff = np.abs(b[name].astype(int) - a[name])
        assert diff.max() <= 1 and np.mean(diff > 0) < 0.01, name
    # --seed_rng=tf is from_seeds' documented draw: z = stateless_normal(seed=[s, 0], philox).
    z = tf.random.stateless_normal([Z_DIM], seed=[9, 0], alg="philox")[tf.newaxis]
    c = tf.one_hot([2], 3)
    expected = image_io.to_uint8(method.G_ema(z, c, truncation_psi=0.7, noise_mode="const"))
    assert np.abs(a["seed0009.png"].astype(int) - expected[0]).max() <= 1


def test_bad_network_paths_are_clear_errors(tmp_path):
    missing = run_tool([EXPORT, f"--network={tmp_path / 'nope'}", f"--outdir={tmp_path / 'o'}"])
    assert missing.returncode == 1
    assert f"error: --network: {tmp_path / 'nope'} does not exist" in missing.stderr
    assert "Traceback" not in missing.stderr
    assert not (tmp_path / "o").exists()
    # What generate.py reports for a path that is no export (it then tries a checkpoint).
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="no SavedModel in .*empty"):
        ExportedGenerator(tmp_path / "empty")


def test_export_refuses_an_existing_version(tmp_path):
    (tmp_path / "G" / "2").mkdir(parents=True)
    with pytest.raises(ExportError, match="G/2 already exists: pass --overwrite"):
        export_generator(tmp_path / "run-never-read", tmp_path / "G", version=2)
    assert check_destination(tmp_path / "G", 2, overwrite=True) == tmp_path / "G" / "2"
    with pytest.raises(ExportError, match="non-negative"):
        check_destination(tmp_path / "G", -1)
    (tmp_path / "file").write_text("")
    with pytest.raises(ExportError, match="is not a directory"):
        check_destination(tmp_path / "file", 1)


class StubExport(tf.Module):
    """A minimal module with the `signatures()` that write_saved_model asks for."""

    def __init__(self, value):
        super().__init__()
        self.value = tf.Variable(float(value))

    def signatures(self):
        fn = tf.function(lambda x: {"y": x * self.value},
                         input_signature=[tf.TensorSpec([None], tf.float32, name="x")])
        return {"serving_default": fn.get_concrete_function()}


def served_value(path):
    return float(tf.saved_model.load(str(path)).signatures["serving_default"](
        x=tf.ones([1]))["y"][0])


def test_write_is_atomic_and_overwrite_replaces(tmp_path, monkeypatch):
    final = tmp_path / "G" / "1"
    write_saved_model(StubExport(2.0), final)
    assert served_value(final) == 2.0

    def crash(module, path, signatures=None):
        os.makedirs(os.path.join(path, "variables"))  # half-written
        raise OSError("disk full")

    with monkeypatch.context() as patch:
        patch.setattr(tf.saved_model, "save", crash)
        with pytest.raises(OSError, match="disk full"):
            write_saved_model(StubExport(3.0), final)
    assert sorted(os.listdir(tmp_path / "G")) == ["1"]
    assert served_value(final) == 2.0

    write_saved_model(StubExport(4.0), final)
    assert sorted(os.listdir(tmp_path / "G")) == ["1"]
    assert served_value(final) == 4.0


def test_find_saved_model_takes_the_newest_numeric_version(tmp_path):
    base = tmp_path / "G"
    for name in ("1", "2", "10", "tmp", ".tmp-11-123", "12"):
        (base / name).mkdir(parents=True)
        if name != "12":  # 12 is incomplete: no saved_model.pb
            (base / name / "saved_model.pb").write_bytes(b"")
    assert find_saved_model(base) == base / "10"
    assert find_saved_model(base / "2") == base / "2"
    assert find_saved_model(base / "12") is None
    assert find_saved_model(tmp_path / "missing") is None


def test_graph_quantisation_is_the_references():
    x = np.concatenate([np.linspace(-1.2, 1.2, 2001, dtype=np.float32),
                        np.float32([-1, 1, 0, 127 / 127.5 - 128 / 127.5, np.inf, -np.inf])])
    expected = np.clip(x * np.float32(127.5) + np.float32(128), 0, 255).astype(np.uint8)
    np.testing.assert_array_equal(image_io.to_uint8_tensor(tf.constant(x)).numpy(), expected)
    np.testing.assert_array_equal(image_io.to_uint8(x), expected)


def test_seed_latents_is_the_documented_draw():
    z = seed_latents(tf.constant([5, 9, 5], tf.int64), Z_DIM).numpy()
    for row, seed in zip(z, [5, 9, 5]):
        np.testing.assert_array_equal(
            row, tf.random.stateless_normal([Z_DIM], seed=[seed, 0], alg="philox"))
    assert z.shape == (3, Z_DIM) and abs(z.std() - 1) < 0.5


def test_export_forces_reference_impl_everywhere():
    config = {"impl": "custom", "z_dim": 4, "synthesis_kwargs": {
        "impl": "auto", "layers": [{"impl": "custom"}, {"other": "custom"}]}}
    assert _force_reference_impl(config) == {"impl": "ref", "z_dim": 4, "synthesis_kwargs": {
        "impl": "ref", "layers": [{"impl": "ref"}, {"other": "custom"}]}}
    assert config["impl"] == "custom"  # the input is not modified
