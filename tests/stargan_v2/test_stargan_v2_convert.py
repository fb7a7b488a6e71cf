"""StarGAN v2 checkpoint conversion: size inference, the run dir, bad checkpoints."""

import json
import os
import pickle
import subprocess
import sys
import zipfile

import numpy as np
import pytest

from tfgan_fs.convert import ConversionError, PickleRefusedError
from tfgan_fs.convert import stargan_v2 as conv
from tfgan_fs.convert.torch_zip import load_torch_file, load_torch_zip
from tfgan_fs.networks import stargan_v2 as nets

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures")
NETS = os.path.join(FIXTURES, "nets.ckpt")
NETS_EMA = os.path.join(FIXTURES, "nets_ema.ckpt")
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def torch_state(net):
    """Zero tensors in the reference layout, keyed as the reference's state_dict."""
    out = {}
    for key, (var, kind) in net.torch_parameters().items():
        shape = tuple(var.shape)
        if kind == "conv":
            shape = (shape[3], shape[2], shape[0], shape[1])
        elif kind == "dense":
            shape = shape[::-1]
        out[key] = np.broadcast_to(np.float32(0), shape)
    return out


def test_fixture_sizes_are_inferred():
    info = conv.convert_checkpoint(NETS).info
    assert (info["img_size"], info["style_dim"], info["latent_dim"], info["num_domains"],
            info["w_hpf"], info["hidden_dim"]) == (64, 16, 8, 3, 0, 32)
    assert info["networks"]["generator"] == dict(img_size=64, style_dim=16, max_conv_dim=16,
                                                 w_hpf=0, dim_in=8)
    assert info["networks"]["discriminator"]["num_domains"] == 3


@pytest.mark.parametrize("img_size,w_hpf,domains,style_dim,latent_dim", [
    (64, 0, 2, 8, 4), (32, 1, 4, 4, 16)])
def test_size_inference(img_size, w_hpf, domains, style_dim, latent_dim):
    state = {
        "generator": torch_state(nets.Generator(img_size, style_dim, 32, w_hpf,
                                                dim_in=4).build_for_size()),
        "mapping_network": torch_state(nets.MappingNetwork(latent_dim, style_dim, domains,
                                                           hidden_dim=8).build_for_size()),
        "style_encoder": torch_state(nets.StyleEncoder(img_size, style_dim, domains, 32,
                                                       dim_in=4).build_for_size()),
        "discriminator": torch_state(nets.Discriminator(img_size, domains, 16,
                                                        dim_in=4).build_for_size())}
    configs, summary = conv.infer_config(state)
    assert (summary["img_size"], summary["w_hpf"], summary["num_domains"], summary["style_dim"],
            summary["latent_dim"]) == (img_size, w_hpf, domains, style_dim, latent_dim)
    assert summary["generator_down_blocks"] == int(np.log2(img_size)) - 4 + w_hpf
    assert configs["discriminator"]["max_conv_dim"] == 16
    built = conv.build_networks(configs)
    for key, net in built.items():
        conv.assign(net, state[key], key)
    _, summary = conv.infer_config(state, w_hpf=3 if w_hpf else 0)
    assert summary["w_hpf"] == (3 if w_hpf else 0)
    with pytest.raises(ConversionError, match=f"--w_hpf={0 if w_hpf else 1} does not match"):
        conv.infer_config(state, w_hpf=0 if w_hpf else 1)


def test_run_dir_round_trip(tmp_path):
    converted = conv.convert_checkpoint(NETS)
    dest = conv.write_run_dir(converted, tmp_path / "run")
    assert sorted(os.listdir(tmp_path)) == ["run"]  # no temporary left behind
    loaded = conv.load(dest)
    assert sorted(loaded) == sorted(converted.networks)
    ref = np.load(os.path.join(FIXTURES, "outputs.npz"))
    x = np.transpose(ref["x"], (0, 2, 3, 1))
    np.testing.assert_array_equal(loaded["generator"](x, ref["s_ref"]).numpy(),
                                  converted.networks["generator"](x, ref["s_ref"]).numpy())
    with pytest.raises(ConversionError, match="already exists"):
        conv.write_run_dir(converted, dest)


