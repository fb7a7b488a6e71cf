"""tfgan_fs: a TensorFlow 2 / Keras 3 toolkit for training GANs when data is scarce.

The package is organised by job (see README.md, "Layout"):
``ops`` (resampling and activation kernels), ``layers`` and ``networks`` (architecture),
``losses`` (pure loss math), ``methods`` (what is optimised), ``training`` (when and how),
``data`` (tf.data pipelines and the dataset tool).
"""

import os

# Keras 3 picks its backend at import time; tfgan_fs is TensorFlow-only.
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras  # noqa: E402

if keras.backend.backend() != "tensorflow":
    raise ImportError(
        f"tfgan_fs needs the TensorFlow backend of Keras, but KERAS_BACKEND="
        f"{keras.backend.backend()!r}. Unset KERAS_BACKEND or set it to 'tensorflow'.")

__version__ = "0.1.0"
