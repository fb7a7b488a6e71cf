"""Converts official StarGAN v2 checkpoints (clovaai/stargan-v2, Choi et al., CVPR 2020).

`100000_nets_ema.ckpt` is a `torch.save` of {'generator', 'mapping_network', 'style_encoder'}
state_dicts (`100000_nets.ckpt` adds 'discriminator'; with w_hpf > 0 the reference's solver
saves the 'fan' too, skipped here). It is read without torch, in the zip or the legacy format
(`torch_zip.load_torch_file`; the reference names PyTorch 1.4, whose torch.save wrote the
legacy stream). The architecture (img_size, style_dim, latent_dim, num_domains, channels, block
counts, w_hpf > 0) is inferred from tensor shapes; every tensor is assigned by its reference key (`torch_parameters()` of `tfgan_fs.networks.stargan_v2`), all keys required.

The run dir is written by `convert.write_run_dir` (a temporary sibling renamed into place):
`checkpoints/ckpt-000000000/` by `RunState` (networks under the checkpoint's own keys) and
`conversion.json` (source and inferred configuration). `load(run_dir)` reads it back.
"""

import dataclasses
import json
import re

import numpy as np
import tensorflow as tf

from tfgan_fs.convert.convert import write_run_dir  # noqa: F401 (the same atomic run dir)
from tfgan_fs.convert.errors import ConversionError
from tfgan_fs.convert.torch_zip import load_torch_file
from tfgan_fs.networks import stargan_v2 as nets
from tfgan_fs.training.checkpoints import NETWORKS_FILE, STATE_PREFIX, find_checkpoint

NETWORK_CLASSES = {"generator": nets.Generator, "mapping_network": nets.MappingNetwork,
                   "style_encoder": nets.StyleEncoder, "discriminator": nets.Discriminator}
SKIPPED = ("fan",)  # the FAN (w_hpf > 0) is converted separately (--wing, later)


@dataclasses.dataclass
class ConvertedStarGANv2:
    """Converted networks {checkpoint key: keras.Model} and `info` (JSON: source, configs)."""
    networks: dict
    info: dict

    def checkpoint_items(self):
        return dict(self.networks)


def read_checkpoint(path):
    """{network key: {param key: ndarray}} of an official checkpoint; 'module.' prefixes (from
    DataParallel) are dropped, the FAN is skipped, anything else unknown is an error."""
    obj = load_torch_file(path)
    if not isinstance(obj, dict):
        raise ConversionError(f"{path}: expected a dict of state_dicts, got {type(obj).__name__}")
    unknown = sorted(str(k) for k in obj if k not in NETWORK_CLASSES and k not in SKIPPED)
    if unknown:
        raise ConversionError(f"{path}: unknown entries {unknown} (a StarGAN v2 checkpoint "
                              f"holds {sorted(NETWORK_CLASSES)}; optimizer checkpoints "
                              f"*_optims.ckpt are not networks)")
    out = {}
    for key in NETWORK_CLASSES:
        if key not in obj:
            continue
        state = obj[key]
        if not isinstance(state, dict):
            raise ConversionError(f"{path}: '{key}' is not a state_dict")
        out[key] = {k[len("module."):] if k.startswith("module.") else k: np.asarray(v)
                    for k, v in state.items()}
    for key in ("generator", "mapping_network", "style_encoder"):
        if key not in out:
            raise ConversionError(f"{path}: no '{key}' (expected an official *_nets_ema.ckpt "
                                  f"or *_nets.ckpt)")
    return out


def _count(state, pattern):
    rx = re.compile(pattern)
    return len({m.group(1) for m in (rx.match(k) for k in state) if m})


def _shape(state, key, net, path):
    if key not in state:
        raise ConversionError(f"{path}: {net} has no '{key}' (not a StarGAN v2 {net})")
    return state[key].shape


def _max_channels(state, pattern):
    return max(v.shape[0] for k, v in state.items() if re.fullmatch(pattern, k))