def test_cli_writes_run_dir(tmp_path):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    tool = os.path.join(REPO, "tools", "convert_stargan_v2.py")
    ok = subprocess.run([sys.executable, tool, f"--source={NETS_EMA}", f"--dest={tmp_path}/a"],
                        capture_output=True, text=True, env=env, timeout=120)
    assert ok.returncode == 0, ok.stderr
    assert "num_domains 3" in ok.stdout
    assert sorted(conv.load(tmp_path / "a")) == ["generator", "mapping_network", "style_encoder"]


def _zip(path, records):
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in records.items():
            zf.writestr(name, data)
    return path


def test_legacy_format_reads_as_the_zip_format():
    legacy = load_torch_file(os.path.join(FIXTURES, "nets_ema_legacy.ckpt"))
    current = load_torch_file(NETS_EMA)
    assert list(legacy) == list(current)
    for net in current:
        assert list(legacy[net]) == list(current[net])
        for key, value in current[net].items():
            np.testing.assert_array_equal(legacy[net][key], value)


def test_not_a_torch_save_file(tmp_path):
    (tmp_path / "a.ckpt").write_bytes(b"hello")
    with pytest.raises(ConversionError, match="not a torch.save file"):
        load_torch_file(tmp_path / "a.ckpt")
    with pytest.raises(ConversionError, match="not a zip-based torch.save file"):
        load_torch_zip(tmp_path / "a.ckpt")
    (tmp_path / "b.ckpt").write_bytes(pickle.dumps({"generator": {}}, protocol=2))
    with pytest.raises(PickleRefusedError, match="not a legacy torch.save stream"):
        load_torch_file(tmp_path / "b.ckpt")
    with pytest.raises(ConversionError, match="expected one '<name>/data.pkl', found 0"):
        load_torch_zip(_zip(tmp_path / "c.ckpt", {"c/other": b"x"}))


def test_forbidden_global_is_refused(tmp_path):
    class Evil:
        def __reduce__(self):
            return (os.system, ("echo pwned",))

    path = _zip(tmp_path / "evil.ckpt", {"evil/data.pkl": pickle.dumps({"generator": Evil()})})
    with pytest.raises(PickleRefusedError, match="refusing to load global"):
        load_torch_zip(path)


def test_missing_storage_record(tmp_path):
    with zipfile.ZipFile(NETS_EMA) as src:
        records = {n: src.read(n) for n in src.namelist() if n != "nets_ema/data/3"}
    with pytest.raises(ConversionError, match="storage record nets_ema/data/3 is missing"):
        load_torch_zip(_zip(tmp_path / "nets_ema.ckpt", records))


def _edited(monkeypatch, edit):
    state = load_torch_file(NETS)
    edit(state)
    monkeypatch.setattr(conv, "load_torch_file", lambda path: state)
    return conv.convert_checkpoint(NETS)


def test_unknown_and_missing_networks(monkeypatch):
    with pytest.raises(ConversionError, match=r"unknown entries \['optimizer'\]"):
        _edited(monkeypatch, lambda s: s.update(optimizer={}))
    with pytest.raises(ConversionError, match="no 'style_encoder'"):
        _edited(monkeypatch, lambda s: s.pop("style_encoder"))
    # the FAN is skipped; a DataParallel 'module.' prefix is dropped
    info = _edited(monkeypatch, lambda s: s.update(
        fan={}, generator={"module." + k: v for k, v in s["generator"].items()})).info
    assert info["img_size"] == 64


def test_inconsistent_and_missing_parameters(monkeypatch):
    def drop_head(s):
        del s["style_encoder"]["unshared.2.weight"], s["style_encoder"]["unshared.2.bias"]

    with pytest.raises(ConversionError, match="disagree on num_domains"):
        _edited(monkeypatch, drop_head)
    with pytest.raises(ConversionError, match=r"missing \['encode.0.norm1.bias'\]"):
        _edited(monkeypatch, lambda s: s["generator"].pop("encode.0.norm1.bias"))
    with pytest.raises(ConversionError, match="'decode.0.conv1.bias' has shape"):
        _edited(monkeypatch, lambda s: s["generator"].update(
            {"decode.0.conv1.bias": np.zeros(5, np.float32)}))


