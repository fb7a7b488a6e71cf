"""StarGAN v2 translators exported by tools/export.py: every signature in a fresh process without
tfgan_fs against the in-process Translator, stock ops only, metadata, refused requests, and the
FAN in the graph when w_hpf > 0 (a run without one refuses to export)."""

import json
import pathlib
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf
from conftest import EXPORT, run_tool

from tfgan_fs import images as image_io
from tfgan_fs.convert import stargan_v2 as conv
from tfgan_fs.convert.convert import CONVERSION_FILE
from tfgan_fs.export import write_saved_model
from tfgan_fs.export.translation import (TRANSLATOR_SIGNATURE_NAMES, TranslatorExport,
                                         TranslatorExportError, export_translator)
from tfgan_fs.translation import Translator

FIXTURES = pathlib.Path(__file__).resolve().parents[1] / "stargan_v2" / "fixtures"
IMG_SIZE, NUM_DOMAINS, LATENT_DIM, STYLE_DIM = 64, 3, 8, 16
MAX_BATCH = 4
DOMAIN_NAMES = ["cat", "dog", "wild"]
ATOL = 1e-4

# Run in a fresh process: plain TensorFlow (and serving_client's op scan), never tfgan_fs.
CLIENT = """
import sys
import numpy as np
import tensorflow as tf
from tensorflow.python.framework import op_def_registry
sys.path.insert(0, sys.argv[3])
from serving_client import graph_op_types

export_dir, request, result = sys.argv[1], dict(np.load(sys.argv[2])), sys.argv[4]
model = tf.saved_model.load(export_dir)
sigs = model.signatures
t = {k: tf.constant(v) for k, v in request.items()}
calls = {
    "translate_latent": dict(x=t["x"], y=t["y"], z=t["z"]),
    "serving_default": dict(x=t["x"], y=t["y"], z=t["z"]),
    "translate_reference": dict(x=t["x"], y=t["y"], x_ref=t["x_ref"]),
    "translate_style": dict(x=t["x"], s=t["s"]),
    "style_latent": dict(z=t["z"], y=t["y"]),
    "style_reference": dict(x_ref=t["x_ref"], y=t["y"]),
}
out = {}
for name, args in calls.items():
    for key, value in sigs[name](**args).items():
        out[f"{name}/{key}"] = value.numpy()
# As TF Serving loads it: the SavedModel's restore op run in a session, signatures by name.
with tf.compat.v1.Session(graph=tf.Graph()) as sess:
    meta_graph = tf.compat.v1.saved_model.loader.load(sess, ["serve"], export_dir)
    for name, args in calls.items():
        sig = meta_graph.signature_def[name]
        fetches = {key: info.name for key, info in sig.outputs.items()}
        feed = {sig.inputs[key].name: request[key] for key in args}
        for key, value in sess.run(fetches, feed).items():
            out[f"session/{name}/{key}"] = value
specs = {}
for name, fn in sigs.items():
    specs[name] = dict(
        inputs={k: [v.dtype.name, v.shape.as_list()]
                for k, v in fn.structured_input_signature[1].items()},
        outputs={k: [v.dtype.name, v.shape.as_list()]
                 for k, v in fn.structured_outputs.items()})
meta = {k: getattr(model, k).numpy().item() for k in
        ("max_batch", "num_domains", "latent_dim", "style_dim", "img_size", "w_hpf")}
meta["domain_names"] = [n.decode() for n in model.domain_names.numpy()]
types = graph_op_types(export_dir)
info = dict(specs=specs, metadata=meta, op_types=types,
            unregistered_op_types=[t for t in types if op_def_registry.get(t) is None],
            tfgan_fs_imported=any(m.startswith("tfgan_fs") for m in sys.modules))
np.savez(result, info=np.array(__import__("json").dumps(info)), **out)
"""


def converted_run(fixture, run):
    """(run dir, in-process Translator of the networks written there) of a committed fixture."""
    converted = conv.convert_checkpoint(FIXTURES / fixture)
    conv.write_run_dir(converted, run)
    nets = converted.networks
    return run, Translator(nets["generator"], nets["mapping_network"], nets["style_encoder"])


