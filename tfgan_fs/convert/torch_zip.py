"""Reads files written by `torch.save`, without importing torch: the zip format (PyTorch >= 1.6)
and the legacy stream (older PyTorch, e.g. the 1.4 the StarGAN v2 reference names, or
`_use_new_zipfile_serialization=False`).

Layout: a zip holding `<name>/data.pkl` (the pickled object, tensors as persistent ids
('storage', torch.<Type>Storage, key, location, numel)), `<name>/data/<key>` (each storage's
raw little-endian bytes), and `<name>/byteorder`, `<name>/version` and similar records.
`data.pkl` is read with `RestrictedUnpickler` (containers and tensors only); storages come from
the `data/` records. The legacy stream is `torch_tensors.read_legacy_stream` with the same
allow-list. Used for official StarGAN v2 checkpoints (clovaai/stargan-v2 `core/checkpoint.py`
saves {network name: state_dict}).
"""

import pathlib
import zipfile

import numpy as np

from tfgan_fs.convert.errors import ConversionError, PickleRefusedError
from tfgan_fs.convert.restricted_unpickler import RestrictedUnpickler, builtin_globals
from tfgan_fs.convert.torch_tensors import (Storage, StorageType, _storage_type_globals,
                                            read_legacy_stream, torch_globals)

ZIP_MAGIC = b"PK\x03\x04"


def _data_pkl_prefix(zf, source):
    names = [n for n in zf.namelist() if n == "data.pkl" or n.endswith("/data.pkl")]
    names = [n for n in names if n.count("/") <= 1]
    if len(names) != 1:
        raise ConversionError(f"{source}: a zip, but not a torch.save file (expected one "
                              f"'<name>/data.pkl', found {len(names)})")
    return names[0][:-len("data.pkl")]


def _allowed(extra=None):
    allowed = {**builtin_globals(), **_storage_type_globals(), **torch_globals(), **(extra or {})}
    del allowed[("torch.storage", "_load_from_bytes")]
    return allowed


def load_torch_file(path, extra_globals=None):
    """Loads a `torch.save` file (zip or legacy stream): its object, tensors as NumPy arrays.

    `extra_globals` ({(module, name): callable}) extends the allow-list (containers and tensors)
    with plain-data stand-ins a caller knows how to check (e.g. `argparse.Namespace`).

    Raises:
        ConversionError: neither format (e.g. a text file, or the tar format of PyTorch < 0.4).
        PickleRefusedError: a global outside the allow-list, or malformed storages.
    """
    path = pathlib.Path(path)
    with open(path, "rb") as f:
        head = f.read(4)
        if head == ZIP_MAGIC:
            return load_torch_zip(path, extra_globals)
        if head[:1] != b"\x80":
            raise ConversionError(f"{path}: not a torch.save file (neither the zip format nor "
                                  f"a legacy torch.save stream)")
        f.seek(0)
        return read_legacy_stream(f, _allowed(extra_globals), source=str(path))


def load_torch_zip(path, extra_globals=None):
    """Loads a zip-based `torch.save` file: its object with tensors as float/int NumPy arrays.

    Raises:
        ConversionError: not a torch zip (legacy `torch.save` streams and other files included).
        PickleRefusedError: the pickle names a global outside the allow-list, or bad storages.
    """
    path = pathlib.Path(path)
    source = str(path)
    with open(path, "rb") as f:
        head = f.read(4)
    if head != ZIP_MAGIC:
        raise ConversionError(f"{source}: not a zip-based torch.save file")
    try:
        zf = zipfile.ZipFile(path)
    except zipfile.BadZipFile as err:
        raise ConversionError(f"{source}: unreadable zip: {err}") from None
    with zf:
        prefix = _data_pkl_prefix(zf, source)
        names = set(zf.namelist())
        if prefix + "byteorder" in names:
            order = zf.read(prefix + "byteorder").decode("ascii", "replace").strip()
            if order != "little":
                raise ConversionError(f"{source}: byte order {order!r} is not supported")
        storages = {}

        def persistent_load(pid):
            if not (isinstance(pid, tuple) and len(pid) == 5 and pid[0] == "storage"
                    and isinstance(pid[1], StorageType) and isinstance(pid[2], str)
                    and isinstance(pid[4], int)):
                raise PickleRefusedError(f"{source}: unexpected torch persistent id {pid!r}")
            _, storage_type, key, _, numel = pid
            if key not in storages:
                record = f"{prefix}data/{key}"
                if record not in names:
                    raise ConversionError(f"{source}: storage record {record} is missing")
                raw = zf.read(record)
                nbytes = numel * storage_type.dtype.itemsize
                if len(raw) < nbytes:
                    raise ConversionError(f"{source}: storage {record} has {len(raw)} bytes, "
                                          f"expected {nbytes}")
                storage = Storage(storage_type, numel)
                storage.array = np.frombuffer(raw[:nbytes], dtype=storage_type.dtype)
                storages[key] = storage
            return storages[key]

        with zf.open(prefix + "data.pkl") as f:
            return RestrictedUnpickler(f, _allowed(extra_globals), persistent_load,
                                       source=source).load()

