"""rosinality-format StyleGAN2 checkpoints (.pt): the reader against the authors' outputs, its
errors, and the writer's files against torch's (fixtures/rosinality/README.md).

The fixture outputs were computed by rosinality/stylegan2-pytorch's own Generator and
Discriminator on the CPU (randomize_noise=False, i.e. the noises.noise_i buffers).
"""

import pathlib
import pickle
import pickletools
import zipfile

import numpy as np
import pytest
from pickle_builders import _RunsCommand

from tfgan_fs.convert import ConversionError, PickleRefusedError
from tfgan_fs.convert import rosinality_writer, torch_save
from tfgan_fs.convert.rosinality import (Namespace, build_discriminator, build_generator,
                                         convert_rosinality, read_rosinality)
from tfgan_fs.convert.sources import file_format
from tfgan_fs.convert.torch_zip import load_torch_file
from tfgan_fs.networks import Discriminator, Generator

FIXTURES = pathlib.Path(__file__).parent / "fixtures" / "rosinality"
CASES = ["train16", "nada64", "converted32"]
TOL = 1e-4


def quiet(*args):
    del args


@pytest.fixture(scope="module")
def outputs():
    with np.load(FIXTURES / "outputs.npz") as data:
        return {key: data[key] for key in data.files}


@pytest.fixture(scope="module")
def converted():
    return {case: convert_rosinality(FIXTURES / f"{case}.pt", w_avg_samples=64, log=quiet)
            for case in CASES}


def _max_err(actual, expected):
    actual = np.asarray(actual)
    assert actual.shape == expected.shape
    return float(np.max(np.abs(actual - expected)))


@pytest.mark.parametrize("case", CASES)
def test_g_ema_reproduces_the_authors_images(converted, outputs, case):
    G = converted[case].networks["G_ema"]
    z = outputs[f"{case}/z"]
    ws = G.mapping(z, None, truncation_psi=1.0)
    assert _max_err(ws[:, 0], outputs[f"{case}/ws_psi1"]) < TOL
    assert _max_err(G(z, None, noise_mode="const"), outputs[f"{case}/img_psi1"]) < TOL
    # psi 0.7 around the truncation centre the fixture used (the file's latent_avg if any).
    w_avg = G.mapping.w_avg.numpy()
    G.mapping.w_avg.assign(outputs[f"{case}/latent_avg"])
    try:
        img = G(z, None, truncation_psi=0.7, noise_mode="const")
    finally:
        G.mapping.w_avg.assign(w_avg)
    assert _max_err(img, outputs[f"{case}/img_psi07"]) < TOL


@pytest.mark.parametrize("case", ["train16", "converted32"])
def test_discriminator_reproduces_the_authors_logits(converted, outputs, case):
    D = converted[case].networks["D"]
    # Batch 4 = one minibatch-std group, so the authors' strided grouping equals ours.
    assert _max_err(D(outputs[f"{case}/d_img"]), outputs[f"{case}/d_logits"]) < TOL


def test_g_and_g_ema_stay_apart(converted, outputs):
    nets = converted["train16"].networks
    z = outputs["train16/z"]
    assert _max_err(nets["G"](z, None, noise_mode="const"), outputs["train16/img_g"]) < TOL
    assert float(np.max(np.abs(outputs["train16/img_g"] - outputs["train16/img_psi1"]))) > 0.1


def test_sizes_come_from_the_shapes(converted):
    G = converted["train16"].networks["G_ema"]
    assert (G.z_dim, G.w_dim, G.img_resolution, G.mapping.num_layers) == (32, 32, 16, 2)
    assert G.mapping.lr_multiplier == pytest.approx(0.01)
    # rosinality's table scaled by 1/32 in the fixtures: 16 channels up to 32 px, 8*cm at 64.
    G64 = converted["nada64"].networks["G_ema"]
    assert G64.synthesis.channels == {4: 16, 8: 16, 16: 16, 32: 16, 64: 8}
    assert (G64.z_dim, G64.mapping.num_layers) == (24, 3)
    assert converted["converted32"].networks["D"].b32.conv0.in_channels == 16


def test_what_the_file_records(converted):
    info = converted["train16"].info
    assert info["format"] == "rosinality" and info["ada_aug_p"] == pytest.approx(0.25)
    assert info["rosinality_args"]["size"] == 16
    assert info["rosinality_args"]["channel_multiplier"] == 2
    assert info["converted"] == ["g_ema", "g", "d"]
    assert converted["converted32"].info["w_avg"] == {"from": "latent_avg"}
    assert converted["nada64"].info["w_avg"] == {"from": "mean_latent", "samples": 64,
                                                 "seed": 0}
    assert "D" not in converted["nada64"].networks  # NADA's released layout: g_ema only
    assert converted["nada64"].info["keys"] == ["g_ema", "g_optim"]


