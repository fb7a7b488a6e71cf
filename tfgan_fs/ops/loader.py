"""Loading the compiled custom ops and reporting what loaded.

`load_custom_ops` looks for a build of the current sources for the installed TensorFlow in the
cache of `tfgan_fs.ops.build` (CUDA builds first) and loads it with `tf.load_op_library`. It
never compiles, unless the user opted in with ``TFGAN_FS_BUILD_OPS=1``. The result is cached
for the process (`load_custom_ops.cache_clear()` forgets it, e.g. after a build).
"""

import dataclasses
import functools
import os
import warnings
from typing import Any, Optional

from tfgan_fs.ops import build as build_lib

__all__ = ["CustomOps", "CustomOpsFallbackWarning", "custom_ops_available", "load_custom_ops",
           "require_custom_ops", "warn_fallback_once"]

OP_NAMES = ("upfirdn2d", "bias_act")


class CustomOpsFallbackWarning(UserWarning):
    """impl='auto' runs the reference implementation because the custom ops are unusable."""


@dataclasses.dataclass(frozen=True)
class CustomOps:
    """What `load_custom_ops` found.

    Attributes:
        module: The loaded op library (None when nothing loaded).
        path: Path of the shared library that loaded (or None).
        cuda: Whether the library has CUDA kernels.
        error: Why nothing loaded (None when loaded).
    """

    module: Any
    path: Optional[str]
    cuda: bool
    error: Optional[str]

    @property
    def loaded(self):
        return self.module is not None


@functools.lru_cache(maxsize=None)
def load_custom_ops():
    """Loads the newest cached build of the custom ops (see the module docstring).

    Returns:
        `CustomOps`; never raises for a missing or broken build (see `error`).
    """
    import tensorflow as tf
    errors = []
    try:
        candidates = build_lib.built_libraries()
        if not candidates and os.environ.get("TFGAN_FS_BUILD_OPS") == "1":
            build_lib.build_from_environment()
            candidates = build_lib.built_libraries()
    except build_lib.BuildError as err:
        return CustomOps(None, None, False, str(err))
    for path, manifest in candidates:
        try:
            module = tf.load_op_library(str(path))
        except (tf.errors.NotFoundError, OSError) as err:
            errors.append(f"{path}: {err}")
            continue
        return CustomOps(module, str(path), bool(manifest.get("cuda")), None)
    if errors:
        return CustomOps(None, None, False, "; ".join(errors))
    return CustomOps(None, None, False,
                     f"no build for these sources and TensorFlow in {build_lib.cache_dir()}")


def custom_ops_available():
    """Reports whether the compiled custom ops loaded.

    Returns:
        Dict with ``loaded`` (bool), ``ops`` (op names, empty when not loaded), ``cuda`` (CUDA
        kernels present), ``path`` (the shared library) and ``error`` (why nothing loaded).
    """
    ops = load_custom_ops()
    return {"loaded": ops.loaded, "ops": OP_NAMES if ops.loaded else (), "cuda": ops.cuda,
            "path": ops.path, "error": ops.error}


def require_custom_ops(op_name):
    """The loaded `CustomOps`; raises RuntimeError naming the build command when not loaded."""
    ops = load_custom_ops()
    if not ops.loaded:
        raise RuntimeError(
            f"{op_name}: the custom ops are not available ({ops.error}). Build them with "
            f"`{build_lib.BUILD_COMMAND}`, or use impl='ref'.")
    return ops


@functools.lru_cache(maxsize=None)
def warn_fallback_once(reason):
    """Warns, once per process and reason, that impl='auto' falls back to the reference ops.

    `warn_fallback_once.cache_clear()` re-arms it (tests).
    """
    warnings.warn(
        f"tfgan_fs.ops: using the slower pure-TensorFlow reference ops because {reason}. "
        f"Build the custom ops with `{build_lib.BUILD_COMMAND}` (or set TFGAN_FS_BUILD_OPS=1).",
        CustomOpsFallbackWarning, stacklevel=3)