@pytest.fixture(scope="module")
def reference_shapes():
    with open(os.path.join(FIXTURES, "reference_shapes.json")) as f:
        return json.load(f)


def _shape_only(shapes):
    """Zeros of the reference's shapes; the high-pass buffer (a constant, not a parameter) is
    the reference's Laplacian / w_hpf with its CelebA-HQ w_hpf of 1."""
    state = {net: {k: np.broadcast_to(np.float32(0), tuple(v)) for k, v in params.items()}
             for net, params in shapes.items()}
    if "hpf.filter" in state["generator"]:
        state["generator"]["hpf.filter"] = conv.LAPLACIAN
    return state


@pytest.mark.parametrize("recipe,domains,w_hpf", [("afhq", 3, 0), ("celeba_hq", 2, 1)])
def test_official_sizes_are_inferred(reference_shapes, recipe, domains, w_hpf):
    """The unpatched reference at its defaults (build_model's networks, as in the official
    checkpoints): img_size 256, style_dim 64, latent_dim 16, 512 channels."""
    configs, summary = conv.infer_config(_shape_only(reference_shapes[recipe]))
    assert (summary["img_size"], summary["style_dim"], summary["latent_dim"],
            summary["num_domains"], summary["w_hpf"], summary["hidden_dim"]) == (
                256, 64, 16, domains, w_hpf, 512)
    assert summary["generator_down_blocks"] == 4 + w_hpf
    assert configs["generator"] == dict(img_size=256, style_dim=64, max_conv_dim=512,
                                        w_hpf=w_hpf, dim_in=64)
    assert all(c.get("dim_in", 64) == 64 and c.get("max_conv_dim", 512) == 512
               for c in configs.values())


def test_official_architecture_keys_and_shapes(reference_shapes):
    """Our networks at the official CelebA-HQ sizes have the reference's keys and shapes."""
    shapes = {net: dict(params) for net, params in reference_shapes["celeba_hq"].items()}
    configs, _ = conv.infer_config(_shape_only(shapes))
    assert shapes["generator"].pop("hpf.filter") == [3, 3]  # a buffer, not a parameter
    for key, net in conv.build_networks(configs).items():
        assert {k: list(v.shape) for k, v in torch_state(net).items()} == shapes[key], key


def test_w_hpf_comes_from_the_high_pass_buffer():
    # nets_ema_hpf.ckpt is from the current reference: its generator has 'hpf.filter'.
    from tfgan_fs.convert.stargan_v2 import read_checkpoint
    path = os.path.join(FIXTURES, "nets_ema_hpf.ckpt")
    state = read_checkpoint(path)
    np.testing.assert_allclose(state["generator"]["hpf.filter"],
                               [[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]])
    assert conv.infer_config(state)[1]["w_hpf"] == 1.0
    with pytest.raises(ConversionError, match="--w_hpf=2 contradicts the checkpoint's high-pass"):
        conv.infer_config(state, w_hpf=2.0)
    state["generator"]["hpf.filter"] = state["generator"]["hpf.filter"] / 4
    assert conv.infer_config(state)[1]["w_hpf"] == 4.0


def test_stargan_v2_and_stylegan2_networks_keep_their_own_registered_names():
    # Both define 'Generator' and 'MappingNetwork': one Keras registry package each, so that a
    # StyleGAN2 config never deserializes into a StarGAN v2 network (or back).
    import keras
    from tfgan_fs.networks import Generator as StyleGAN2Generator
    from tfgan_fs.networks import stargan_v2 as sg

    assert keras.saving.get_registered_name(sg.Generator) != keras.saving.get_registered_name(
        StyleGAN2Generator)
    G = StyleGAN2Generator(z_dim=8, c_dim=0, w_dim=8, img_resolution=8, img_channels=3,
                           mapping_kwargs=dict(num_layers=1),
                           synthesis_kwargs=dict(channel_base=32, channel_max=4))
    clone = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(G))
    assert type(clone) is StyleGAN2Generator
