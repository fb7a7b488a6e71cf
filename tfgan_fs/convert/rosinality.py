"""Reads rosinality-format StyleGAN2 checkpoints (.pt) into tfgan_fs networks.

The papers that build on rosinality/stylegan2-pytorch publish `torch.save` dicts
(`../shared/reference/interop.md`):

- rosinality `train.py` (CDC, MixDL and anything trained with that code): `g`, `d`, `g_ema`,
  `g_optim`, `d_optim`, `args` (an `argparse.Namespace`), `ada_aug_p`;
- rosinality `convert_weight.py`: `g_ema`, `latent_avg` (NVlabs `dlatent_avg`), maybe `g`, `d`;
- StyleGAN-NADA's released models and its `stylegan2-ffhq-config-f.pt`: `g_ema`, `g_optim`.

Files are read without torch by the restricted unpickler of this package (no code runs):
tensors, containers, and `argparse.Namespace` as a plain dict of plain values; optimizer
states are read as data and not converted. Sizes come from tensor shapes: the resolution from
the number of ToRGB layers, `style_dim` and `n_mlp` from the mapping, channels per resolution
from the convolutions (rosinality's `channel_multiplier` table is NVlabs'
`min(channel_base // res, channel_max)` with channel_base = 16384 * channel_multiplier and
channel_max = 512). The mapping's learning-rate multiplier is not stored: rosinality's default
`lr_mlp=0.01` unless told otherwise. rosinality's `noises.noise_{i}` become the constant noise
(`noise_mode='const'` = `randomize_noise=False`); `latent_avg` becomes `w_avg`, and a file
without one gets `w_avg` estimated as rosinality's `mean_latent(n)` does: the mean of the
mapping's outputs for n standard-normal z (count and seed recorded in `conversion.json`).
"""

import dataclasses
import pathlib
import re

import numpy as np

from tfgan_fs.convert import rosinality_layout as layout
from tfgan_fs.convert.convert import ConvertedNetworks
from tfgan_fs.convert.errors import ConversionError, PickleRefusedError
from tfgan_fs.convert.torch_zip import load_torch_file
from tfgan_fs.convert.weights import assign_state
from tfgan_fs.networks import Discriminator, Generator

DEFAULT_LR_MLP = 0.01  # rosinality Generator(lr_mlp=0.01), also NADA's sg2_model
DEFAULT_W_AVG_SAMPLES = 4096  # StyleGAN-NADA: generator.mean_latent(4096)
NETWORK_KEYS = ("g_ema", "g", "d")
PLAIN = (str, int, float, bool, type(None))
TO_RGB = re.compile(r"^to_rgbs\.(\d+)\.conv\.weight$")
D_BLOCK = re.compile(r"^convs\.(\d+)\.conv1\.0\.weight$")


class Namespace(dict):
    """`argparse.Namespace` of a checkpoint's `args`, read as a dict of plain values."""

    def __setstate__(self, state):
        if not isinstance(state, dict):
            raise PickleRefusedError("argparse.Namespace with a non-dict state")
        for key, value in state.items():
            if not (isinstance(key, str) and _is_plain(value)):
                raise PickleRefusedError(f"argparse.Namespace: {key!r} is not plain data "
                                         f"({type(value).__name__})")
        self.update(state)


def _is_plain(value):
    if isinstance(value, (list, tuple)):
        return all(_is_plain(v) for v in value)
    return isinstance(value, PLAIN)


EXTRA_GLOBALS = {("argparse", "Namespace"): Namespace}


@dataclasses.dataclass
class RosinalityCheckpoint:
    """The parts of a rosinality checkpoint that convert.

    Attributes:
        networks: {'g_ema' | 'g' | 'd': {parameter name: ndarray}} present in the file.
        latent_avg: rosinality's truncation centre, or None.
        args: The training `args` as a dict (empty when absent).
        ada_aug_p: ADA's augmentation probability, or None.
        keys: The file's top-level keys.
    """
    networks: dict
    latent_avg: object = None
    args: dict = dataclasses.field(default_factory=dict)
    ada_aug_p: object = None
    keys: tuple = ()


