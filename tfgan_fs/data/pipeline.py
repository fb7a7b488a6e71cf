"""`open_dataset`: turns a dataset spec string into `TrainingData`.

Accepted specs:
    builtin:NAME[?key=value&...]  a procedural dataset generated in memory (see `builtin`).
    DIR with a tfgan_fs dataset.json  a dataset converted by tools/dataset_tool.py.
    DIR of images                 a plain image folder (see `image_folder`).

The returned object's `make_dataset` builds the training stream; see `training_data` for the
determinism and resume guarantees.
"""

import os

from tfgan_fs.data import builtin
from tfgan_fs.data.dataset_info import DatasetError
from tfgan_fs.data.dataset_info import has_tfrecord_metadata
from tfgan_fs.data.image_folder import ImageFolderData
from tfgan_fs.data.tfrecord_data import TFRecordData
from tfgan_fs.data.training_data import TrainingData

ACCEPTED = (f"'{builtin.PREFIX}NAME[?key=value&...]' (available: "
            f"{', '.join(builtin.BUILTIN_NAMES)}), a directory made by tools/dataset_tool.py, "
            f"or a directory of images")


def open_dataset(spec):
    """Opens a training dataset.

    Args:
        spec: 'builtin:NAME[?...]', a converted dataset directory, or an image folder.

    Returns:
        A `TrainingData` (`ArrayData`, `TFRecordData` or `ImageFolderData`).

    Raises:
        DatasetError: The spec names nothing usable; the message lists the accepted kinds.
    """
    if not isinstance(spec, str) or not spec:
        raise DatasetError(f"dataset spec must be a non-empty string, got {spec!r}; expected "
                           f"{ACCEPTED}")
    if spec.startswith(builtin.PREFIX):
        return builtin.open_builtin(spec)
    if os.path.isdir(spec):
        if has_tfrecord_metadata(spec):
            return TFRecordData(spec)
        return ImageFolderData(spec)
    if os.path.exists(spec):
        hint = (" (convert archives with tools/dataset_tool.py)"
                if spec.lower().endswith(".zip") else "")
        raise DatasetError(f"cannot open dataset {spec!r}: not a directory{hint}; expected "
                           f"{ACCEPTED}")
    raise DatasetError(f"cannot open dataset {spec!r}: no such directory; expected {ACCEPTED}")


__all__ = ["open_dataset", "TrainingData", "DatasetError"]