@pytest.fixture(scope="module")
def converted(tmp_path_factory):
    """nets_ema.ckpt converted into a run dir whose conversion.json names the domains."""
    run, translator = converted_run("nets_ema.ckpt", tmp_path_factory.mktemp("sg2") / "run")
    info = json.loads((run / CONVERSION_FILE).read_text())
    (run / CONVERSION_FILE).write_text(json.dumps({**info, "domain_names": DOMAIN_NAMES}))
    return run, translator


@pytest.fixture(scope="module")
def run_dir(converted):
    return converted[0]


@pytest.fixture(scope="module")
def translator(converted):
    return converted[1]


@pytest.fixture(scope="module")
def exported(run_dir):
    """TF Serving base directory with version 1 of the run, written by tools/export.py."""
    base = run_dir.parent / "models" / "translator"
    result = run_tool([EXPORT, f"--network={run_dir}", f"--outdir={base}",
                       f"--max_batch={MAX_BATCH}"])
    assert result.returncode == 0, result.stderr
    assert f"translator of {run_dir}" in result.stdout and f"to {base / '1'}" in result.stdout
    assert "3 domains: cat,dog,wild" in result.stdout
    assert sorted(p.name for p in base.iterdir()) == ["1"]  # no temporary directory left
    return base


def make_request():
    rs = np.random.RandomState(3)
    x = rs.uniform(-1, 1, [3, IMG_SIZE, IMG_SIZE, 3]).astype(np.float32)
    x[0, 0, 0] = [1.005, -1.005, 1.0]  # within the documented tolerance of [-1, 1]
    return dict(x=x, x_ref=rs.uniform(-1, 1, x.shape).astype(np.float32),
                y=np.array([1, 2, 0], np.int32), z=rs.randn(3, LATENT_DIM).astype(np.float32),
                s=rs.randn(3, STYLE_DIM).astype(np.float32))


