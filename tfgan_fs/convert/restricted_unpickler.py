"""An unpickler that constructs only allow-listed types, and safe stand-ins for NumPy's globals.

Loading a pickle with `pickle.load` can run arbitrary code: every class or function a pickle
names (its "globals") is imported and called. `RestrictedUnpickler` resolves a global only
through an explicit allow-list of callables written for this package and refuses everything
else with `PickleRefusedError`, before anything is called. NumPy arrays, dtypes and scalars are
rebuilt by the functions below from raw bytes of plain numeric dtypes (no object arrays), never
by NumPy's own pickle hooks.
"""

import collections
import io
import pickle
import re

import numpy as np

from tfgan_fs.convert.errors import PickleRefusedError

NUMPY_CORE_MODULES = ("numpy.core.multiarray", "numpy._core.multiarray")
NUMPY_NUMERIC_MODULES = ("numpy.core.numeric", "numpy._core.numeric")
_DTYPE_NAME = re.compile(r"[biufc]\d{1,2}")
_BYTE_ORDERS = ("<", ">", "|", "=")


class RestrictedUnpickler(pickle.Unpickler):
    """`pickle.Unpickler` whose globals come only from `allowed`.

    Args:
        file: Binary file object.
        allowed: {(module, name): callable} the pickle may reference.
        persistent_load: Optional handler of persistent ids (None: persistent ids are refused).
        source: Name used in error messages (e.g. the file path).
    """

    def __init__(self, file, allowed, persistent_load=None, source="pickle"):
        super().__init__(file)
        self._allowed = dict(allowed)
        self._source = source
        if persistent_load is not None:
            self.persistent_load = persistent_load

    def find_class(self, module, name):
        try:
            return self._allowed[(module, name)]
        except KeyError:
            raise PickleRefusedError(
                f"{self._source}: refusing to load global '{module}.{name}': it is not one of "
                f"the types a network pickle needs (a pickle can run arbitrary code, so only "
                f"allow-listed types are constructed)") from None


def restricted_loads(data, allowed, persistent_load=None, source="pickle"):
    """Unpickles `data` (bytes) with `RestrictedUnpickler`."""
    return RestrictedUnpickler(io.BytesIO(data), allowed, persistent_load, source).load()


def _np_dtype(name):
    if not isinstance(name, str) or not _DTYPE_NAME.fullmatch(name):
        raise PickleRefusedError(f"refusing NumPy dtype {name!r}: only plain numeric dtypes")
    return np.dtype(name)


class PickledDType:
    """Stand-in for `numpy.dtype(name, align, copy)`; BUILD sets the byte order."""

    def __init__(self, name, align=False, copy=False):
        self.dtype = _np_dtype(name)

    def __setstate__(self, state):
        if not isinstance(state, tuple) or len(state) < 2 or state[1] not in _BYTE_ORDERS:
            raise PickleRefusedError(f"unexpected NumPy dtype state {state!r}")
        if any(field is not None for field in state[2:5]):
            raise PickleRefusedError("refusing structured or sub-array NumPy dtypes")
        if state[1] in ("<", ">"):
            self.dtype = self.dtype.newbyteorder(state[1])


def _as_dtype(value):
    if isinstance(value, PickledDType):
        return value.dtype
    if isinstance(value, str):
        return _np_dtype(value)
    raise PickleRefusedError(f"expected a NumPy dtype, got {type(value).__name__}")


def _from_bytes(raw, dtype, shape, fortran=False):
    if not isinstance(raw, (bytes, bytearray)):
        raise PickleRefusedError("refusing a NumPy array whose data is not raw bytes "
                                 "(object arrays are not supported)")
    shape = tuple(int(s) for s in shape)
    count = int(np.prod(shape, dtype=np.int64))
    if count * dtype.itemsize != len(raw):
        raise PickleRefusedError(f"NumPy array data has {len(raw)} bytes, expected "
                                 f"{count * dtype.itemsize} for shape {shape} {dtype}")
    flat = np.frombuffer(bytes(raw), dtype=dtype)
    return flat.reshape(shape, order="F" if fortran else "C").astype(dtype.newbyteorder("="))


class PickledArray:
    """Stand-in for an ndarray made by `_reconstruct` and filled by BUILD; `np.asarray` works."""

    def __init__(self):
        self.value = None

    def __setstate__(self, state):
        if isinstance(state, tuple) and len(state) == 5:
            state = state[1:]  # (version, shape, dtype, is_fortran, raw)
        if not isinstance(state, tuple) or len(state) != 4:
            raise PickleRefusedError("unexpected NumPy array state")
        shape, dtype, fortran, raw = state
        self.value = _from_bytes(raw, _as_dtype(dtype), shape, bool(fortran))

    def __array__(self, dtype=None, copy=None):
        if self.value is None:
            raise PickleRefusedError("NumPy array without data")
        return self.value if dtype is None else self.value.astype(dtype)


class _NdarrayClass:
    """The `numpy.ndarray` global: only usable as the first argument of `_reconstruct`."""


def _reconstruct(cls, shape, typecode):
    if not isinstance(cls, _NdarrayClass):
        raise PickleRefusedError("numpy _reconstruct is only allowed for numpy.ndarray")
    return PickledArray()


def _scalar(dtype, raw):
    return _from_bytes(raw, _as_dtype(dtype), ()).item()


def _frombuffer(buffer, dtype, shape, order):
    return _from_bytes(buffer, _as_dtype(dtype), shape, order == "F")


def _codecs_encode(text, encoding="utf-8"):
    """`_codecs.encode`, which protocol-2 pickles use for bytes: latin-1 only."""
    if not isinstance(text, str) or encoding not in ("latin1", "latin-1"):
        raise PickleRefusedError(f"refusing _codecs.encode with encoding {encoding!r}")
    return text.encode("latin-1")


def builtin_globals():
    """Allow-list entries for plain containers and protocol-2 bytes."""
    return {("collections", "OrderedDict"): collections.OrderedDict,
            ("builtins", "set"): set, ("builtins", "frozenset"): frozenset,
            ("_codecs", "encode"): _codecs_encode}


def numpy_globals():
    """Allow-list entries that rebuild NumPy arrays, dtypes and scalars (numpy 1.x and 2.x)."""
    ndarray = _NdarrayClass()
    allowed = {("numpy", "ndarray"): ndarray, ("numpy", "dtype"): PickledDType}
    for module in NUMPY_CORE_MODULES:
        allowed[(module, "_reconstruct")] = _reconstruct
        allowed[(module, "scalar")] = _scalar
    for module in NUMPY_NUMERIC_MODULES:
        allowed[(module, "_frombuffer")] = _frombuffer
    return allowed
