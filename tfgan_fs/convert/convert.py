"""Builds tfgan_fs networks from a StyleGAN2-ADA pickle and writes them as a checkpoint.

GGDR pickles (naver-ai/GGDR `network-snapshot-*.pkl`) convert too: their networks are
`training.networks_ggdr` classes, which `torch_utils.persistence` records under the same class
names as StyleGAN2-ADA's (the module is not recorded), and whose parameters are StyleGAN2-ADA's
plus D's U-Net decoder `b{res}_dec.{weight,bias}` for res = 8 .. `decoder_res`. D's
`decoder_res` kwarg becomes tfgan_fs' `decoder_res`, so the decoder layers get the same names
and their weights map like every other convolution (1x1 OIHW -> HWIO). The converted D's
network.json records `decoder_res`, and `conversion.json` a `ggdr` entry with it, so that
`tools/train.py --init_from` knows the run needs `--reg_type=ggdr --ggdr_res=<decoder_res>`.

The destination is a run directory like one `tools/train.py` writes (`checkpoints/latest`,
`checkpoints/ckpt-000000000/` with `state.*` and `network.json`), written by
`training.checkpoints.RunState` into a temporary directory that is renamed into place, plus
`conversion.json` (source, format, reference kwargs). `load_network`, `tools/generate.py` and
`tools/train.py --init_from` read it.
"""

import dataclasses
import json
import os
import pathlib
import re
import shutil

from tfgan_fs.convert import pt_kwargs, tf1_legacy
from tfgan_fs.convert.errors import ConversionError, UnsupportedNetworkError
from tfgan_fs.convert.network_pickle import read_network_pickle
from tfgan_fs.convert.weights import assign_state, expected_names
from tfgan_fs.networks import Discriminator, Generator
from tfgan_fs.runs.checkpoints import Progress, RunState

NETWORK_KEYS = ("G", "D", "G_ema")
G_MODULES = {"Generator", "MappingNetwork", "SynthesisNetwork", "SynthesisBlock",
             "SynthesisLayer", "ToRGBLayer", "FullyConnectedLayer", "Conv2dLayer"}
D_MODULES = {"Discriminator", "DiscriminatorBlock", "DiscriminatorEpilogue", "MinibatchStdLayer",
             "Conv2dLayer", "FullyConnectedLayer", "MappingNetwork"}
CONVERSION_FILE = "conversion.json"
DECODER_PARAM = re.compile(r"^b(\d+)_dec\.")  # GGDR D's decoder stages b8_dec, b16_dec, ...
GGDR_DEFAULT_DECODER_RES = 64  # networks_ggdr.Discriminator's default decoder_res


@dataclasses.dataclass
class ConvertedNetworks:
    """The converted G, D and G_ema, and what they came from (the `Method` shape RunState saves).

    Attributes:
        networks: {'G': Generator, 'D': Discriminator, 'G_ema': Generator}.
        info: JSON-serialisable description of the source (format, reference kwargs, ...).
    """
    networks: dict
    info: dict

    def checkpoint_items(self):
        return dict(self.networks)


def _check_modules(src, key):
    allowed = G_MODULES if src.class_name == "Generator" else D_MODULES
    expected_root = "Discriminator" if key == "D" else "Generator"
    if src.class_name != expected_root:
        raise UnsupportedNetworkError(f"{key} is a {src.class_name}, expected a "
                                      f"StyleGAN2-ADA {expected_root}")
    unknown = sorted(src.classes - allowed)
    if unknown:
        raise UnsupportedNetworkError(
            f"{key} contains modules {', '.join(unknown)} that StyleGAN2-ADA networks do not "
            "have (e.g. a StyleGAN3 or other fork's pickle); only StyleGAN2-ADA and GGDR are "
            "supported")


def decoder_resolutions(params):
    """Sorted resolutions of GGDR decoder stages (`b{res}_dec.*`) among PyTorch parameter names."""
    return sorted({int(m.group(1)) for m in map(DECODER_PARAM.match, params) if m})


def _discriminator_kwargs(src, kwargs):
    """The D kwargs to build from: a GGDR D pickled without an explicit `decoder_res` was built
    with networks_ggdr's default (64); a mismatch with its parameters is then reported by
    `assign_state` as unknown or missing decoder parameters."""
    if "decoder_res" not in kwargs and decoder_resolutions(src.params):
        return {**kwargs, "decoder_res": GGDR_DEFAULT_DECODER_RES}
    return kwargs