def read_rosinality(path):
    """Reads a rosinality checkpoint (zip or legacy `torch.save`) without torch.

    A file holding only a generator's state dict (keys `style.1.weight`, ...) is read as
    `g_ema`.

    Raises:
        ConversionError: not a torch.save file, or no `g_ema` (nor a bare G state dict).
        PickleRefusedError: the file names a type outside the allow-list.
    """
    data = load_torch_file(path, extra_globals=EXTRA_GLOBALS)
    if not isinstance(data, dict):
        raise ConversionError(f"{path}: holds a {type(data).__name__}, not a checkpoint dict")
    if "style.1.weight" in data:
        data = {"g_ema": data}
    if "g_ema" not in data:
        raise ConversionError(
            f"{path}: no 'g_ema' in the checkpoint (keys: {', '.join(map(str, data))}); "
            "expected a rosinality StyleGAN2 checkpoint ({'g_ema': ..., ...})")
    networks = {}
    for key in NETWORK_KEYS:
        if data.get(key) is None:
            continue
        state = data[key]
        if not (isinstance(state, dict) and all(isinstance(v, np.ndarray) for v in state.values())):
            raise ConversionError(f"{path}: '{key}' is not a state dict of tensors")
        networks[key] = state
    latent_avg = data.get("latent_avg")
    if latent_avg is not None:
        latent_avg = np.asarray(latent_avg, np.float32).reshape(-1)
    args = dict(data.get("args") or {})
    ada_p = data.get("ada_aug_p")
    return RosinalityCheckpoint(networks, latent_avg, args,
                                None if ada_p is None else float(np.asarray(ada_p)),
                                tuple(str(k) for k in data))


