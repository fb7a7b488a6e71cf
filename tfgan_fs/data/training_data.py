"""`TrainingData`: the deterministic, exactly resumable stream of training images.

The stream is an infinite sequence of positions p = 0, 1, 2, ... over the first `max_images`
images (N of them). Position p lies in epoch e = p // N; every epoch visits each image exactly
once, in an order drawn from (seed, e) only. With `mirror=True` position p is also x-flipped with
probability 1/2, by a bit drawn from (seed, e) and p % N. The stream is therefore a pure function
of (seed, mirror, max_images), and `start_image=k` skips its first k positions exactly: the skip
starts at epoch k // N and drops k % N items *before* they are decoded.

Subclasses supply the per-epoch order of undecoded items (`_epoch_items`, by default a stateless
permutation of the indices 0..N-1) and how to decode one item (`_decode_item`).
"""

import abc

import numpy as np
import tensorflow as tf

from tfgan_fs.data.dataset_info import DatasetError

_ORDER_TAG = 0x6F72646572  # 'order': seeds of the per-epoch visiting order.
_MIRROR_TAG = 0x6D6972726F72  # 'mirror': seeds of the per-epoch flip bits.


def epoch_seed(seed, tag, epoch):
    """The `[2]` int64 stateless seed for stream `tag` in `epoch` (a scalar int64 tensor)."""
    base = tf.constant([seed, 0], dtype=tf.int64)
    base = tf.random.experimental.stateless_fold_in(base, tf.constant(tag, tf.int64))
    return tf.random.experimental.stateless_fold_in(base, tf.cast(epoch, tf.int64))


def permuted_indices(seed, n):
    """A stateless random permutation of the int64 range [0, n) for the `[2]` seed `seed`."""
    return tf.random.experimental.stateless_shuffle(tf.range(n, dtype=tf.int64), seed=seed)


def _is_int(value):
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


