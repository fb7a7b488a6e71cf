"""Using an exported generator from Python (e.g. `tools/generate.py --network=EXPORT_DIR`)."""

import numpy as np
import tensorflow as tf

from tfgan_fs.export.layout import find_saved_model


class ExportedGenerator:
    """An exported SavedModel behind the interface the tools need.

    Args:
        path: A SavedModel directory, or a TF Serving base directory (its newest version).

    Raises:
        ValueError: if `path` holds no SavedModel or not one written by `tools/export.py`.
    """

    def __init__(self, path):
        self.path = find_saved_model(path)
        if self.path is None:
            raise ValueError(f"no SavedModel in {path} (expected saved_model.pb there or in a "
                             f"numeric version directory)")
        self.model = tf.saved_model.load(str(self.path))
        try:
            self._serve = self.model.signatures["serving_default"]
        except KeyError:
            raise ValueError(f"{self.path} is not a generator export: it has no "
                             f"serving_default signature") from None
        inputs = self._serve.structured_input_signature[1]
        if "z" not in inputs or "truncation_psi" not in inputs:
            raise ValueError(f"{self.path} is not a generator export: serving_default has "
                             f"inputs {sorted(inputs)}")
        self.z_dim = int(inputs["z"].shape[1])
        self.c_dim = int(inputs["c"].shape[1]) if "c" in inputs else 0
        max_batch = getattr(self.model, "max_batch", None)
        self.max_batch = None if max_batch is None else int(max_batch.numpy())

    def __call__(self, z, c, truncation_psi):
        """Returns uint8 images [N, H, W, C] of latents z [N, z_dim] and labels c [N, c_dim]."""
        args = dict(z=tf.constant(z, tf.float32),
                    truncation_psi=tf.constant(truncation_psi, tf.float32))
        if self.c_dim:
            args["c"] = tf.constant(c, tf.float32)
        return np.asarray(self._serve(**args)["images"])