def channel_settings(channels, channel_multiplier=2):
    """(channel_base, channel_max) with channels[res] == min(channel_base // res, channel_max)
    for every resolution; below the first resolution with fewer channels than the 4x4 ones,
    rosinality's table gives channel_base = 32 * channel_max * channel_multiplier."""
    cmax = max(channels.values())
    smaller = sorted(res for res, ch in channels.items() if ch < cmax)
    cbase = channels[smaller[0]] * smaller[0] if smaller else 32 * cmax * channel_multiplier
    if any(min(cbase // res, cmax) != ch for res, ch in channels.items()):
        raise ConversionError(
            f"channel counts per resolution {dict(sorted(channels.items()))} do not follow "
            "min(channel_base // res, channel_max) (rosinality's channel_multiplier table)")
    return int(cbase), int(cmax)


def _count(state, pattern):
    return len({int(m.group(1)) for m in map(pattern.match, state) if m})


def generator_config(state, lr_mlp=DEFAULT_LR_MLP, channel_multiplier=2):
    """tfgan_fs `Generator` kwargs of a rosinality G state dict (sizes from its shapes)."""
    n_mlp = _count(state, layout.STYLE)
    if n_mlp == 0 or "input.input" not in state:
        raise ConversionError("not a rosinality StyleGAN2 generator (no style.N.weight mapping "
                              "layers or no input.input constant)")
    style_dim = int(state["style.1.weight"].shape[1])
    size = 4 * 2 ** _count(state, TO_RGB)
    channels = {4: int(state["input.input"].shape[1])}
    for k, res in enumerate(layout.resolutions(size)[1:]):
        channels[res] = int(state[f"convs.{2 * k}.conv.weight"].shape[1])
    cbase, cmax = channel_settings(channels, channel_multiplier)
    return dict(z_dim=style_dim, c_dim=0, w_dim=style_dim, img_resolution=size, img_channels=3,
                mapping_kwargs=dict(num_layers=n_mlp, lr_multiplier=float(lr_mlp)),
                synthesis_kwargs=dict(channel_base=cbase, channel_max=cmax))


def discriminator_config(state, channel_multiplier=2):
    """tfgan_fs `Discriminator` kwargs of a rosinality D state dict."""
    if "convs.0.0.weight" not in state or "final_conv.0.weight" not in state:
        raise ConversionError("not a rosinality StyleGAN2 discriminator (no convs.0 / "
                              "final_conv layers)")
    size = 4 * 2 ** _count(state, D_BLOCK)
    channels = {size: int(state["convs.0.0.weight"].shape[0]),
                4: int(state["final_conv.0.weight"].shape[0])}
    for j, res in enumerate(layout.resolutions(size)[:0:-1], start=1):
        channels[res // 2] = int(state[f"convs.{j}.conv2.1.weight"].shape[0])
    cbase, cmax = channel_settings(channels, channel_multiplier)
    config = dict(c_dim=0, img_resolution=size, img_channels=3, architecture="resnet",
                  channel_base=cbase, channel_max=cmax)
    if "sim_linear.weight" in state:  # MixDL's Patch_Discriminator: its projection head
        config["projection_dim"] = int(state["sim_linear.weight"].shape[0])
    return config


def build_generator(state, lr_mlp=DEFAULT_LR_MLP, name="G_ema", channel_multiplier=2):
    """A tfgan_fs Generator holding the weights of a rosinality G state dict ({name: array});
    `mapping.w_avg` is left at zero (see `estimate_w_avg`)."""
    config = generator_config(state, lr_mlp, channel_multiplier)
    G = Generator(**config, name=name)
    size, n_mlp = config["img_resolution"], config["mapping_kwargs"]["num_layers"]
    renamed = layout.rename(state, layout.generator_pairs(size, n_mlp),
                            layout.generator_blur_buffers(size), name)
    renamed["mapping.w_avg"] = np.zeros([config["w_dim"]], np.float32)
    assign_state(G, renamed, name)
    return G


def build_discriminator(state, name="D", channel_multiplier=2):
    """A tfgan_fs Discriminator holding the weights of a rosinality D state dict (MixDL's
    `Patch_Discriminator` too: its `sim_linear` becomes the projection head `proj`; its patch
    heads live in a separate `Extra` module that the checkpoints do not save)."""
    config = discriminator_config(state, channel_multiplier)
    D = Discriminator(**config, name=name)
    size = config["img_resolution"]
    pairs = layout.discriminator_pairs(size, projection="projection_dim" in config)
    renamed = layout.rename(state, pairs, layout.discriminator_blur_buffers(size), name)
    assign_state(D, renamed, name)
    return D


def estimate_w_avg(G, samples=DEFAULT_W_AVG_SAMPLES, seed=0):
    """rosinality's `mean_latent(samples)`: the mean of G's mapping over N(0, I) z (NumPy's
    RandomState(seed), so the estimate is reproducible)."""
    z = np.random.RandomState(seed).randn(samples, G.z_dim).astype(np.float32)
    total = np.zeros([G.w_dim], np.float64)
    for start in range(0, samples, 1024):
        ws = G.mapping(z[start:start + 1024], None, truncation_psi=1.0)
        total += np.asarray(ws[:, 0], np.float64).sum(axis=0)
    return (total / samples).astype(np.float32)


def _json_safe(value):
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    return value if isinstance(value, PLAIN) else repr(value)


def convert_rosinality(source, lr_mlp=DEFAULT_LR_MLP, w_avg_samples=DEFAULT_W_AVG_SAMPLES,
                       w_avg_seed=0, log=print):
    """Reads a rosinality checkpoint and returns `ConvertedNetworks` (G_ema, G, and D when the
    file has one; G is `g`, or a copy of `g_ema` for generator-only files)."""
    path = pathlib.Path(source)
    ckpt = read_rosinality(path)
    cm = int(ckpt.args.get("channel_multiplier", 2) or 2)
    present = [k for k in NETWORK_KEYS if k in ckpt.networks]
    log(f"Found a rosinality StyleGAN2 checkpoint (keys: {', '.join(ckpt.keys)}); converting "
        + ", ".join(present))
    G_ema = build_generator(ckpt.networks["g_ema"], lr_mlp, "G_ema", cm)
    G = build_generator(ckpt.networks.get("g", ckpt.networks["g_ema"]), lr_mlp, "G", cm)
    if ckpt.latent_avg is not None:
        if ckpt.latent_avg.shape != (G_ema.w_dim,):
            raise ConversionError(f"{path}: latent_avg has shape {list(ckpt.latent_avg.shape)}, "
                                  f"expected [{G_ema.w_dim}]")
        w_avg, w_avg_info = ckpt.latent_avg, {"from": "latent_avg"}
        log("  w_avg: the file's latent_avg")
    else:
        w_avg = estimate_w_avg(G_ema, w_avg_samples, w_avg_seed)
        w_avg_info = {"from": "mean_latent", "samples": int(w_avg_samples),
                      "seed": int(w_avg_seed)}
        log(f"  w_avg: no latent_avg in the file; estimated as rosinality's mean_latent: the "
            f"mean of G_ema's mapping over {w_avg_samples} z (NumPy seed {w_avg_seed})")
    for net in (G_ema, G):
        net.mapping.w_avg.assign(w_avg)
    networks = {"G": G, "G_ema": G_ema}
    if "d" in ckpt.networks:
        networks["D"] = build_discriminator(ckpt.networks["d"], "D", cm)
    for key, net in networks.items():
        log(f"  {key}: {net.img_resolution}x{net.img_resolution}, "
            f"{sum(int(v.numpy().size) for v in net.weights):,} values")
    info = {"source": str(path.resolve()), "format": "rosinality",
            "keys": list(ckpt.keys), "converted": present,
            "size": G_ema.img_resolution, "style_dim": G_ema.w_dim,
            "n_mlp": G_ema.mapping.num_layers, "lr_mlp": float(lr_mlp),
            "channel_base": G_ema.synthesis.channel_base,
            "channel_max": G_ema.synthesis.channel_max,
            "w_avg": w_avg_info, "noise_mode": "const: rosinality's noises.noise_i",
            "ada_aug_p": ckpt.ada_aug_p, "rosinality_args": _json_safe(ckpt.args)}
    if "D" not in networks:
        log("  D: none in the file (a generator-only checkpoint)")
    return ConvertedNetworks(networks, info)

