"""Writing an export into TF Serving's layout atomically: `outdir/<version>/saved_model.pb`."""

import os
import pathlib
import shutil

import tensorflow as tf

from tfgan_fs.export.module import GeneratorExport
from tfgan_fs.export.network import build_export_generator


class ExportError(ValueError):
    """An export cannot be written where or how it was asked for."""


def check_destination(outdir, version, overwrite=False):
    """Returns the version directory `outdir/<version>` after checking that it may be written.

    Raises:
        ExportError: on a negative version, an outdir that is a file, or an existing version
            without `overwrite`.
    """
    if int(version) < 0:
        raise ExportError(f"version must be a non-negative integer, got {version}")
    outdir = pathlib.Path(outdir)
    if outdir.exists() and not outdir.is_dir():
        raise ExportError(f"{outdir} exists and is not a directory")
    final = outdir / str(int(version))
    if final.exists() and not overwrite:
        raise ExportError(f"{final} already exists: pass --overwrite to replace it, or export "
                          f"as a new --version")
    return final


def write_saved_model(module, final):
    """Saves `module` (a GeneratorExport) to directory `final` through a temporary directory.

    TF Serving ignores non-numeric directory names, so it never sees a half-written version;
    an existing `final` is replaced only once the new export is complete.
    """
    final = pathlib.Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = final.parent / f".tmp-{final.name}-{os.getpid()}"
    stale = final.parent / f".stale-{final.name}-{os.getpid()}"
    for leftover in (tmp, stale):
        if leftover.exists():
            shutil.rmtree(leftover)
    try:
        tf.saved_model.save(module, str(tmp), signatures=module.signatures())
        if final.exists():
            os.rename(final, stale)
        os.rename(tmp, final)
    finally:
        for leftover in (tmp, stale):
            if leftover.exists():
                shutil.rmtree(leftover)
    return final


def export_generator(network, outdir, version=1, max_batch=64, force_fp32=False,
                     overwrite=False):
    """Exports G_ema of a run dir or checkpoint as `outdir/<version>` for TF Serving.

    Args:
        network: Run directory or checkpoint directory.
        outdir: TF Serving model base directory (created if needed).
        version: Version number (the name of the directory written).
        max_batch: Largest batch a request may have.
        force_fp32: Compute every layer in float32.
        overwrite: Replace an existing export of the same version.

    Returns:
        (version directory, checkpoint directory exported).

    Raises:
        ExportError: see `check_destination`; CheckpointError: `network` is not loadable.
    """
    final = check_destination(outdir, version, overwrite)
    G, ckpt = build_export_generator(network)
    module = GeneratorExport(G, max_batch=max_batch, force_fp32=force_fp32)
    return write_saved_model(module, final), ckpt