def _nonzero(n, what, path):
    if n < 1:
        raise ConversionError(f"{path}: {what} has no down-sampling blocks")
    return n


HPF_BUFFER = "hpf.filter"  # the current reference registers HighPass's kernel as a buffer
LAPLACIAN = np.array([[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]], np.float32)


def _stored_w_hpf(generator_state, path):
    """w_hpf from the generator's 'hpf.filter' buffer (Laplacian / w_hpf), or None."""
    if HPF_BUFFER not in generator_state:
        return None
    kernel = np.asarray(generator_state[HPF_BUFFER], np.float32)
    w_hpf = float(LAPLACIAN[1, 1] / kernel[1, 1]) if kernel.shape == (3, 3) else None
    if w_hpf is None or not np.allclose(kernel, LAPLACIAN / w_hpf, rtol=1e-6):
        raise ConversionError(f"{path}: generator '{HPF_BUFFER}' is not the reference's "
                              f"Laplacian / w_hpf: {kernel.tolist()}")
    return w_hpf


def infer_config(state, w_hpf=None, path="checkpoint"):
    """Network configs {key: kwargs} and a summary, from the tensor shapes.

    img_size comes from the style encoder's block count (log2(img_size) - 2); the generator's
    extra down-sampling block tells w_hpf > 0; its value comes from the generator's
    'hpf.filter' buffer where the checkpoint has one (the current reference), else it is 1 or
    `w_hpf`.
    """
    g, f, e = state["generator"], state["mapping_network"], state["style_encoder"]
    e_blocks = _nonzero(_count(e, r"shared\.(\d+)\.conv1\.weight"), "style_encoder", path)
    img_size = 2 ** (e_blocks + 2)
    style_dim = _shape(e, "unshared.0.weight", "style_encoder", path)[0]
    num_domains = _count(e, r"unshared\.(\d+)\.weight")
    configs = {"style_encoder": dict(
        img_size=img_size, style_dim=style_dim, num_domains=num_domains,
        max_conv_dim=_max_channels(e, r"shared\.\d+\.conv2\.weight"),
        dim_in=_shape(e, "shared.0.weight", "style_encoder", path)[0])}

    hidden_dim, latent_dim = _shape(f, "shared.0.weight", "mapping_network", path)
    configs["mapping_network"] = dict(
        latent_dim=latent_dim, style_dim=_shape(f, "unshared.0.6.weight", "mapping_network",
                                                path)[0],
        num_domains=_count(f, r"unshared\.(\d+)\.0\.weight"), hidden_dim=hidden_dim)

    n_down = _count(g, r"encode\.(\d+)\.conv1\.weight") - 2
    extra = n_down - nets.encoder_repeat(img_size, 0)
    if extra not in (0, 1):
        raise ConversionError(f"{path}: the generator has {n_down} down-sampling blocks, the "
                              f"style encoder says img_size {img_size} (expected "
                              f"{n_down - extra} or {n_down - extra + 1} with w_hpf > 0)")
    stored = _stored_w_hpf(g, path)
    if stored is not None and not extra:
        raise ConversionError(f"{path}: the generator has the high-pass filter 'hpf.filter' "
                              "but not the extra down-sampling block of w_hpf > 0")
    if w_hpf is None:
        w_hpf = stored if stored is not None else extra
    elif stored is not None and not np.isclose(w_hpf, stored):
        raise ConversionError(f"{path}: --w_hpf={w_hpf:g} contradicts the checkpoint's "
                              f"high-pass filter, which was made with w_hpf {stored:g}")
    elif (w_hpf > 0) != bool(extra):
        raise ConversionError(
            f"{path}: --w_hpf={w_hpf} does not match the generator, which has "
            f"{'one down-sampling block more than' if extra else 'the block count of'} "
            f"w_hpf {'> 0' if extra else '= 0'} at img_size {img_size}")
    configs["generator"] = dict(
        img_size=img_size, style_dim=_shape(g, "decode.0.norm1.fc.weight", "generator",
                                            path)[1],
        max_conv_dim=_max_channels(g, r"encode\.\d+\.conv2\.weight"), w_hpf=w_hpf,
        dim_in=_shape(g, "from_rgb.weight", "generator", path)[0])

    if "discriminator" in state:
        d = state["discriminator"]
        d_blocks = _count(d, r"main\.(\d+)\.conv1\.weight")
        configs["discriminator"] = dict(
            img_size=2 ** (d_blocks + 2),
            num_domains=_shape(d, f"main.{d_blocks + 4}.weight", "discriminator", path)[0],
            max_conv_dim=_max_channels(d, r"main\.\d+\.conv2\.weight"),
            dim_in=_shape(d, "main.0.weight", "discriminator", path)[0])

    for key, what in (("style_dim", "style_dim"), ("num_domains", "num_domains"),
                      ("img_size", "img_size")):
        values = {k: c[key] for k, c in configs.items() if key in c}
        if len(set(values.values())) > 1:
            raise ConversionError(f"{path}: the networks disagree on {what}: {values}")
    summary = dict(img_size=img_size, style_dim=style_dim, latent_dim=latent_dim,
                   num_domains=num_domains, w_hpf=w_hpf, hidden_dim=hidden_dim,
                   generator_down_blocks=n_down, style_encoder_blocks=e_blocks)
    return configs, summary


