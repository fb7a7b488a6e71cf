"""Selection of the implementation behind each op (``impl=`` argument).

Every op in `tfgan_fs.ops` takes ``impl`` in ``('auto', 'ref', 'custom')`` and
asks `select_impl` which implementation to run. This build only has the pure
TensorFlow reference implementations: ``'auto'`` and ``'ref'`` run them and
``'custom'`` (compiled C++/CUDA kernels) raises. When custom kernels are added,
this function is the one place that decides when to use them.
"""

VALID_IMPLS = ("auto", "ref", "custom")

__all__ = ["VALID_IMPLS", "select_impl"]


def select_impl(op_name, impl):
    """Returns the implementation to run for one call of an op.

    Args:
        op_name: Name of the op, used in error messages (e.g. ``'upfirdn2d'``).
        impl: Requested implementation: ``'auto'`` (best available), ``'ref'``
            (pure TensorFlow reference) or ``'custom'`` (compiled kernels).

    Returns:
        The implementation to run; always ``'ref'`` in this build.

    Raises:
        RuntimeError: If ``impl='custom'``, since no custom kernels are built.
        ValueError: If ``impl`` is not one of `VALID_IMPLS`.
    """
    if impl not in VALID_IMPLS:
        raise ValueError(
            f"{op_name}: impl must be one of {', '.join(repr(v) for v in VALID_IMPLS)}, "
            f"got {impl!r}.")
    if impl == "custom":
        raise RuntimeError(
            f"{op_name}: custom C++/CUDA kernels are not available in this build of "
            "tfgan_fs; use impl='ref' or impl='auto' (pure TensorFlow reference).")
    return "ref"