@pytest.fixture(scope="module")
def served(exported, tmp_path_factory):
    """(request, outputs, info) of every signature, called in a fresh process."""
    tmp = tmp_path_factory.mktemp("served")
    request = make_request()
    np.savez(tmp / "request.npz", **request)
    (tmp / "client.py").write_text(CLIENT)
    result = subprocess.run(
        [sys.executable, str(tmp / "client.py"), str(exported / "1"), str(tmp / "request.npz"),
         str(pathlib.Path(__file__).parent), str(tmp / "result.npz")],
        cwd=tmp, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    out = dict(np.load(tmp / "result.npz"))
    return request, out, json.loads(str(out.pop("info")))


@pytest.fixture(scope="module")
def expected(served, translator):
    """What the in-process Translator gives for the served request."""
    x, y, z, x_ref, s = (served[0][k] for k in ("x", "y", "z", "x_ref", "s"))
    s_latent = translator.style_latent(z, y).numpy()
    s_ref = translator.style_reference(x_ref, y).numpy()
    return {"style_latent/styles": s_latent, "style_reference/styles": s_ref,
            "translate_latent/images_float": translator.translate(x, s_latent).numpy(),
            "translate_reference/images_float": translator.translate(x, s_ref).numpy(),
            "translate_style/images_float": translator.translate(x, s).numpy()}


def test_every_signature_in_a_fresh_process_matches_the_translator(served, expected):
    _, out, info = served
    assert not info["tfgan_fs_imported"]
    assert sorted(info["specs"]) == sorted(TRANSLATOR_SIGNATURE_NAMES)
    for key, value in expected.items():
        assert out[key].dtype == np.float32 and out[key].shape == value.shape, key
        np.testing.assert_allclose(out[key], value, atol=ATOL, rtol=0, err_msg=key)
        print(f"max |SavedModel - Translator| of {key} = {np.abs(out[key] - value).max():.3g}")
    assert expected["translate_latent/images_float"].std() > 0.1
    # The three translations differ (the styles matter); serving_default is translate_latent.
    assert np.abs(out["translate_latent/images_float"]
                  - out["translate_style/images_float"]).max() > 0.1
    for key in ("images", "images_float"):
        np.testing.assert_array_equal(out[f"serving_default/{key}"],
                                      out[f"translate_latent/{key}"])


def test_session_loading_as_tf_serving_gives_the_same_outputs(served):
    # TF Serving (and saved_model_cli run) restore the variables by running the SavedModel's
    # restore op in a session; an export whose signatures read variables that op does not
    # restore fails there only ("Could not find variable ...").
    out = served[1]
    session_keys = [k for k in out if k.startswith("session/")]
    assert len(session_keys) == 2 * 4 + 2  # 4 translating signatures, 2 style signatures
    for key in session_keys:
        np.testing.assert_allclose(out[key], out[key[len("session/"):]], atol=1e-5, rtol=0,
                                   err_msg=key)


def test_uint8_images_are_the_float_images_converted(served, expected):
    out = served[1]
    for name in ("translate_latent", "translate_reference", "translate_style"):
        images, images_float = out[f"{name}/images"], out[f"{name}/images_float"]
        assert images.dtype == np.uint8 and images.shape == (3, IMG_SIZE, IMG_SIZE, 3)
        # The documented conversion, clip(x * 127.5 + 128) truncated (tfgan_fs.images.to_uint8).
        np.testing.assert_array_equal(images, image_io.to_uint8(images_float))
        reference = image_io.to_uint8(expected[f"{name}/images_float"])
        assert np.abs(images.astype(int) - reference).max() <= 1, name


def test_signature_specs_metadata_and_stock_ops(served):
    _, _, info = served
    image = ["float32", [None, IMG_SIZE, IMG_SIZE, 3]]
    outputs = {"images": ["uint8", [None, IMG_SIZE, IMG_SIZE, 3]], "images_float": image}
    y, z = ["int32", [None]], ["float32", [None, LATENT_DIM]]
    s = ["float32", [None, STYLE_DIM]]
    assert info["specs"]["translate_latent"] == dict(inputs=dict(x=image, y=y, z=z),
                                                     outputs=outputs)
    assert info["specs"]["translate_reference"] == dict(inputs=dict(x=image, y=y, x_ref=image),
                                                        outputs=outputs)
    assert info["specs"]["translate_style"] == dict(inputs=dict(x=image, s=s), outputs=outputs)
    assert info["specs"]["style_latent"] == dict(inputs=dict(z=z, y=y), outputs=dict(styles=s))
    assert info["specs"]["style_reference"] == dict(inputs=dict(x_ref=image, y=y),
                                                    outputs=dict(styles=s))
    assert info["metadata"] == dict(max_batch=MAX_BATCH, num_domains=NUM_DOMAINS,
                                    latent_dim=LATENT_DIM, style_dim=STYLE_DIM,
                                    img_size=IMG_SIZE, w_hpf=0.0, domain_names=DOMAIN_NAMES)
    # Op types of the saved graph and its functions, looked up in a registry without tfgan_fs.
    assert {"Conv2D", "MatMul", "Assert"} <= set(info["op_types"]), info["op_types"]
    assert info["unregistered_op_types"] == []


@pytest.fixture(scope="module")
def signatures(exported):
    return tf.saved_model.load(str(exported / "1")).signatures


def _latent(n=2, size=IMG_SIZE, y=None, z_n=None, x_scale=1.0, z_fill=0.0, y_dtype=tf.int32):
    return dict(x=tf.fill([n, size, size, 3], 0.5 * x_scale),
                y=tf.constant(y if y is not None else [0] * n, y_dtype),
                z=tf.fill([z_n or n, LATENT_DIM], z_fill))


def _x(n=2, size=IMG_SIZE):
    return tf.zeros([n, size, size, 3])


@pytest.mark.parametrize("signature,request_args,message", [
    ("translate_latent", _latent(size=32),
     rf"Shape of tensor x \[2,32,32,3\] is not compatible with expected shape "
     rf"\[\?,{IMG_SIZE},{IMG_SIZE},3\]"),
    ("translate_reference", dict(x=_x(), y=tf.constant([0, 1]), x_ref=_x(size=128)),
     r"Shape of tensor x_ref \[2,128,128,3\]"),
    ("translate_latent", _latent(y=[0, 3]),
     rf"y: every domain index must be in \[0, {NUM_DOMAINS}\).*got y =\] \[0 3\]"),
    ("style_latent", dict(z=tf.zeros([2, LATENT_DIM]), y=tf.constant([-1, 0])),
     r"y: every domain index must be in \[0, 3\)"),
    ("translate_latent", _latent(y=[0, 1, 2]), r"y: batch size must equal the batch size of x"),
    ("translate_latent", _latent(z_n=3), r"z: batch size must equal the batch size of x"),
    ("translate_style", dict(x=_x(), s=tf.zeros([1, STYLE_DIM])),
     r"s: batch size must equal the batch size of x"),
    ("style_reference", dict(x_ref=_x(3), y=tf.constant([0, 1])),
     r"y: batch size must equal the batch size of x_ref"),
    ("translate_latent", _latent(n=MAX_BATCH + 1),
     rf"x: batch size must be <= {MAX_BATCH} \(--max_batch of this export\)"),
    ("translate_latent", _latent(n=0), r"x: batch size must be >= 1"),
    ("translate_latent", _latent(x_scale=255.0),
     r"x: values must be in \[-1, 1\] \(within 0.01; uint8 pixels u as u / 127.5 - 1\)"),
    ("translate_latent", _latent(x_scale=float("nan")), r"x must be finite"),
    ("style_latent", dict(z=tf.fill([2, LATENT_DIM], float("inf")), y=tf.constant([0, 1])),
     r"z must be finite"),
    ("translate_style", dict(x=_x(), s=tf.zeros([2, STYLE_DIM + 1])),
     rf"Shape of tensor s \[2,{STYLE_DIM + 1}\]"),
    ("translate_latent", _latent(y_dtype=tf.int64), r"int32 tensor but is a int64"),
])
def test_bad_requests_fail_with_a_clear_message(signatures, signature, request_args, message):
    with pytest.raises(tf.errors.InvalidArgumentError, match=message):
        signatures[signature](**request_args)


@pytest.fixture(scope="module")
def hpf_converted(tmp_path_factory):
    """nets_ema_hpf.ckpt (w_hpf 1) converted: a run without a FAN."""
    return converted_run("nets_ema_hpf.ckpt", tmp_path_factory.mktemp("sg2_hpf") / "run")


def test_w_hpf_run_without_fan_refuses_to_export(hpf_converted, tmp_path):
    hpf_run, hpf_translator = hpf_converted
    assert hpf_translator.w_hpf == 1 and hpf_translator.fan is None
    with pytest.raises(TranslatorExportError, match=rf"--network {hpf_run}: the generator has "
                       r"w_hpf 1, .* but the run has no FAN; .*--wing"):
        export_translator(hpf_run, tmp_path / "models")
    assert not (tmp_path / "models").exists()
    with pytest.raises(TranslatorExportError, match="no FAN.*--wing"):
        TranslatorExport(hpf_translator)


def test_domain_names_must_fit_the_network(run_dir, tmp_path):
    with pytest.raises(TranslatorExportError, match=r"--domain_names: domain names must be 3 "
                       r"distinct non-empty names .*got \['cat', 'cat', 'dog'\]"):
        export_translator(run_dir, tmp_path / "models", domain_names=["cat", "cat", "dog"])
    assert not (tmp_path / "models").exists()


class StubFAN(tf.Module):
    """Stands in for the FAN (not ported yet): two face masks of x from stock ops."""

    def __init__(self):
        super().__init__()
        self.scale = tf.Variable(3.0)

    def get_masks(self, x):
        mask = tf.sigmoid(self.scale * tf.reduce_mean(x, axis=-1, keepdims=True))
        return [mask, 1.0 - mask]


def test_w_hpf_export_computes_the_masks_in_its_graph(hpf_converted, tmp_path):
    base = hpf_converted[1]
    translator = Translator(base.generator, base.mapping_network, base.style_encoder, StubFAN())
    path = write_saved_model(TranslatorExport(translator, max_batch=MAX_BATCH), tmp_path / "1")
    model = tf.saved_model.load(str(path))
    assert float(model.w_hpf.numpy()) == 1.0 and list(model.domain_names.numpy()) == []
    request = make_request()
    x, y, z = request["x"], request["y"], request["z"]
    out = model.signatures["translate_latent"](x=tf.constant(x), y=tf.constant(y),
                                               z=tf.constant(z))["images_float"].numpy()
    s = translator.style_latent(z, y)
    np.testing.assert_allclose(out, translator.translate(x, s).numpy(), atol=ATOL, rtol=0)
    # The masks matter: the graph's FAN is the module's (its saved variable), not a constant.
    assert np.abs(out - translator.generator(x, s).numpy()).max() > 1e-3
    model.network_variables["fan"][0].assign(-3.0)
    changed = model.signatures["translate_latent"](x=tf.constant(x), y=tf.constant(y),
                                                   z=tf.constant(z))["images_float"].numpy()
    assert np.abs(changed - out).max() > 1e-3
