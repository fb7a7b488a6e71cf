"""Training data: the dataset tool, built-in datasets and deterministic tf.data pipelines.

Modules:
    dataset_info: `DatasetInfo`, `DatasetError` and the converted datasets' `dataset.json`.
    dataset_tool: `convert_dataset` (folder/zip of images -> TFRecord shards).
    builtin: procedural datasets (`builtin:shapes`).
    image_folder: training straight from a folder of images.
    tfrecord_data: training from a converted dataset.
    training_data: `TrainingData`, the deterministic, exactly resumable stream.
    pipeline: `open_dataset(spec)`.
"""

from tfgan_fs.data.dataset_info import DatasetError
from tfgan_fs.data.dataset_info import DatasetInfo
from tfgan_fs.data.dataset_tool import convert_dataset
from tfgan_fs.data.pipeline import open_dataset
from tfgan_fs.data.training_data import TrainingData

__all__ = ["DatasetError", "DatasetInfo", "TrainingData", "convert_dataset", "open_dataset"]
