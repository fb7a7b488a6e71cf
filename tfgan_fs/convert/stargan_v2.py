"""Converts official StarGAN v2 checkpoints (clovaai/stargan-v2, Choi et al., CVPR 2020).

`100000_nets_ema.ckpt` is a `torch.save` of {'generator', 'mapping_network', 'style_encoder'}
state_dicts (`100000_nets.ckpt` adds 'discriminator'; with w_hpf > 0 the reference's solver
saves the FAN as 'fan' too, and loads it back over wing.ckpt's weights when sampling and
evaluating). It is read without torch, in the zip or the legacy format
(`torch_zip.load_torch_file`; the reference names PyTorch 1.4, whose torch.save wrote the
legacy stream).

The FAN (`tfgan_fs.networks.fan`, the face masks of w_hpf > 0 generators) comes from `wing`
(`wing.ckpt`, `torch.save({'state_dict': ...})` as core/wing.py's `load_pretrained_weights`
reads it; `convert_wing`) or else from the checkpoint's own 'fan' entry; it is saved under the
key 'fan' (network.json gets its config). A w_hpf = 0 generator uses no masks: its checkpoint's
'fan' entry (the official AFHQ file has one) is skipped.

The architecture (img_size, style_dim, latent_dim, num_domains, channels, block
counts, w_hpf > 0) is inferred from tensor shapes; every tensor is assigned by its reference key
(`torch_parameters()` of `tfgan_fs.networks.stargan_v2`), all keys required.

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
from tfgan_fs.networks.fan import FAN
from tfgan_fs.runs.checkpoints import NETWORKS_FILE, STATE_PREFIX, find_checkpoint
from tfgan_fs.translation.translator import build_networks

NETWORK_CLASSES = nets.NETWORK_CLASSES
FAN_KEY = "fan"
SKIPPED = (FAN_KEY,)  # not a NETWORK_CLASSES entry: the FAN is read by `fan_state` (w_hpf > 0)
FAN_UNUSED_SUFFIX = ".num_batches_tracked"  # BatchNorm's counter: not used in eval mode


@dataclasses.dataclass
class ConvertedStarGANv2:
    """Converted networks {checkpoint key: keras.Model} and `info` (JSON: source, configs)."""
    networks: dict
    info: dict

    def checkpoint_items(self):
        return dict(self.networks)


def _strip_module(state):
    return {k[len("module."):] if isinstance(k, str) and k.startswith("module.") else k:
            np.asarray(v) for k, v in state.items()}


def read_checkpoint(path):
    """{network key: {param key: ndarray}} of an official checkpoint; 'module.' prefixes (from
    DataParallel) are dropped; a non-empty 'fan' entry is kept under 'fan'; anything else
    unknown is an error."""
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
        out[key] = _strip_module(state)
    if isinstance(obj.get(FAN_KEY), dict) and obj[FAN_KEY]:
        out[FAN_KEY] = _strip_module(obj[FAN_KEY])
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


FAN_FIRST_KEY = "conv1.conv.weight"  # the FAN's CoordConv: (width, 3 + 3 coordinates, 7, 7)
FAN_LAST_KEY = "l0.weight"  # heatmaps: (num_landmarks + 1, 4 * width, 1, 1)


def read_wing(path):
    """The FAN state_dict {key: ndarray} of `wing.ckpt`: a torch.save of {'state_dict': ...}
    (what core/wing.py's `load_pretrained_weights` reads) or of the state_dict itself;
    'module.' prefixes are dropped."""
    obj = load_torch_file(path)
    if not isinstance(obj, dict):
        raise ConversionError(f"{path}: expected a dict (wing.ckpt holds {{'state_dict': "
                              f"FAN state_dict}}), got {type(obj).__name__}")
    state = obj.get("state_dict", obj)
    if not isinstance(state, dict) or not all(hasattr(v, "shape") for v in state.values()):
        raise ConversionError(f"{path}: not a FAN checkpoint: expected {{'state_dict': FAN "
                              f"state_dict}} as the official wing.ckpt, found entries "
                              f"{sorted(map(str, obj))[:8]}")
    return _strip_module(state)


def infer_fan_config(state, path="wing.ckpt"):
    """FAN kwargs (width, num_landmarks) from a FAN state_dict's shapes."""
    if FAN_FIRST_KEY not in state or FAN_LAST_KEY not in state:
        missing = [k for k in (FAN_FIRST_KEY, FAN_LAST_KEY) if k not in state]
        raise ConversionError(f"{path}: not a FAN (core/wing.py) state_dict: no {missing}; "
                              f"its keys start {sorted(map(str, state))[:5]}")
    first, last = np.shape(state[FAN_FIRST_KEY]), np.shape(state[FAN_LAST_KEY])
    if len(first) != 4 or first[1:] != (6, 7, 7) or len(last) != 4:
        raise ConversionError(f"{path}: '{FAN_FIRST_KEY}' has shape {first}, '{FAN_LAST_KEY}' "
                              f"{last}; a FAN's first CoordConv is (width, 6, 7, 7)")
    num_landmarks = last[0] - 1
    if num_landmarks != 98:
        raise ConversionError(f"{path}: the FAN predicts {num_landmarks} landmarks; StarGAN "
                              "v2's face masks need the 98 WFLW landmarks of wing.ckpt")
    return dict(num_landmarks=num_landmarks, end_relu=False, num_modules=1, width=first[0])


def fan_state(state, path="wing.ckpt"):
    """(FAN, info) from a FAN state_dict, as the reference loads it.

    Every parameter and BatchNorm running statistic of the FAN must be there (missing keys are
    an error: the reference would keep random weights). Keys the FAN does not have are ignored,
    as the reference's `load_pretrained_weights` keeps only `k in model_weights` (BatchNorm's
    `num_batches_tracked` is among them); info lists them.
    """
    config = infer_fan_config(state, path)
    fan = FAN(name=FAN_KEY, **config).build_for_size()
    params = fan.torch_parameters()
    missing = sorted(set(params) - set(state))
    ignored = sorted(k for k in state if k not in params)
    unexpected = [k for k in ignored if not k.endswith(FAN_UNUSED_SUFFIX)]
    if missing:
        raise ConversionError(f"{path}: not a complete FAN state_dict: missing {len(missing)} "
                              f"keys {missing[:5]}, unexpected {unexpected[:5]}")
    assign(fan, {k: state[k] for k in params}, "fan", path)
    info = dict(source=str(path), **config, ignored_keys=unexpected)
    return fan, info


def convert_wing(path):
    """Converts the official `wing.ckpt` (core/wing.py's FAN): returns (FAN, info)."""
    return fan_state(read_wing(path), str(path))


def convert_checkpoint(source, w_hpf=None, wing=None, require_fan=False):
    """Reads an official checkpoint and returns `ConvertedStarGANv2`.

    With w_hpf > 0 the FAN is converted too, under the key 'fan': from `wing` (a wing.ckpt)
    when given, else from the checkpoint's own 'fan' entry (what the reference uses when
    sampling: its CheckpointIO loads it over wing.ckpt's weights); without either,
    `info['fan']` is None and translating needs a FAN; with `require_fan` that is an error
    (`tools/convert_stargan_v2.py` requires it unless --allow_no_fan). `wing` with a w_hpf = 0
    generator is an error (no masks). Both errors come before any network is built.
    """
    state = read_checkpoint(source)
    configs, summary = infer_config(state, w_hpf, str(source))
    if wing is not None and summary["w_hpf"] <= 0:
        raise ConversionError(f"--wing: {source} has a w_hpf 0 generator, which uses no "
                              "face masks; the FAN is only for w_hpf > 0 (CelebA-HQ)")
    if require_fan and summary["w_hpf"] > 0 and wing is None and FAN_KEY not in state:
        raise ConversionError(
            f"{source} has a w_hpf {summary['w_hpf']:g} generator (CelebA-HQ), which needs the "
            "FAN's face masks, and no 'fan' entry: translate, metrics and export need it. Pass "
            "--wing=expr/checkpoints/wing.ckpt (bash download.sh wing), or --allow_no_fan to "
            "convert without it")
    configs = {key: configs[key] for key in NETWORK_CLASSES if key in configs}
    networks = build_networks(configs)
    for key, net in networks.items():
        params = {k: v for k, v in state[key].items() if k != HPF_BUFFER}  # checked above
        assign(net, params, key, str(source))
    fan_info = None
    if wing is not None:
        networks[FAN_KEY], fan_info = convert_wing(wing)
        fan_info["replaced_checkpoint_fan"] = FAN_KEY in state
    elif summary["w_hpf"] > 0 and FAN_KEY in state:
        networks[FAN_KEY], fan_info = fan_state(state[FAN_KEY], f"{source} ('{FAN_KEY}')")
    if fan_info is not None:
        configs[FAN_KEY] = networks[FAN_KEY].get_config()
    info = dict(source=str(source), format="stargan_v2 torch.save", **summary, networks=configs,
                fan=fan_info)
    return ConvertedStarGANv2(networks, info)


def load(run_dir):
    """{key: network} restored from a run dir (or checkpoint dir) written by `write_run_dir`."""
    ckpt = find_checkpoint(run_dir)
    configs = json.loads((ckpt / NETWORKS_FILE).read_text(encoding="utf-8"))
    networks = {}
    for key, cfg in configs.items():
        cfg = {k: v for k, v in cfg.items() if k != "name"}
        if key == FAN_KEY:
            networks[key] = FAN(name=key, **cfg).build_for_size()
            continue
        if key not in NETWORK_CLASSES:
            raise ConversionError(f"{ckpt}: '{key}' is not a StarGAN v2 network")
        networks[key] = NETWORK_CLASSES[key](name=key, **cfg).build_for_size()
    status = tf.train.Checkpoint(**networks).read(str(ckpt / STATE_PREFIX))
    status.assert_existing_objects_matched().expect_partial()  # progress is not needed
    return networks
