"""Export of generators as SavedModels for TF Serving, and use of such exports.

`export_generator` writes G_ema of a checkpoint into TF Serving's layout
(`outdir/<version>/saved_model.pb`) with the signatures listed in `module`; the network is
rebuilt with stock TensorFlow ops only (`network.build_export_generator`).
"""

from tfgan_fs.export.latents import seed_latents
from tfgan_fs.export.layout import find_saved_model, is_saved_model, version_dirs
from tfgan_fs.export.module import SIGNATURE_NAMES, GeneratorExport
from tfgan_fs.export.network import build_export_generator
from tfgan_fs.export.reader import ExportedGenerator
from tfgan_fs.export.writer import (ExportError, check_destination, export_generator,
                                    write_saved_model)

__all__ = ["ExportError", "ExportedGenerator", "GeneratorExport", "SIGNATURE_NAMES",
           "build_export_generator", "check_destination", "export_generator",
           "find_saved_model", "is_saved_model", "seed_latents", "version_dirs",
           "write_saved_model"]
