"""Pickles for the converter tests, written without torch or TensorFlow 1.

`write_tf1_pickle` writes (G, D, Gs) as `dnnlib.tflib.network.Network` objects with the state
layout of NVlabs/stylegan2-ada's `Network.__getstate__` (version, name, static_kwargs,
components, build_module_src, build_func_name, variables, ...), from the fixture's variables.
`write_malicious_pickle` writes a pickle whose __reduce__ calls os.system.
"""

import json
import os
import pickle
import sys
import types

import numpy as np

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures")
BUILD_FUNCS = {"G": "G_main", "Gs": "G_main", "D": "D_main", "mapping": "G_mapping",
               "synthesis": "G_synthesis"}


def _network_class():
    """A stand-in `dnnlib.tflib.network.Network` registered under that name while pickling."""

    class Network:
        def __init__(self, state):
            self._state = state

        def __getstate__(self):
            return self._state

    Network.__module__ = "dnnlib.tflib.network"
    Network.__qualname__ = "Network"
    return Network


def _network(cls, name, static_kwargs, variables, components):
    return cls(dict(version=5, name=name, static_kwargs=static_kwargs, components=components,
                    build_module_src="# TF1 source omitted (never executed)\n",
                    build_func_name=f"training.networks.{BUILD_FUNCS[name]}",
                    variables=list(variables.items()), input_shapes=[], output_shapes=[],
                    input_names=[], output_names=[]))


def tf1_networks(fixture="tf1_cond16.npz", drop=(), extra=None):
    """{'G', 'D', 'Gs'}: (static_kwargs, {TF variable: array}) from the fixture."""
    data = np.load(os.path.join(FIXTURES, fixture))
    nets = {}
    for key in ("G", "D", "Gs"):
        kwargs = json.loads(str(data[f"static_kwargs/{'D' if key == 'D' else 'G'}"]))
        variables = {name.split("/", 1)[1]: data[name] for name in data.files
                     if name.startswith(key + "/") and name.split("/", 1)[1] not in drop}
        variables.update((extra or {}).get(key, {}))
        nets[key] = (kwargs, variables)
    return nets


def write_tf1_pickle(path, nets, protocol=3):
    """Writes (G, D, Gs) like a NVlabs/stylegan2-ada TF1 network pickle."""
    cls = _network_class()
    modules = {name: types.ModuleType(name) for name in
               ("dnnlib", "dnnlib.tflib", "dnnlib.tflib.network")}
    modules["dnnlib.tflib.network"].Network = cls
    saved = {name: sys.modules.get(name) for name in modules}
    sys.modules.update(modules)
    try:
        out = []
        for key in ("G", "D", "Gs"):
            kwargs, variables = nets[key]
            own = {k: v for k, v in variables.items() if k.split("/")[0] not in BUILD_FUNCS}
            components = {}
            for comp in ("mapping", "synthesis"):
                comp_vars = {k.split("/", 1)[1]: v for k, v in variables.items()
                             if k.startswith(comp + "/")}
                if comp_vars:
                    components[comp] = _network(cls, comp, {}, comp_vars, {})
            out.append(_network(cls, key, kwargs, own, components))
        with open(path, "wb") as f:
            pickle.dump(tuple(out), f, protocol=protocol)
    finally:
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module


class _RunsCommand:
    def __init__(self, command):
        self.command = command

    def __reduce__(self):
        return (os.system, (self.command,))


def write_malicious_pickle(path, marker):
    """A pickle that, if loaded with pickle.load, runs `touch marker` via os.system."""
    payload = {"G": _RunsCommand(f"touch {marker}"), "D": None, "G_ema": None}
    with open(path, "wb") as f:
        pickle.dump(payload, f)