class TrainingData(abc.ABC):
    """A training dataset: its `info` and an input pipeline over it.

    Attributes:
        info: The dataset's `DatasetInfo`.
    """

    def __init__(self, info):
        self.info = info

    # -- Subclass hooks -----------------------------------------------------------------------

    def _epoch_items(self, seed, num_images):
        """The undecoded items of one epoch, in visiting order (exactly `num_images` of them).

        Args:
            seed: `[2]` int64 seed tensor of this epoch's order.
            num_images: N; only images with index < N take part.

        Returns:
            A `tf.data.Dataset` of items that `_decode_item` accepts. The default is the
            indices 0..N-1 in a stateless random permutation.
        """
        return tf.data.Dataset.from_tensor_slices(permuted_indices(seed, num_images))

    def _ordered_items(self, num_images):
        """The undecoded items of the first `num_images` images in dataset order."""
        return tf.data.Dataset.range(num_images)

    @abc.abstractmethod
    def _decode_item(self, item):
        """Maps one item to (uint8 image [H, W, C] with static shape, int64 label scalar)."""

    @abc.abstractmethod
    def _read_labels(self, n):
        """int64 numpy labels [n] of the first `n` images in dataset order (-1 if unlabeled)."""

    @abc.abstractmethod
    def _read_images(self, n, start):
        """(uint8 numpy [n, H, W, C], int64 numpy [n]) of images start..start+n-1."""

    # -- Public API ---------------------------------------------------------------------------

    def num_images(self, max_images=None):
        """Validates `max_images` and returns how many images the stream uses.

        Args:
            max_images: None (all images) or 1 <= max_images <= count.

        Returns:
            int.

        Raises:
            DatasetError: `max_images` is out of range.
        """
        if max_images is None:
            return self.info.count
        if not _is_int(max_images) or not 1 <= max_images <= self.info.count:
            raise DatasetError(f"--max_images={max_images} must be between 1 and the "
                               f"{self.info.count} images of dataset {self.info.name}")
        return int(max_images)

    def make_dataset(self, batch_size, *, seed=0, mirror=False, use_labels=False,
                     max_images=None, start_image=0, num_parallel_calls=None, shard=None):
        """Builds the infinite, batched, prefetched training stream.

        Args:
            batch_size: Images per batch (batches are complete: drop_remainder=True).
            seed: Integer seed of the visiting order and the flip bits.
            mirror: x-flip each position with probability 1/2 (like NVlabs' --mirror, which
                doubles the dataset with flipped copies).
            use_labels: Yield one-hot labels; needs a labeled dataset.
            max_images: Use only the first `max_images` images in dataset order.
            start_image: Skip this many positions of the stream (resume after that many images
                were consumed). Cheap for index-addressable data; a TFRecord dataset reads (but
                does not decode) up to one epoch of records.
            num_parallel_calls: Parallelism of decoding (None: tf.data.AUTOTUNE). The output
                order is deterministic regardless.
            shard: None, or (pipeline_id, num_pipelines, num_replicas) of a tf.distribute
                input pipeline: the stream then yields per-replica batches of
                batch_size / num_replicas images, only those of this pipeline's replicas
                (replicas [id * k, (id + 1) * k) with k = num_replicas / num_pipelines), replica
                by replica for each global batch. Replica r gets rows
                [r * batch_size / num_replicas, (r + 1) * ...) of the unsharded global batch;
                only those rows are decoded.

        Returns:
            A `tf.data.Dataset` of (images uint8 [B, H, W, C], labels float32 [B, num_classes]
            one-hot if `use_labels` else [B, 0]), B = batch_size, or the per-replica batch size
            with `shard`.

        Raises:
            DatasetError: Bad argument, or `use_labels` on an unlabeled dataset.
        """
        n = self.num_images(max_images)
        if not _is_int(batch_size) or batch_size < 1:
            raise DatasetError(f"batch_size must be a positive integer, got {batch_size!r}")
        if not _is_int(start_image) or start_image < 0:
            raise DatasetError(f"start_image must be a non-negative integer, "
                               f"got {start_image!r}")
        if not _is_int(seed):
            raise DatasetError(f"seed must be an integer, got {seed!r}")
        if use_labels and not self.info.labeled:
            raise DatasetError(f"--cond needs labels, but dataset {self.info.name} has none "
                               f"(convert it with tools/dataset_tool.py --labels=json or "
                               f"--labels=folders)")
        parallel = tf.data.AUTOTUNE if num_parallel_calls is None else num_parallel_calls
        num_classes = self.info.num_classes
        seed, batch_size, start_image = int(seed), int(batch_size), int(start_image)
        start_epoch, offset = divmod(start_image, n)

        def epoch_stream(epoch):
            items = self._epoch_items(epoch_seed(seed, _ORDER_TAG, epoch), n)
            if not mirror:
                return items
            flips = tf.random.stateless_uniform(
                [n], seed=epoch_seed(seed, _MIRROR_TAG, epoch)) < 0.5
            return tf.data.Dataset.zip((items, tf.data.Dataset.from_tensor_slices(flips)))

        def load(item, flip=None):
            image, label = self._decode_item(item)
            if flip is not None:
                image = tf.cond(flip, lambda: tf.reverse(image, axis=[1]), lambda: image)
            if use_labels:
                label = tf.one_hot(label, num_classes, dtype=tf.float32)
            else:
                label = tf.zeros([0], tf.float32)
            return image, label

        ds = tf.data.Dataset.counter(start_epoch).flat_map(epoch_stream)
        if offset:
            ds = ds.skip(offset)
        out_batch = batch_size
        if shard is not None:
            ds, out_batch = _shard_rows(ds, batch_size, *shard)
        ds = ds.map(load, num_parallel_calls=parallel, deterministic=True)
        ds = ds.batch(out_batch, drop_remainder=True)
        return ds.prefetch(tf.data.AUTOTUNE)

    def ordered_dataset(self, batch_size, max_images=None, num_parallel_calls=None):
        """The first `max_images` images once, in dataset order (for metrics statistics).

        Returns:
            A finite `tf.data.Dataset` of (images uint8 [<= batch_size, H, W, C], labels int64
            [<= batch_size], -1 when unlabeled); the last batch may be smaller.
        """
        n = self.num_images(max_images)
        if not _is_int(batch_size) or batch_size < 1:
            raise DatasetError(f"batch_size must be a positive integer, got {batch_size!r}")
        parallel = tf.data.AUTOTUNE if num_parallel_calls is None else num_parallel_calls
        ds = self._ordered_items(n).map(self._decode_item, num_parallel_calls=parallel,
                                        deterministic=True)
        return ds.batch(int(batch_size)).prefetch(tf.data.AUTOTUNE)

    def label_distribution(self, max_images=None):
        """Class frequencies of the first `max_images` images (to sample generator labels).

        Args:
            max_images: As in `make_dataset`.

        Returns:
            float32 numpy [num_classes] summing to 1 ([0] for an unlabeled dataset).
        """
        n = self.num_images(max_images)
        if not self.info.labeled:
            return np.zeros([0], np.float32)
        counts = np.bincount(self._read_labels(n), minlength=self.info.num_classes)
        return (counts / n).astype(np.float32)

    def load_images(self, n, start=0):
        """Reads images in dataset order (no shuffling, no mirroring).

        Args:
            n: How many.
            start: Index of the first.

        Returns:
            (images uint8 numpy [n, H, W, C], labels int64 numpy [n], -1 when unlabeled).

        Raises:
            DatasetError: The range is not within the dataset.
        """
        if not (_is_int(n) and _is_int(start) and n >= 0 and start >= 0
                and start + n <= self.info.count):
            raise DatasetError(f"cannot load images [{start}, {start}+{n}) of dataset "
                               f"{self.info.name}, which has {self.info.count}")
        if n == 0:
            return (np.zeros((0,) + self.info.shape, np.uint8), np.zeros([0], np.int64))
        return self._read_images(int(n), int(start))


def _shard_rows(items, batch_size, pipeline_id, num_pipelines, num_replicas):
    """Keeps the rows of each global batch that belong to one input pipeline's replicas.

    Returns the (undecoded) item stream of those rows and the per-replica batch size.
    """
    if num_replicas < 1 or num_pipelines < 1 or num_replicas % num_pipelines:
        raise DatasetError(f"{num_replicas} replicas cannot be split over {num_pipelines} "
                           "input pipelines")
    if not 0 <= pipeline_id < num_pipelines:
        raise DatasetError(f"input pipeline id {pipeline_id} not in [0, {num_pipelines})")
    if batch_size % num_replicas:
        raise DatasetError(f"global batch {batch_size} is not divisible by {num_replicas} "
                           "replicas")
    per_replica = batch_size // num_replicas
    rows = per_replica * (num_replicas // num_pipelines)
    first = pipeline_id * rows
    ds = items.batch(batch_size, drop_remainder=True)
    ds = ds.map(lambda *x: tf.nest.map_structure(lambda t: t[first:first + rows], x))
    ds = ds.unbatch()
    return ds, per_replica
