"""`ArrayData`: training data held in memory as a uint8 array (e.g. the built-in datasets)."""

import numpy as np
import tensorflow as tf

from tfgan_fs.data.dataset_info import DatasetError
from tfgan_fs.data.training_data import TrainingData


class ArrayData(TrainingData):
    """Images and labels in memory.

    Args:
        info: The `DatasetInfo`; its count, resolution and channels must match `images`.
        images: uint8 [N, H, W, C].
        labels: int [N] class indices, or None when unlabeled.
    """

    def __init__(self, info, images, labels=None):
        super().__init__(info)
        images = np.asarray(images)
        if images.dtype != np.uint8 or images.shape != (info.count,) + info.shape:
            raise DatasetError(f"images must be uint8 {(info.count,) + info.shape}, got "
                               f"{images.dtype} {images.shape}")
        if labels is None:
            labels = np.full([info.count], -1, np.int64)
        labels = np.asarray(labels, np.int64)
        if labels.shape != (info.count,):
            raise DatasetError(f"labels must have shape ({info.count},), got {labels.shape}")
        self._images = images
        self._labels = labels
        with tf.device("/cpu:0"):  # The input pipeline runs on the host.
            self._images_t = tf.constant(images)
            self._labels_t = tf.constant(labels)

    def _decode_item(self, item):
        image = tf.ensure_shape(tf.gather(self._images_t, item), self.info.shape)
        return image, tf.gather(self._labels_t, item)

    def _read_labels(self, n):
        return self._labels[:n].copy()

    def _read_images(self, n, start):
        return self._images[start:start + n].copy(), self._labels[start:start + n].copy()
