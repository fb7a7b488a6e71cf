"""Writes `torch.save`-compatible zip files of NumPy arrays, without importing torch.

The layout is the one `torch.save` writes (PyTorch >= 1.6, and what `torch_zip` reads): a zip
of uncompressed records `archive/data.pkl` (the object, pickle protocol 2, each tensor as
`torch._utils._rebuild_tensor_v2(storage, 0, size, stride, False, OrderedDict())` with its
storage as the persistent id ('storage', torch.<Type>Storage, key, 'cpu', numel)),
`archive/data/<key>` (each storage's little-endian bytes, aligned to 64 bytes as torch aligns
them), `archive/byteorder` and `archive/version`. `torch.load(..., weights_only=True)` accepts
it: only tensors, OrderedDicts and plain values are pickled.

The pickle is emitted opcode by opcode (no `pickle.Pickler`), because the standard pickler
would have to import torch to reference `torch._utils._rebuild_tensor_v2` and the storage
classes by name. Supported values: dict, OrderedDict (as `collections.OrderedDict`), list,
tuple, str, int, float, bool, None and NumPy arrays / scalars of the dtypes below.
"""

import collections
import os
import pathlib
import struct
import zipfile

import numpy as np

ARCHIVE = "archive"
ALIGNMENT = 64  # torch's PyTorchStreamWriter aligns record data to 64 bytes
FORMAT_VERSION = "3"
STORAGE_TYPES = {np.dtype("float32"): "FloatStorage", np.dtype("float64"): "DoubleStorage",
                 np.dtype("float16"): "HalfStorage", np.dtype("int64"): "LongStorage",
                 np.dtype("int32"): "IntStorage", np.dtype("int16"): "ShortStorage",
                 np.dtype("int8"): "CharStorage", np.dtype("uint8"): "ByteStorage",
                 np.dtype("bool"): "BoolStorage"}

PROTO, STOP, MARK = b"\x80\x02", b".", b"("
EMPTY_DICT, EMPTY_LIST, EMPTY_TUPLE = b"}", b"]", b")"
SETITEMS, APPENDS, TUPLE, REDUCE, BINPERSID = b"u", b"e", b"t", b"R", b"Q"
NONE, TRUE, FALSE = b"N", b"\x88", b"\x89"


def _global(module, name):
    return b"c" + f"{module}\n{name}\n".encode("ascii")


class _Emitter:
    """Pickle protocol 2 for the value types above; tensors' bytes go to `self.storages`."""

    def __init__(self):
        self.out = bytearray()
        self.storages = []

    def emit(self, value):
        if isinstance(value, np.ndarray):
            self._tensor(value)
        elif isinstance(value, np.generic):
            self.emit(value.item())
        elif isinstance(value, collections.OrderedDict):
            self.out += _global("collections", "OrderedDict") + EMPTY_TUPLE + REDUCE
            self._items(value)
        elif isinstance(value, dict):
            self.out += EMPTY_DICT
            self._items(value)
        elif isinstance(value, list):
            self.out += EMPTY_LIST
            if value:
                self.out += MARK
                for item in value:
                    self.emit(item)
                self.out += APPENDS
        elif isinstance(value, tuple):
            self._tuple(value)
        elif value is None:
            self.out += NONE
        elif isinstance(value, bool):
            self.out += TRUE if value else FALSE
        elif isinstance(value, int):
            self._int(value)
        elif isinstance(value, float):
            self.out += b"G" + struct.pack(">d", value)
        elif isinstance(value, str):
            data = value.encode("utf-8")
            self.out += b"X" + struct.pack("<I", len(data)) + data
        else:
            raise TypeError(f"cannot write a {type(value).__name__} into a torch.save file")

    def _items(self, mapping):
        if not mapping:
            return
        self.out += MARK
        for key, item in mapping.items():
            self.emit(key)
            self.emit(item)
        self.out += SETITEMS

    def _tuple(self, items):
        if not items:
            self.out += EMPTY_TUPLE
            return
        self.out += MARK
        for item in items:
            self.emit(item)
        self.out += TUPLE

    def _int(self, value):
        if -2 ** 31 <= value < 2 ** 31:
            self.out += b"J" + struct.pack("<i", value)
        else:
            data = value.to_bytes((value.bit_length() + 8) // 8, "little", signed=True)
            self.out += b"\x8a" + bytes([len(data)]) + data

    def _tensor(self, array):
        dtype = array.dtype.newbyteorder("=")
        if dtype not in STORAGE_TYPES:
            raise TypeError(f"cannot write a {array.dtype} array into a torch.save file")
        array = np.ascontiguousarray(array, dtype=dtype.newbyteorder("<"))
        key = str(len(self.storages))
        self.storages.append(array.tobytes())
        strides = tuple(int(np.prod(array.shape[i + 1:], dtype=np.int64))
                        for i in range(array.ndim))
        self.out += _global("torch._utils", "_rebuild_tensor_v2") + MARK
        self.out += MARK
        self.emit("storage")
        self.out += _global("torch", STORAGE_TYPES[dtype])
        for item in (key, "cpu", int(array.size)):
            self.emit(item)
        self.out += TUPLE + BINPERSID
        for item in (0, tuple(int(s) for s in array.shape), strides, False):
            self.emit(item)
        self.out += _global("collections", "OrderedDict") + EMPTY_TUPLE + REDUCE
        self.out += TUPLE + REDUCE


def _write_record(zf, name, data):
    """Adds an uncompressed record whose data starts at a multiple of ALIGNMENT."""
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_STORED
    header = 30 + len(name.encode("utf-8"))  # local file header without the extra field
    offset = zf.fp.tell() + header + 4  # 4: the extra field's own id and length
    pad = -offset % ALIGNMENT
    info.extra = b"FB" + struct.pack("<H", pad) + b"Z" * pad  # torch's padding field ('FB')
    zf.writestr(info, data)


def save(obj, path):
    """Writes `obj` to `path` in the zip `torch.save` format, atomically (temp file, rename)."""
    path = pathlib.Path(path)
    emitter = _Emitter()
    emitter.out += PROTO
    emitter.emit(obj)
    emitter.out += STOP
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_STORED) as zf:
            _write_record(zf, f"{ARCHIVE}/data.pkl", bytes(emitter.out))
            _write_record(zf, f"{ARCHIVE}/byteorder", b"little")
            for key, data in enumerate(emitter.storages):
                _write_record(zf, f"{ARCHIVE}/data/{key}", data)
            _write_record(zf, f"{ARCHIVE}/version", FORMAT_VERSION.encode("ascii") + b"\n")
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path
