"""Convert LPIPS v0.1 PyTorch weights into the single .npz that tfgan_fs.metrics.LPIPS loads.

Examples:
    python tools/convert_lpips.py --net=vgg --lin=vgg.pth --backbone=vgg16-397923af.pth \
        --dest=lpips_vgg.npz
    python tools/convert_lpips.py --net=alex --lin=alex.pth \
        --backbone=alexnet-owt-7be5be79.pth --dest=lpips_alex.npz

Inputs (both local files; nothing is downloaded):
    --lin       the calibration weights, lpips/weights/v0.1/{vgg,alex}.pth of the `lpips` pip
                package or github.com/richzhang/PerceptualSimilarity (keys lin<k>.model.1.weight
                or lins.<k>.model.1.weight).
    --backbone  torchvision's ImageNet weights: https://download.pytorch.org/models/
                vgg16-397923af.pth or alexnet-owt-7be5be79.pth (keys features.<i>.weight/bias;
                classifier.* is ignored).

Needs PyTorch for reading the .pth files (`pip install torch`), for this conversion only; the
result is used without torch. Files are read with torch.load(..., weights_only=True).
"""

import os
import pathlib

from absl import app
from absl import flags

from tfgan_fs.cli.errors import fail

FLAGS = flags.FLAGS
flags.DEFINE_enum("net", None, ["vgg", "alex"], "Backbone of the LPIPS weights.")
flags.DEFINE_string("lin", None, "LPIPS v0.1 calibration weights (.pth), e.g. "
                    "lpips/weights/v0.1/vgg.pth.")
flags.DEFINE_string("backbone", None, "torchvision backbone weights (.pth), e.g. "
                    "vgg16-397923af.pth or alexnet-owt-7be5be79.pth.")
flags.DEFINE_string("dest", None, "Output .npz (e.g. lpips_vgg.npz).")
flags.mark_flags_as_required(["net", "lin", "backbone", "dest"])


def torch_state_dict(torch, path):
    """A .pth state dict as {key: float32 numpy array} (a {'state_dict': ...} wrapper is opened)."""
    import numpy as np

    state = torch.load(path, map_location="cpu", weights_only=True)
    if isinstance(state, dict) and "state_dict" in state and isinstance(state["state_dict"], dict):
        state = state["state_dict"]
    if not isinstance(state, dict):
        raise ValueError(f"expected a state dict, got {type(state).__name__}")
    out = {}
    for key, value in state.items():
        if not hasattr(value, "detach"):
            raise ValueError(f"entry {key!r} is a {type(value).__name__}, not a tensor")
        out[key] = np.asarray(value.detach().cpu().float().numpy())
    return out


def main(argv):
    if len(argv) > 1:
        fail(f"unexpected arguments {argv[1:]}")
    for name in ("lin", "backbone"):
        if not os.path.isfile(FLAGS[name].value):
            fail(f"--{name}: no such file: {FLAGS[name].value}")
    try:
        import torch
    except ImportError:
        fail("reading the PyTorch .pth files needs PyTorch, which is not installed: "
             "`pip install torch` (needed for this conversion only; tfgan_fs uses the "
             "resulting .npz without torch)")
    import numpy as np

    from tfgan_fs.metrics.lpips import LPIPS, convert_torch_state_dicts

    state = {}
    for name in ("lin", "backbone"):
        try:
            state[name] = torch_state_dict(torch, FLAGS[name].value)
        except Exception as err:  # unreadable / not weights_only-safe / not a state dict
            fail(f"--{name}: cannot read {FLAGS[name].value} as a PyTorch state dict: {err}")
    try:
        arrays = convert_torch_state_dicts(FLAGS.net, state["backbone"], state["lin"])
        LPIPS(arrays)  # checks the standard layer sizes before anything is written
    except ValueError as err:
        fail(f"--lin={FLAGS.lin} / --backbone={FLAGS.backbone}: {err}")
    dest = pathlib.Path(FLAGS.dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    with open(dest, "wb") as f:  # a file object keeps numpy from appending .npz
        np.savez(f, **arrays)
    print(f"wrote {dest} (LPIPS v0.1, {FLAGS.net}, {len(arrays) - 2} arrays)")


if __name__ == "__main__":
    app.run(main)