def _torch_to_keras(value, kind):
    if kind == "conv":
        return np.transpose(value, (2, 3, 1, 0))
    if kind == "dense":
        return np.transpose(value)
    return value


def assign(net, state, name="network", path="checkpoint"):
    """Assigns a reference state_dict to `net` by key; missing/unexpected keys or shapes fail."""
    params = net.torch_parameters()
    missing = sorted(set(params) - set(state))
    unexpected = sorted(set(state) - set(params))
    if missing or unexpected:
        raise ConversionError(f"{path}: {name} keys do not match the architecture inferred "
                              f"from its shapes: missing {missing[:5]}, unexpected "
                              f"{unexpected[:5]}")
    for key, (variable, kind) in params.items():
        value = _torch_to_keras(np.asarray(state[key], np.float32), kind)
        if tuple(value.shape) != tuple(variable.shape):
            raise ConversionError(f"{path}: {name} '{key}' has shape {state[key].shape}, "
                                  f"expected {tuple(variable.shape)} (after layout change)")
        variable.assign(value)


def build(configs):
    """{key: built network} from {key: config}."""
    return {key: NETWORK_CLASSES[key](name=key, **cfg).build_for_size()
            for key, cfg in configs.items()}


def convert_checkpoint(source, w_hpf=None):
    """Reads an official checkpoint and returns `ConvertedStarGANv2`."""
    state = read_checkpoint(source)
    configs, summary = infer_config(state, w_hpf, str(source))
    configs = {key: configs[key] for key in NETWORK_CLASSES if key in configs}
    networks = build(configs)
    for key, net in networks.items():
        params = {k: v for k, v in state[key].items() if k != HPF_BUFFER}  # checked above
        assign(net, params, key, str(source))
    info = dict(source=str(source), format="stargan_v2 torch.save", **summary, networks=configs)
    return ConvertedStarGANv2(networks, info)


def load(run_dir):
    """{key: network} restored from a run dir (or checkpoint dir) written by `write_run_dir`."""
    ckpt = find_checkpoint(run_dir)
    configs = json.loads((ckpt / NETWORKS_FILE).read_text(encoding="utf-8"))
    networks = {}
    for key, cfg in configs.items():
        if key not in NETWORK_CLASSES:
            raise ConversionError(f"{ckpt}: '{key}' is not a StarGAN v2 network")
        cfg = {k: v for k, v in cfg.items() if k != "name"}
        networks[key] = NETWORK_CLASSES[key](name=key, **cfg).build_for_size()
    status = tf.train.Checkpoint(**networks).read(str(ckpt / STATE_PREFIX))
    status.assert_existing_objects_matched().expect_partial()  # progress is not needed
    return networks
