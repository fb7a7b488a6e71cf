"""Reads official StyleGAN2-ADA network pickles (PyTorch or TF1) into plain Python data.

PyTorch pickles (NVlabs/stylegan2-ada-pytorch `network-snapshot-*.pkl`) are a dict with G, D,
G_ema, augment_pipe and training_set_kwargs; each network is a `torch_utils.persistence` object,
pickled as `_reconstruct_persistent_obj(meta)` with meta = {type, version, module_src,
class_name, state}. Here the embedded `module_src` is never executed: only the class name and
the `torch.nn.Module` state (`_parameters`, `_buffers`, `_modules`, `_init_kwargs`) are kept.
GGDR snapshots (naver-ai/GGDR, built on stylegan2-ada-pytorch) have the same layout: their
`training.networks_ggdr` Generator, SynthesisNetwork and Discriminator and the
`training.augment.AugmentPipeGFeat` pipe are persistent classes too, and `meta` records only the
class name (not the module), so they read as 'Generator', 'Discriminator', ...; a GGDR D is told
apart by its `decoder_res` kwarg and `b{res}_dec` parameters (see `convert`).

TF1 pickles (NVlabs/stylegan2-ada) are a tuple (G, D, Gs) of `dnnlib.tflib.network.Network`,
whose state holds static_kwargs, components and a list of (variable name, ndarray); again the
embedded `build_module_src` is ignored.
"""

import dataclasses
import pathlib
import pickle

import numpy as np

from tfgan_fs.convert.errors import ConversionError, PickleRefusedError, UnsupportedNetworkError
from tfgan_fs.convert.restricted_unpickler import (RestrictedUnpickler, builtin_globals,
                                                   numpy_globals)
from tfgan_fs.convert.torch_tensors import torch_globals

PERSISTENCE_VERSION = 6
TF1_BUILD_FUNCS = {"G_main": "Generator", "D_main": "Discriminator",
                   "D_stylegan2": "Discriminator"}


class EasyDict(dict):
    """`dnnlib.util.EasyDict`, as a plain dict subclass."""


class PersistentObject:
    """A `torch_utils.persistence` object: its class name and `torch.nn.Module` state."""

    def __init__(self, class_name, state):
        self.class_name = class_name
        self.state = state


def _reconstruct_persistent_obj(meta):
    if not isinstance(meta, dict) or meta.get("type") != "class":
        raise PickleRefusedError("unexpected torch_utils.persistence object")
    if meta.get("version") != PERSISTENCE_VERSION:
        raise UnsupportedNetworkError(
            f"torch_utils.persistence version {meta.get('version')} (expected "
            f"{PERSISTENCE_VERSION}, as written by stylegan2-ada-pytorch)")
    if not isinstance(meta.get("class_name"), str) or not isinstance(meta.get("state"), dict):
        raise PickleRefusedError("torch_utils.persistence object without class name or state")
    return PersistentObject(meta["class_name"], meta["state"])


class TFNetwork:
    """A `dnnlib.tflib.network.Network` of a TF1 pickle (state as pickled)."""

    def __setstate__(self, state):
        if not isinstance(state, dict):
            raise PickleRefusedError("unexpected dnnlib.tflib.network.Network state")
        self.state = state


def network_globals():
    """Everything a StyleGAN2-ADA pickle (PyTorch or TF1) may construct."""
    return {
        **builtin_globals(), **numpy_globals(), **torch_globals(),
        ("dnnlib.util", "EasyDict"): EasyDict,
        ("dnnlib", "EasyDict"): EasyDict,
        ("torch_utils.persistence", "_reconstruct_persistent_obj"): _reconstruct_persistent_obj,
        ("dnnlib.tflib.network", "Network"): TFNetwork,
    }


@dataclasses.dataclass
class SourceNetwork:
    """One network of a pickle in a format-independent form.

    Attributes:
        class_name: 'Generator' or 'Discriminator' (PT class name; TF1 build function mapped).
        kwargs: PT constructor kwargs (PT pickles) or TF1 static_kwargs (TF1 pickles).
        params: {name: ndarray}; PT dotted names ('synthesis.b4.conv1.weight') or TF1 variable
            names ('synthesis/4x4/Conv/weight').
        classes: Class names of all modules in the tree (PT) or build function names (TF1).
    """
    class_name: str
    kwargs: dict
    params: dict
    classes: set


@dataclasses.dataclass
class NetworkPickle:
    """A loaded pickle: format ('pytorch' or 'tf1'), networks {'G', 'D', 'G_ema'}, extra info."""
    format: str
    networks: dict
    info: dict


