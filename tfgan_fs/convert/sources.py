"""Network files wherever a network is read: run directories, NVlabs pickles, rosinality .pt.

`--network` and `--init_from` take a run directory or checkpoint (tfgan_fs' own), a
StyleGAN2-ADA / GGDR network pickle (`.pkl`, `convert.convert_pickle`) or a rosinality
checkpoint (`.pt`, `rosinality.convert_rosinality`). A file is recognised by its contents:
a zip or a legacy `torch.save` stream is a rosinality checkpoint, any other pickle a network
pickle. `network_source` converts a file into a temporary run directory for the code that
reads run directories (export, metrics, training's --init_from); `tools/convert_pkl.py` writes
that run directory once, which is faster when a file is used again and again.
"""

import contextlib
import pathlib
import pickle
import shutil
import tempfile

from tfgan_fs.convert.convert import convert_pickle, write_run_dir
from tfgan_fs.convert.errors import ConversionError
from tfgan_fs.convert.rosinality import convert_rosinality
from tfgan_fs.convert.torch_tensors import LEGACY_MAGIC
from tfgan_fs.convert.torch_zip import ZIP_MAGIC
from tfgan_fs.runs.checkpoints import load_network, load_network_configs

# A legacy torch.save stream starts with its magic number pickled (protocol 2, LONG1).
LEGACY_HEAD = pickle.dumps(LEGACY_MAGIC, protocol=2)


def file_format(path):
    """'run' (a directory), 'rosinality' (a torch.save file) or 'pickle' (other pickles).

    Raises:
        FileNotFoundError: `path` does not exist.
        ConversionError: a file that is neither a pickle nor a torch.save file.
    """
    path = pathlib.Path(path)
    if path.is_dir():
        return "run"
    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist")
    with open(path, "rb") as f:
        head = f.read(len(LEGACY_HEAD))
    if head[:4] == ZIP_MAGIC or head == LEGACY_HEAD:
        return "rosinality"
    if head[:1] != b"\x80":
        raise ConversionError(f"{path}: neither a run directory, a network pickle (.pkl) nor a "
                              "torch.save checkpoint (.pt)")
    return "pickle"


def convert_file(path, log=print, **rosinality_kwargs):
    """`ConvertedNetworks` of a network pickle or a rosinality checkpoint."""
    if file_format(path) == "rosinality":
        return convert_rosinality(path, log=log, **rosinality_kwargs)
    return convert_pickle(str(path), log=log)


def load_networks(path, names=("G_ema",), log=print):
    """{name: network} for those of `names` ('G_ema', 'G', 'D') that a run directory,
    checkpoint or network file has (a file is converted once, in memory)."""
    if not pathlib.Path(path).is_file():  # run dirs; missing paths get their errors there
        _, configs = load_network_configs(str(path))
        return {name: load_network(str(path), name) for name in names if name in configs}
    networks = convert_file(path, log=log).networks
    return {name: networks[name] for name in names if name in networks}


def load_generator(path, name="G_ema", log=print):
    """Network `name` ('G_ema', 'G' or 'D') of a run directory, checkpoint or network file."""
    networks = load_networks(path, (name,), log)
    if name not in networks:
        raise ConversionError(f"{path} has no network {name}")
    return networks[name]


@contextlib.contextmanager
def network_source(path, log=print):
    """Yields a run directory for `path`: itself, or a file converted into a temporary one
    (removed on exit). Anything but a file (a run dir, a missing path) is yielded as it is, for
    the run-directory readers to check and report."""
    if not pathlib.Path(path).is_file():
        yield str(path)
        return
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="tfgan_fs-network-"))
    try:
        log(f"Converting {path} into a temporary run directory (tools/convert_pkl.py "
            "--source=FILE --dest=DIR keeps one)")
        yield str(write_run_dir(convert_file(path, log=log), tmp / "run"))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
