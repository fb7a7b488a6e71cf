"""Selection of the implementation behind each op (``impl=`` argument).

Every op in `tfgan_fs.ops` takes ``impl`` in ``('auto', 'ref', 'custom')`` and asks
`select_impl` which implementation to run:

- ``'ref'``: the pure TensorFlow reference (stock ops only: exportable, XLA-compilable).
- ``'custom'``: the compiled kernels of ``tf_ops/`` (`tfgan_fs.ops.loader`); an error if they
  are not built, cannot handle the arguments, or the caller is being compiled with XLA.
- ``'auto'``: custom where it is loaded and measured faster on the device in use
  (`AUTO_PREFERS_CUSTOM`), otherwise the reference, with one warning naming the build command.
  ``TFGAN_FS_REQUIRE_CUSTOM_OPS=1`` turns a missing build into an error.
"""

import os
import types

import tensorflow as tf

from tfgan_fs.ops import loader

VALID_IMPLS = ("auto", "ref", "custom")

# Does impl='auto' pick the custom kernel on this device? From `tools/benchmark.py
# --op=upfirdn2d|bias_act --res=256 --batch=4 --xla` on 2 CPU cores (README "Custom ops"): the
# custom upfirdn2d beats the reference at every StyleGAN2 shape (1.4x-9x forward, XLA is
# 3-10x slower still), while the reference bias_act (a few Eigen element-wise ops) is as fast
# or faster (165 vs 201 ms forward, 388 vs 395 ms forward+backward at 4x256x256x64). On
# GPUs the CUDA kernels are the reference design's fast path (not measured in this session).
AUTO_PREFERS_CUSTOM = types.MappingProxyType({
    ("upfirdn2d", "CPU"): True,
    ("upfirdn2d", "GPU"): True,
    ("bias_act", "CPU"): False,
    ("bias_act", "GPU"): True,
})

__all__ = ["AUTO_PREFERS_CUSTOM", "VALID_IMPLS", "check_impl", "select_impl"]


def check_impl(impl):
    """Returns `impl` if it is one of `VALID_IMPLS` (layers validate it at construction)."""
    if impl not in VALID_IMPLS:
        raise ValueError(f"impl must be one of {', '.join(repr(v) for v in VALID_IMPLS)}, "
                         f"got {impl!r}.")
    return impl


def _in_xla_context():
    """Whether the op is being traced into a jit_compile=True function (no custom kernels)."""
    try:
        from tensorflow.python.framework import ops as tf_ops
        from tensorflow.python.ops import control_flow_util
        return control_flow_util.GraphOrParentsInXlaContext(tf_ops.get_default_graph())
    except (ImportError, AttributeError):  # private API moved: assume no XLA
        return False


def _device():
    return "GPU" if tf.config.list_logical_devices("GPU") else "CPU"


def select_impl(op_name, impl, unsupported=None):
    """Returns the implementation to run for one call of an op: ``'ref'`` or ``'custom'``.

    Args:
        op_name: Name of the op, used in messages (e.g. ``'upfirdn2d'``).
        impl: Requested implementation: ``'auto'``, ``'ref'`` or ``'custom'``.
        unsupported: Why the custom kernel cannot run these arguments (e.g. a float64 input),
            or None.

    Returns:
        ``'ref'`` or ``'custom'``.

    Raises:
        ValueError: If ``impl`` is not one of `VALID_IMPLS`, or ``impl='custom'`` with
            arguments the custom kernel does not support.
        RuntimeError: If the custom ops are required (``impl='custom'`` or
            ``TFGAN_FS_REQUIRE_CUSTOM_OPS=1``) but not built, or ``impl='custom'`` under XLA.
    """
    if impl not in VALID_IMPLS:
        raise ValueError(
            f"{op_name}: impl must be one of {', '.join(repr(v) for v in VALID_IMPLS)}, "
            f"got {impl!r}.")
    if impl == "ref":
        return "ref"
    if impl == "custom" or os.environ.get("TFGAN_FS_REQUIRE_CUSTOM_OPS") == "1":
        ops = loader.require_custom_ops(op_name)
    else:
        ops = loader.load_custom_ops()
        if not ops.loaded:
            loader.warn_fallback_once(f"the custom ops are not built ({ops.error})")
            return "ref"
    if _in_xla_context():
        if impl == "custom":
            raise RuntimeError(f"{op_name}: impl='custom' has no XLA kernel; use impl='ref' or "
                               "'auto' inside jit_compile=True functions.")
        return "ref"
    if unsupported:
        if impl == "custom":
            raise ValueError(f"{op_name}: impl='custom' does not support {unsupported}; use "
                             "impl='ref' or 'auto'.")
        return "ref"
    if impl == "custom":
        return "custom"
    device = _device()
    if device == "GPU" and not ops.cuda:
        loader.warn_fallback_once(f"the custom ops at {ops.path} were built without CUDA "
                                  "kernels (no nvcc 12.x at build time)")
        return "ref"
    return "custom" if AUTO_PREFERS_CUSTOM[(op_name, device)] else "ref"