def _numpy_mapping(state, z, lr_mul=0.01):
    """rosinality's `style`: PixelNorm, then EqualLinear(lr_mul) + fused leaky ReLU layers."""
    x = z / np.sqrt(np.mean(z ** 2, axis=1, keepdims=True) + 1e-8)
    i = 1
    while f"style.{i}.weight" in state:
        w, b = state[f"style.{i}.weight"], state[f"style.{i}.bias"]
        x = x @ (w * lr_mul / np.sqrt(w.shape[1])).T + b * lr_mul
        x = np.where(x >= 0, x, 0.2 * x) * np.sqrt(2)
        i += 1
    return x


def test_w_avg_is_estimated_as_mean_latent(converted):
    state = read_rosinality(FIXTURES / "nada64.pt").networks["g_ema"]
    z = np.random.RandomState(0).randn(64, 24)
    expected = _numpy_mapping(state, z).mean(axis=0)
    w_avg = converted["nada64"].networks["G_ema"].mapping.w_avg.numpy()
    np.testing.assert_allclose(w_avg, expected, rtol=0, atol=1e-4)


def test_latent_avg_becomes_w_avg(converted):
    latent_avg = read_rosinality(FIXTURES / "converted32.pt").latent_avg
    np.testing.assert_array_equal(converted["converted32"].networks["G_ema"].mapping.w_avg,
                                  latent_avg)


def test_a_file_with_another_class_is_refused():
    with pytest.raises(PickleRefusedError, match="torch.nn.modules.linear.Linear"):
        read_rosinality(FIXTURES / "unknown_class.pt")


def test_namespace_holds_plain_data_only():
    args = Namespace()
    args.__setstate__({"size": 256, "path": "lmdb", "betas": (0.0, 0.99), "wandb": False})
    assert args["size"] == 256 and args["betas"] == (0.0, 0.99)
    with pytest.raises(PickleRefusedError, match="'hook' is not plain data"):
        Namespace().__setstate__({"hook": Namespace()})


def test_unknown_missing_and_bad_blur_parameters_are_listed():
    state = dict(read_rosinality(FIXTURES / "train16.pt").networks["g_ema"])
    state["extra.weight"] = np.zeros([2], np.float32)
    del state["convs.1.noise.weight"]
    state["to_rgbs.0.upsample.kernel"] = state["to_rgbs.0.upsample.kernel"] / 4
    with pytest.raises(ConversionError) as err:
        build_generator(state, name="G")
    message = str(err.value)
    assert "unknown parameters: extra.weight" in message
    assert "missing parameters: convs.1.noise.weight" in message
    assert "blur kernels other than [1, 3, 3, 1]: to_rgbs.0.upsample.kernel" in message


def test_channels_must_follow_a_channel_table():
    state = dict(read_rosinality(FIXTURES / "nada64.pt").networks["g_ema"])
    # 64 px with more channels than 32 px: no min(base // res, max) gives that.
    state["input.input"] = np.zeros([1, 4, 4, 4], np.float32)
    with pytest.raises(ConversionError, match="do not follow"):
        build_generator(state)


def test_file_formats(tmp_path):
    assert file_format(tmp_path) == "run"
    assert file_format(FIXTURES / "train16.pt") == "rosinality"
    assert file_format(FIXTURES / "nada64.pt") == "rosinality"  # legacy torch.save stream
    assert file_format(FIXTURES.parent / "pt_uncond32.pkl") == "pickle"
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(ConversionError, match="neither a run directory"):
        file_format(tmp_path / "notes.txt")
    with pytest.raises(FileNotFoundError):
        file_format(tmp_path / "missing.pt")
    # Telling the formats apart reads bytes only: a malicious pickle is not executed.
    for protocol in (2, 4):
        marker = tmp_path / f"pwned{protocol}"
        (tmp_path / "evil.pkl").write_bytes(
            pickle.dumps({"G": _RunsCommand(f"touch {marker}")}, protocol=protocol))
        assert file_format(tmp_path / "evil.pkl") == "pickle" and not marker.exists()


# --- the writer -------------------------------------------------------------------------------


def _records(path):
    with zipfile.ZipFile(path) as zf:
        infos = zf.infolist()
        prefix = infos[0].filename.split("/")[0]
        records = {info.filename[len(prefix) + 1:]: info for info in infos}
        return records, {name: zf.read(info) for name, info in records.items()}


def _globals(pickle_bytes):
    """The (module, name) globals a pickle references."""
    found, strings = set(), []
    for op, arg, _ in pickletools.genops(pickle_bytes):
        if op.name == "GLOBAL":
            found.add(tuple(arg.split(" ")))
        elif op.name == "STACK_GLOBAL":
            found.add(tuple(strings[-2:]))
        elif isinstance(arg, str):
            strings.append(arg)
    return found