def _plain(value):
    """Converts EasyDicts and OrderedDicts to dicts and tuples to lists (JSON-like kwargs)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def _flatten_module(obj, where):
    params, classes = {}, set()

    def visit(node, prefix):
        if not isinstance(node, PersistentObject):
            raise UnsupportedNetworkError(
                f"{where}: sub-module {prefix.rstrip('.') or '<root>'} is a "
                f"{type(node).__name__}, not a persistent StyleGAN2-ADA module")
        classes.add(node.class_name)
        for key in ("_parameters", "_buffers"):
            for name, value in (node.state.get(key) or {}).items():
                if value is not None:
                    params[prefix + name] = np.asarray(value)
        for name, child in (node.state.get("_modules") or {}).items():
            if child is not None:
                visit(child, f"{prefix}{name}.")

    visit(obj, "")
    return params, classes


def _pytorch_network(obj, key):
    if not isinstance(obj, PersistentObject):
        raise UnsupportedNetworkError(f"{key} is a {type(obj).__name__}, not a StyleGAN2-ADA "
                                      "network")
    if obj.state.get("_init_args"):
        raise UnsupportedNetworkError(f"{key} ({obj.class_name}) was built with positional "
                                      "arguments; only keyword arguments are supported")
    params, classes = _flatten_module(obj, key)
    return SourceNetwork(obj.class_name, _plain(obj.state.get("_init_kwargs") or {}), params,
                         classes)


def _tf1_variables(net, key):
    variables = {}

    def visit(node, prefix):
        if not isinstance(node, TFNetwork):
            raise UnsupportedNetworkError(f"{key}: component {prefix!r} is not a tflib Network")
        for name, value in node.state.get("variables", []):
            variables[prefix + name] = np.asarray(value)
        for name, comp in (node.state.get("components") or {}).items():
            visit(comp, f"{prefix}{name}/")

    visit(net, "")
    return variables


def _tf1_network(net, key):
    version = net.state.get("version")
    if not isinstance(version, int) or version < 4:
        raise UnsupportedNetworkError(f"{key}: TF1 network pickle version {version} is too old "
                                      "(need >= 4, as written by StyleGAN2 / StyleGAN2-ADA)")
    build_func = str(net.state.get("build_func_name", "")).rsplit(".", 1)[-1]
    class_name = TF1_BUILD_FUNCS.get(build_func)
    if class_name is None:
        raise UnsupportedNetworkError(f"{key}: TF1 build function {build_func!r} is not "
                                      "supported (expected G_main or D_main)")
    return SourceNetwork(class_name, _plain(dict(net.state.get("static_kwargs") or {})),
                         _tf1_variables(net, key), {build_func})


def _augment_class(augment_pipe):
    return augment_pipe.class_name if isinstance(augment_pipe, PersistentObject) else None


def _augment_p(augment_pipe):
    """ADA's p of the snapshot's augment pipe (AugmentPipe, or GGDR's AugmentPipeGFeat, which
    has the same `p` buffer), None without one."""
    if not isinstance(augment_pipe, PersistentObject):
        return None
    p = (augment_pipe.state.get("_buffers") or {}).get("p")
    return None if p is None else float(np.asarray(p).reshape(-1)[0])


def load_pickle(path):
    """Unpickles `path` with the network allow-list (no conversion yet).

    Raises:
        ConversionError: if the file is missing or is not a pickle.
        PickleRefusedError: if it references anything outside the allow-list.
    """
    path = pathlib.Path(path)
    if not path.is_file():
        raise ConversionError(f"{path} does not exist or is not a file")
    with open(path, "rb") as f:
        if f.read(1) != b"\x80":
            raise ConversionError(f"{path} is not a pickle (network pickles start with the "
                                  "pickle protocol byte 0x80)")
        f.seek(0)
        try:
            return RestrictedUnpickler(f, network_globals(), source=str(path)).load()
        except PickleRefusedError:
            raise
        except (pickle.UnpicklingError, EOFError, TypeError, AttributeError, IndexError,
                KeyError, ValueError) as err:
            raise ConversionError(f"{path} is not a readable network pickle: {err}") from err


def read_network_pickle(path):
    """Loads a StyleGAN2-ADA network pickle (PyTorch or TF1) as a `NetworkPickle`."""
    data = load_pickle(path)
    if isinstance(data, tuple) and len(data) == 3 and all(isinstance(n, TFNetwork)
                                                          for n in data):
        networks = {key: _tf1_network(net, key) for key, net in zip(("G", "D", "G_ema"), data)}
        return NetworkPickle("tf1", networks, {})
    if isinstance(data, dict):
        missing = [key for key in ("G", "D", "G_ema") if key not in data]
        if missing:
            raise UnsupportedNetworkError(
                f"{path}: the pickle has no {', '.join(missing)} (has {sorted(map(str, data))}); "
                "expected a StyleGAN2-ADA network snapshot with G, D and G_ema")
        networks = {key: _pytorch_network(data[key], key) for key in ("G", "D", "G_ema")}
        info = {"augment_p": _augment_p(data.get("augment_pipe")),
                "augment_pipe": _augment_class(data.get("augment_pipe")),
                "training_set_kwargs": _plain(data.get("training_set_kwargs"))}
        return NetworkPickle("pytorch", networks, info)
    raise UnsupportedNetworkError(
        f"{path}: a {type(data).__name__} is neither a StyleGAN2-ADA PyTorch snapshot (dict with "
        "G, D, G_ema) nor a TF1 (G, D, Gs) tuple")
