"""Rebuilds PyTorch tensors of a pickle as NumPy arrays, without importing torch.

`pickle.dump` of a CPU tensor stores `torch._utils._rebuild_tensor_v2(storage, offset, size,
stride, ...)` (wrapped in `_rebuild_parameter` for parameters), and each storage as
`torch.storage._load_from_bytes(payload)` where the payload is a legacy `torch.save` stream:
five pickles (magic number, protocol 1001, system info, the storage as a persistent id
('storage', torch.FloatStorage, key, location, numel, view), the list of keys) followed by each
storage's element count (int64) and raw little-endian data. The payload is read with the same
restricted unpickler; the zip-based `torch.save` format is not used there and is refused
(files in that format are read by `torch_zip`, with the same tensor rebuilders).
"""

import io
import struct

import numpy as np

from tfgan_fs.convert.errors import PickleRefusedError
from tfgan_fs.convert.restricted_unpickler import RestrictedUnpickler

LEGACY_MAGIC = 0x1950a86a20f9469cfc6c
LEGACY_PROTOCOL = 1001
STORAGE_DTYPES = {
    "FloatStorage": "<f4", "DoubleStorage": "<f8", "HalfStorage": "<f2",
    "BFloat16Storage": "<u2", "LongStorage": "<i8", "IntStorage": "<i4", "ShortStorage": "<i2",
    "CharStorage": "i1", "ByteStorage": "u1", "BoolStorage": "?",
}


class StorageType:
    """The `torch.<Type>Storage` global named in a storage's persistent id."""

    def __init__(self, name):
        self.name = name
        self.dtype = np.dtype(STORAGE_DTYPES[name])


class Storage:
    """A flat storage read from a `_load_from_bytes` payload (`array` is 1-D)."""

    def __init__(self, storage_type, numel):
        self.storage_type = storage_type
        self.numel = numel
        self.array = None

    def values(self):
        """The storage as a NumPy array (bfloat16 widened to float32)."""
        if self.storage_type.name == "BFloat16Storage":
            return (self.array.astype(np.uint32) << 16).view(np.float32)
        return self.array


def _storage_type_globals():
    return {("torch", name): StorageType(name) for name in STORAGE_DTYPES}


def read_legacy_stream(f, allowed, source="torch storage"):
    """Reads a legacy `torch.save` stream from the binary file `f`: magic number, protocol,
    system info, the object (globals from `allowed`, storages as persistent ids), the storage
    keys, then each storage's int64 element count and raw data. Returns the object.

    The data follows the object, so the object is unpickled twice: first with the tensor
    rebuilders as no-ops (to learn the storages and reach the data), then for real.
    """
    storages = {}

    def persistent_load(pid):
        if not (isinstance(pid, tuple) and len(pid) in (5, 6) and pid[0] == "storage"
                and isinstance(pid[1], StorageType) and isinstance(pid[2], str)
                and isinstance(pid[4], int)):
            raise PickleRefusedError(f"{source}: unexpected torch persistent id {pid!r}")
        if len(pid) == 6 and pid[5] is not None:
            raise PickleRefusedError(f"{source}: torch storage views are not supported")
        return storages.setdefault(pid[2], Storage(pid[1], pid[4]))

    def load(globals_, handler=None):
        return RestrictedUnpickler(f, globals_, handler, source=source).load()

    if load({}) != LEGACY_MAGIC or load({}) != LEGACY_PROTOCOL:
        raise PickleRefusedError(f"{source}: not a legacy torch.save stream")
    sys_info = load({})
    if not (isinstance(sys_info, dict) and sys_info.get("little_endian", False)):
        raise PickleRefusedError(f"{source}: big-endian data is not supported")
    start = f.tell()
    load({k: (_ignore if k[0] == "torch._utils" else v) for k, v in allowed.items()},
         persistent_load)
    keys = load({})
    if not isinstance(keys, list) or sorted(storages) != sorted(keys):
        raise PickleRefusedError(f"{source}: storage keys do not match the object's storages")
    for key in keys:
        storage = storages[key]
        (count,) = struct.unpack("<q", f.read(8))
        nbytes = count * storage.storage_type.dtype.itemsize
        data = f.read(nbytes)
        if count != storage.numel or len(data) != nbytes:
            raise PickleRefusedError(f"{source}: torch storage {key}: truncated data")
        storage.array = np.frombuffer(data, dtype=storage.storage_type.dtype)
    end = f.tell()
    f.seek(start)
    result = load(allowed, persistent_load)
    f.seek(end)
    return result


def _ignore(*args, **kwargs):
    return None


def load_from_bytes(payload):
    """`torch.storage._load_from_bytes`: parses a legacy torch.save stream holding one storage."""
    if not isinstance(payload, (bytes, bytearray)):
        raise PickleRefusedError("torch storage payload is not bytes")
    if payload[:2] == b"PK":
        raise PickleRefusedError("torch storage payload in the zip format is not supported "
                                 "(expected the legacy stream that pickling a tensor writes)")
    result = read_legacy_stream(io.BytesIO(payload), _storage_type_globals())
    if not isinstance(result, Storage):
        raise PickleRefusedError("torch storage payload: unexpected contents")
    return result


def rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad=False,
                      backward_hooks=None, metadata=None):
    """`torch._utils._rebuild_tensor_v2`: a strided view of the storage, copied to an ndarray."""
    if not isinstance(storage, Storage) or storage.array is None:
        raise PickleRefusedError("tensor without a storage")
    if backward_hooks:
        raise PickleRefusedError("tensors with backward hooks are not supported")
    values = storage.values()
    size = tuple(int(s) for s in size)
    stride = tuple(int(s) for s in stride)
    offset = int(storage_offset)
    if len(size) != len(stride) or offset < 0 or min(size + stride, default=0) < 0:
        raise PickleRefusedError(f"bad tensor geometry size={size} stride={stride}")
    if 0 in size:
        return np.zeros(size, values.dtype)
    last = offset + sum((n - 1) * s for n, s in zip(size, stride))
    if last >= values.size:
        raise PickleRefusedError(f"tensor of size {size} reads past its storage "
                                 f"({values.size} elements)")
    view = np.lib.stride_tricks.as_strided(
        values[offset:], shape=size, strides=[s * values.itemsize for s in stride],
        writeable=False)
    return np.array(view)


def rebuild_parameter(data, requires_grad=False, backward_hooks=None, state=None):
    """`torch._utils._rebuild_parameter[_with_state]`: the parameter's data."""
    if backward_hooks:
        raise PickleRefusedError("parameters with backward hooks are not supported")
    return data


def torch_globals():
    """Allow-list entries for tensors and parameters pickled by torch (1.x and 2.x)."""
    return {
        ("torch._utils", "_rebuild_tensor_v2"): rebuild_tensor_v2,
        ("torch._utils", "_rebuild_parameter"): rebuild_parameter,
        ("torch._utils", "_rebuild_parameter_with_state"): rebuild_parameter,
        ("torch.storage", "_load_from_bytes"): load_from_bytes,
    }