def test_written_file_has_torchs_structure(tmp_path):
    ours = tmp_path / "ours.pt"
    torch_file = FIXTURES / "torch_written_tiny.pt"
    torch_save.save(load_torch_file(torch_file), ours)
    theirs_records, theirs_data = _records(torch_file)
    ours_records, ours_data = _records(ours)
    # The records torch reads: data.pkl, byteorder, version and one data/<key> per storage.
    storages = {name for name in theirs_records if name.startswith("data/")}
    assert {"data.pkl", "byteorder", "version"} | storages <= set(ours_records)
    assert ours_data["byteorder"] == theirs_data["byteorder"] == b"little"
    assert ours_data["version"] == theirs_data["version"]
    # The same storage bytes (one storage per tensor, in the same order).
    assert [ours_data[n] for n in sorted(storages)] == [theirs_data[n] for n in sorted(storages)]
    # Only globals that torch's own file uses (torch.load(weights_only=True) accepts them).
    assert _globals(ours_data["data.pkl"]) <= _globals(theirs_data["data.pkl"])
    with zipfile.ZipFile(ours) as zf:
        for info in zf.infolist():
            assert info.compress_type == zipfile.ZIP_STORED
            zf.fp.seek(info.header_offset + 26)
            name_len, extra_len = np.frombuffer(zf.fp.read(4), "<u2")
            assert (info.header_offset + 30 + name_len + extra_len) % 64 == 0
    # And the same object back.
    a, b = load_torch_file(torch_file), load_torch_file(ours)
    assert list(a) == list(b) and list(a["g_ema"]) == list(b["g_ema"])
    for name, value in a["g_ema"].items():
        assert b["g_ema"][name].dtype == value.dtype
        np.testing.assert_array_equal(b["g_ema"][name], value)


def test_round_trip_reproduces_the_authors_state_dicts(tmp_path, converted):
    nets = converted["train16"].networks
    path = rosinality_writer.write_rosinality(tmp_path / "out.pt", nets["G_ema"], nets["G"],
                                              nets["D"])
    original, written = read_rosinality(FIXTURES / "train16.pt"), read_rosinality(path)
    for key in ("g_ema", "g", "d"):
        assert sorted(written.networks[key]) == sorted(original.networks[key])
        for name, value in original.networks[key].items():
            np.testing.assert_array_equal(written.networks[key][name], value, err_msg=name)
    np.testing.assert_array_equal(written.latent_avg, nets["G_ema"].mapping.w_avg.numpy())


def test_writer_refuses_what_rosinality_cannot_express():
    G = Generator(z_dim=8, c_dim=3, w_dim=8, img_resolution=8, img_channels=3,
                  mapping_kwargs=dict(num_layers=1),
                  synthesis_kwargs=dict(channel_base=64, channel_max=8))
    with pytest.raises(ConversionError, match=r"conditional \(c_dim=3\)"):
        rosinality_writer.generator_state_dict(G)
    D = Discriminator(c_dim=0, img_resolution=8, img_channels=3, architecture="orig",
                      channel_base=64, channel_max=8)
    with pytest.raises(ConversionError, match="architecture 'orig'"):
        rosinality_writer.discriminator_state_dict(D)


def test_build_discriminator_from_a_state_dict(outputs):
    state = read_rosinality(FIXTURES / "converted32.pt").networks["d"]
    D = build_discriminator(state)
    assert _max_err(D(outputs["converted32/d_img"]), outputs["converted32/d_logits"]) < TOL


def test_mixdl_projection_head_round_trips(tmp_path):
    """MixDL's Patch_Discriminator saves `sim_linear` (its projection head) with D; patch heads
    live in `Extra`, which the authors' checkpoints do not save."""
    rng = np.random.RandomState(0)
    D = Discriminator(c_dim=0, img_resolution=32, img_channels=3, channel_base=512,
                      channel_max=16, patch_res=[16], patch_heads=1, projection_dim=16, name="D")
    img = rng.uniform(-1, 1, [4, 32, 32, 3]).astype(np.float32)
    D(img)
    for v in D.weights:
        v.assign(v.numpy() + rng.normal(0, 0.3, v.shape).astype(np.float32))
    state = rosinality_writer.discriminator_state_dict(D)
    assert [n for n in state if n.startswith("sim_linear")] == ["sim_linear.weight",
                                                                "sim_linear.bias"]
    assert not [n for n in state if "patch" in n]
    torch_save.save({"d": state}, tmp_path / "d.pt")
    D2 = build_discriminator(load_torch_file(tmp_path / "d.pt")["d"], name="D")
    assert D2.projection_dim == 16 and not D2.patch_layers
    a = D(img, return_embedding=True)
    b = D2(img, return_embedding=True)
    np.testing.assert_allclose(b["logits"], a["logits"], atol=1e-5, rtol=0)
    np.testing.assert_allclose(b["embedding"], a["embedding"], atol=1e-5, rtol=0)
