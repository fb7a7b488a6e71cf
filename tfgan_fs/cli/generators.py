"""Loading the generators a tool's --network values name, and its --class label."""

import sys

import numpy as np

from tfgan_fs.cli.errors import fail
from tfgan_fs.convert.sources import load_generator
from tfgan_fs.export import find_saved_model
from tfgan_fs.figures import comparison


def load_generators(networks, needs):
    """G_ema of each path in `networks` (run dirs, checkpoints, .pkl, .pt); fails (naming the
    --network) on an exported SavedModel, which has no mapping and synthesis for `needs`
    (e.g. 'walks in W'), on an unreadable network, or on networks that cannot share latents
    (resolution, z_dim, c_dim)."""
    generators = []
    for network in networks:
        if find_saved_model(network) is not None:
            fail(f"--network: '{network}' is an exported SavedModel; {needs} need G's mapping "
                 "and synthesis: pass the run or checkpoint")
        try:
            generators.append(load_generator(network, "G_ema"))
        except ValueError as err:
            fail(f"--network: {err}")
    try:
        comparison.check_compatible(generators, [f"--network={n}" for n in networks])
    except ValueError as err:
        fail(str(err))
    return generators


def class_label(G, index):
    """One-hot label [c_dim] of --class=index for a conditional G, None for an unconditional one
    (a given --class is then ignored with a warning); fails when a conditional G lacks it."""
    if G.c_dim:
        if index is None or not 0 <= index < G.c_dim:
            fail(f"this network is conditional ({G.c_dim} classes): pass --class=0..."
                 f"{G.c_dim - 1}")
        return np.eye(G.c_dim, dtype=np.float32)[index]
    if index is not None:
        print("warning: --class is ignored for an unconditional network", file=sys.stderr)
    return None
