"""`TFRecordData`: training data from a directory written by tools/dataset_tool.py.

Records cannot be read at random, so each epoch is ordered in two deterministic steps that depend
only on (seed, epoch):

1. the shards are read in a permuted order, `cycle_length` of them interleaved record by record;
2. the resulting stream is cut into consecutive windows of `shuffle_window` records and each
   window is permuted with a stateless shuffle (the window holds encoded records, not pixels).

When the used images fit in one window (`max_images` or count <= `shuffle_window`, the usual case
for few-shot data) every epoch is a uniform random permutation. Resuming with `start_image=k`
reads, without decoding, the first k % N records of the resumed epoch: up to one epoch of I/O.
"""

import math
import os

import numpy as np
import tensorflow as tf

from tfgan_fs.data import tfrecord_format
from tfgan_fs.data.dataset_info import DatasetError
from tfgan_fs.data.dataset_info import read_dataset_json
from tfgan_fs.data.training_data import TrainingData
from tfgan_fs.data.training_data import permuted_indices

DEFAULT_SHUFFLE_WINDOW = 1024
DEFAULT_CYCLE_LENGTH = 4


class TFRecordData(TrainingData):
    """A converted dataset directory.

    Args:
        directory: Holds `dataset.json` and the shards it lists.
        shuffle_window: Records permuted together (memory: that many encoded images).
        cycle_length: Shards read concurrently, interleaved record by record.

    Raises:
        DatasetError: Bad `dataset.json`, or a listed shard is missing.
    """

    def __init__(self, directory, shuffle_window=DEFAULT_SHUFFLE_WINDOW,
                 cycle_length=DEFAULT_CYCLE_LENGTH):
        layout = read_dataset_json(directory)
        super().__init__(layout.info)
        self._paths = [os.path.join(directory, s) for s in layout.shards]
        for path in self._paths:
            if not os.path.isfile(path):
                raise DatasetError(f"{path}: shard listed in "
                                   f"{os.path.join(directory, 'dataset.json')} is missing")
        self._encoding = layout.encoding
        self._images_per_shard = layout.images_per_shard
        self._shuffle_window = int(shuffle_window)
        self._cycle_length = int(cycle_length)

    def _shards_for(self, num_images):
        """Shard paths that hold the indices [0, num_images), in index order."""
        if self._images_per_shard is None:
            return self._paths
        return self._paths[:math.ceil(num_images / self._images_per_shard)]

    def _records(self, stop, start=0):
        """The serialized records with indices [start, stop), in dataset order."""
        paths, skip = self._shards_for(stop), start
        if self._images_per_shard is not None:  # Skip whole shards without reading them.
            first = start // self._images_per_shard
            paths, skip = paths[first:], start - first * self._images_per_shard
        return tf.data.TFRecordDataset(paths).skip(skip).take(stop - start)

    def _epoch_items(self, seed, num_images):
        paths = self._shards_for(num_images)
        order = permuted_indices(tf.random.experimental.stateless_fold_in(seed, 0), len(paths))
        files = tf.data.Dataset.from_tensor_slices(tf.gather(tf.constant(paths), order))
        records = files.interleave(
            tf.data.TFRecordDataset, cycle_length=min(self._cycle_length, len(paths)),
            block_length=1, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
        if num_images < self.info.count:
            records = records.filter(lambda r: tfrecord_format.parse_index(r) < num_images)
        window_seed = tf.random.experimental.stateless_fold_in(seed, 1)

        def shuffle_window(window_index, window):
            order = permuted_indices(
                tf.random.experimental.stateless_fold_in(window_seed, window_index),
                tf.shape(window, out_type=tf.int64)[0])
            return tf.gather(window, order)

        window = min(self._shuffle_window, num_images)
        return records.batch(window).enumerate().map(shuffle_window).unbatch()

    def _ordered_items(self, num_images):
        return self._records(num_images)

    def _decode_item(self, item):
        record = tfrecord_format.parse_record(item)
        image = tfrecord_format.decode_image(record["image"], self._encoding, self.info.shape)
        return image, record["label"]

    def _read_labels(self, n):
        labels = self._records(n).map(lambda r: tfrecord_format.parse_record(r)["label"])
        return np.fromiter(labels.as_numpy_iterator(), np.int64, count=n)

    def label_distribution(self, max_images=None):
        """See `TrainingData.label_distribution`; uses dataset.json's counts for all images."""
        n = self.num_images(max_images)
        if n == self.info.count and self.info.label_counts is not None:
            return (np.asarray(self.info.label_counts) / n).astype(np.float32)
        return super().label_distribution(max_images)

    def _read_images(self, n, start):
        ds = self._records(start + n, start).map(self._decode_item).batch(n)
        images, labels = next(iter(ds))
        return images.numpy(), labels.numpy()