def _convert_network(src, key, fmt, log):
    what = f"{key} ({fmt} {src.class_name})"
    if fmt == "tf1":
        if src.class_name != ("Discriminator" if key == "D" else "Generator"):
            raise UnsupportedNetworkError(f"{key} is a TF1 {src.class_name}")
        kwargs = (tf1_legacy.discriminator_kwargs(src.kwargs) if key == "D"
                  else tf1_legacy.generator_kwargs(src.kwargs))
    else:
        _check_modules(src, key)
        kwargs = src.kwargs
    if key == "D":
        config = pt_kwargs.discriminator_config(
            _discriminator_kwargs(src, kwargs) if fmt == "pytorch" else kwargs, key)
        network = Discriminator(**config, name=key)
    else:
        network = Generator(**pt_kwargs.generator_config(kwargs, key), name=key)
    state = src.params
    if fmt == "tf1":
        state = tf1_legacy.tf1_state(src.params, list(expected_names(network)), src.class_name,
                                     what)
    count = assign_state(network, state, what)
    log(f"  {key}: {src.class_name}, {count} tensors, "
        f"{sum(int(v.numpy().size) for v in network.weights):,} values")
    if key == "D" and getattr(network, "decoder_res", 0):
        layers = network.decoder_blocks
        log(f"  D: GGDR decoder up to {network.decoder_res}x{network.decoder_res}: "
            + ", ".join(f"{layer.name} (1x1 conv, up 2, {layer.in_channels} -> "
                        f"{layer.out_channels} channels)" for layer in layers))
    return network, kwargs


def _ggdr_info(networks):
    """conversion.json's `ggdr` entry (None for a StyleGAN2-ADA pickle)."""
    D = networks["D"]
    if not getattr(D, "decoder_res", 0):
        return None
    res = D.decoder_res
    return {"decoder_res": res, "decoder_layers": [b.name for b in D.decoder_blocks],
            "train_flags": f"--reg_type=ggdr --ggdr_res={res}"}


def convert_pickle(source, log=print):
    """Reads `source` (a StyleGAN2-ADA or GGDR network pickle) and returns `ConvertedNetworks`.

    The pickle is read with a restricted unpickler (see `tfgan_fs.convert`): it never runs code
    from the file.
    """
    log(f"Reading {source} ({os.path.getsize(source) / 2**20:.1f} MiB)" if os.path.isfile(source)
        else f"Reading {source}")
    data = read_network_pickle(source)
    dec = decoder_resolutions(data.networks["D"].params) if data.format == "pytorch" else []
    if dec:
        log(f"Found a PyTorch GGDR pickle (StyleGAN2-ADA networks, D with GGDR's decoder "
            f"{', '.join(f'b{r}_dec' for r in dec)}); converting G, D with its decoder, G_ema")
    else:
        log(f"Found a {'PyTorch' if data.format == 'pytorch' else 'TF1'} StyleGAN2-ADA pickle; "
            "converting G, D, G_ema")
    networks, kwargs = {}, {}
    for key in NETWORK_KEYS:
        networks[key], kwargs[key] = _convert_network(data.networks[key], key, data.format, log)
    info = {"source": str(pathlib.Path(source).resolve()), "format": data.format,
            "reference_kwargs": kwargs, **data.info,
            "ggdr": _ggdr_info(networks)}
    if info["ggdr"]:
        log(f"  GGDR: D's decoder_res {info['ggdr']['decoder_res']} is kept in the run; "
            f"continue training it with --init_from and {info['ggdr']['train_flags']}"
            + (f"; augment pipe {data.info['augment_pipe']} (p = {data.info['augment_p']:.3f})"
               if data.info.get("augment_p") is not None else ""))
    return ConvertedNetworks(networks, info)


def write_run_dir(converted, dest):
    """Writes `converted` as a tfgan_fs run directory at `dest` (must not exist; parents are made).

    Everything is written under a temporary sibling directory that is renamed to `dest` at the
    end, so `dest` either is complete or does not exist.
    """
    dest = pathlib.Path(dest)
    if dest.exists():
        raise ConversionError(f"--dest {dest} already exists; choose a new directory")
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ConversionError(f"--dest: cannot create {dest.parent}: {err}") from err
    tmp = dest.parent / f".{dest.name}.tmp-{os.getpid()}"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir()
    try:
        RunState(converted, Progress()).save(tmp / "checkpoints")
        (tmp / CONVERSION_FILE).write_text(json.dumps(converted.info, indent=2),
                                           encoding="utf-8")
        os.rename(tmp, dest)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
    return dest
