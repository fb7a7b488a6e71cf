"""The exported generator: a `tf.Module` with the serving signatures of a Generator.

Signatures (inputs -> outputs; `c` only for conditional generators):
    serving_default: z [N, z_dim] float32, truncation_psi [] float32, c [N, c_dim] float32
                     -> images [N, H, W, C] uint8, images_float [N, H, W, C] float32 in [-1, 1]
    from_seeds:      seeds [N] int64, truncation_psi, c -> images, images_float
                     (z drawn from each seed as in `tfgan_fs.export.latents`)
    mapping:         z, truncation_psi, c -> ws [N, num_ws, w_dim] float32
    synthesis:       ws -> images, images_float

Noise is always the generator's constant noise (`noise_mode='const'`), so an input always
gives the same image. Every input is checked in the graph (see `validation`).
"""

import types

import keras
import tensorflow as tf

from tfgan_fs.export.latents import seed_latents
from tfgan_fs.images import to_uint8_tensor
from tfgan_fs.export.validation import checked_batch, checked_finite_scalar

SIGNATURE_NAMES = ("serving_default", "from_seeds", "mapping", "synthesis")


def servable_variables(network):
    """The tf.Variables of a network (Keras model or tf.Module), for an export module to track.

    An export module tracks these instead of the network, for two reasons:
    - A tracked `keras.Variable` is saved as a copy of the tf.Variable it wraps
      (`keras.Variable._export_to_saved_model_graph`), and the checkpoint restores the copy
      while the signatures read the original. `tf.saved_model.load` binds them, but loaders that
      run the SavedModel's restore op in a session (TF Serving, `saved_model_cli run`) leave
      the original uninitialised: "Could not find variable ..." at the first request
      (keras-team/keras#19274, tensorflow/tensorflow#72963).
    - Saving a tracked Keras model traces its default signature, call(inputs), which fails
      for two-input calls such as G(x, s).
    """
    return [v.value if isinstance(v, keras.Variable) else v for v in network.variables]


class GeneratorExport(tf.Module):
    """Wraps a Generator for `tf.saved_model.save`; `signatures()` gives the serving functions.

    Args:
        G: The generator (built, with weights; see `build_export_generator`).
        max_batch: Largest batch any signature accepts.
        force_fp32: Compute every layer in float32 (ignore the float16 top layers of G).
    """

    def __init__(self, G, max_batch=64, force_fp32=False):
        super().__init__(name="generator_export")
        if int(max_batch) < 1:
            raise ValueError(f"max_batch must be >= 1, got {max_batch}")
        self._nets = types.SimpleNamespace(G=G)  # not tracked: see servable_variables
        self.G_variables = servable_variables(G)
        self._max_batch = int(max_batch)
        self._force_fp32 = bool(force_fp32)
        # Saved with the model, for readers such as tools/generate.py.
        self.max_batch = tf.Variable(self._max_batch, dtype=tf.int64, trainable=False,
                                     name="max_batch")

    @property
    def G(self):
        return self._nets.G

    # Graph pieces shared by the signatures.

    def _z(self, z):
        return checked_batch(z, "z", [self.G.z_dim], self._max_batch)

    def _c(self, c, batch_like):
        if not self.G.c_dim:
            return None
        return checked_batch(c, "c", [self.G.c_dim], self._max_batch, batch_like=batch_like)

    def _ws(self, z, c, truncation_psi):
        psi = checked_finite_scalar(truncation_psi, "truncation_psi")
        # psi = 1 skips the lerp, as G does for a Python 1, so that ws are bit-identical.
        return tf.cond(tf.equal(psi, 1.0), lambda: self.G.mapping(z, c),
                       lambda: self.G.mapping(z, c, truncation_psi=psi))

    def _images(self, ws):
        img = self.G.synthesis(ws, noise_mode="const", force_fp32=self._force_fp32)
        img = tf.cast(img, tf.float32)
        return {"images": to_uint8_tensor(img), "images_float": tf.identity(img)}

    def _generate(self, z, c, truncation_psi):
        z = self._z(z)
        return self._images(self._ws(z, self._c(c, (z, "z")), truncation_psi))

    def _from_seeds(self, seeds, c, truncation_psi):
        seeds = checked_batch(seeds, "seeds", [], self._max_batch)
        z = seed_latents(seeds, self.G.z_dim)
        return self._images(self._ws(z, self._c(c, (seeds, "seeds")), truncation_psi))

    def _mapping(self, z, c, truncation_psi):
        z = self._z(z)
        ws = self._ws(z, self._c(c, (z, "z")), truncation_psi)
        return {"ws": tf.cast(ws, tf.float32)}

    def _synthesis(self, ws):
        ws = checked_batch(ws, "ws", [self.G.num_ws, self.G.w_dim], self._max_batch)
        return self._images(ws)

    # Signatures.

    def signatures(self):
        """Returns {name: concrete function} for `tf.saved_model.save(signatures=...)`."""
        G = self.G
        z = tf.TensorSpec([None, G.z_dim], tf.float32, name="z")
        psi = tf.TensorSpec([], tf.float32, name="truncation_psi")
        seeds = tf.TensorSpec([None], tf.int64, name="seeds")
        ws = tf.TensorSpec([None, G.num_ws, G.w_dim], tf.float32, name="ws")
        if G.c_dim:
            c = tf.TensorSpec([None, G.c_dim], tf.float32, name="c")
            fns = {
                "serving_default": (lambda z, truncation_psi, c:
                                    self._generate(z, c, truncation_psi), [z, psi, c]),
                "from_seeds": (lambda seeds, truncation_psi, c:
                               self._from_seeds(seeds, c, truncation_psi), [seeds, psi, c]),
                "mapping": (lambda z, truncation_psi, c:
                            self._mapping(z, c, truncation_psi), [z, psi, c]),
            }
        else:
            fns = {
                "serving_default": (lambda z, truncation_psi:
                                    self._generate(z, None, truncation_psi), [z, psi]),
                "from_seeds": (lambda seeds, truncation_psi:
                               self._from_seeds(seeds, None, truncation_psi), [seeds, psi]),
                "mapping": (lambda z, truncation_psi:
                            self._mapping(z, None, truncation_psi), [z, psi]),
            }
        fns["synthesis"] = (lambda ws: self._synthesis(ws), [ws])
        signatures = {}
        for name, (fn, spec) in fns.items():
            fn.__name__ = name  # names the graph functions (and error messages) readably
            signatures[name] = tf.function(fn, input_signature=spec, autograph=False)
            signatures[name] = signatures[name].get_concrete_function()
        return signatures
