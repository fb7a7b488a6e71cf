"""tfgan_fs: a TensorFlow 2 / Keras 3 toolkit for training GANs when data is scarce.

The package is organised by job (see README.md, "Layout"):
``ops`` (resampling and activation kernels), ``layers`` and ``networks`` (architecture),
``losses`` (pure loss math), ``methods`` (what is optimised), ``training`` (when and how),
``data`` (tf.data pipelines and the dataset tool).
"""

import os
import sys

# Keras 3 picks its backend when it is first imported, from KERAS_BACKEND before keras.json;
# tfgan_fs is TensorFlow-only. Keras itself is imported by the modules that use it, so that the
# tools parse their flags (and answer --help) without loading TensorFlow.
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
_backend = (sys.modules["keras"].backend.backend() if "keras" in sys.modules
            else os.environ["KERAS_BACKEND"])
if _backend != "tensorflow":
    raise ImportError(
        f"tfgan_fs needs the TensorFlow backend of Keras, but KERAS_BACKEND={_backend!r}. "
        f"Unset KERAS_BACKEND or set it to 'tensorflow'.")

__version__ = "0.1.0"
