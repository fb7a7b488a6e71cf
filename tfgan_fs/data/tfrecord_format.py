"""The record format of converted datasets: one `tf.train.Example` per image.

Features:
    image: bytes; a PNG (encoding 'png') or the raw uint8 HWC pixels (encoding 'raw').
    label: int64; the class index, or -1 when the dataset is unlabeled.
    index: int64; the image's position in the dataset (0 .. count-1).

Shards hold consecutive indices: shard i holds indices [i * images_per_shard, ...).
"""

import io

import numpy as np
import PIL.Image
import tensorflow as tf

FEATURES = {
    "image": tf.io.FixedLenFeature([], tf.string),
    "label": tf.io.FixedLenFeature([], tf.int64),
    "index": tf.io.FixedLenFeature([], tf.int64),
}
PNG_COMPRESS_LEVEL = 1  # Fast to write and to decode; PNGs stay lossless whatever the level.


def shard_name(shard, num_shards):
    """The file name of shard `shard` of `num_shards`, e.g. 'shard-00000-of-00004.tfrecord'."""
    return f"shard-{shard:05d}-of-{num_shards:05d}.tfrecord"


def encode_image(array, encoding):
    """Encodes a uint8 [H, W, C] array (C = 1 or 3) as record bytes.

    Args:
        array: The image.
        encoding: 'png' or 'raw'.

    Returns:
        bytes.
    """
    array = np.ascontiguousarray(array, dtype=np.uint8)
    if encoding == "raw":
        return array.tobytes()
    mode = {1: "L", 3: "RGB"}[array.shape[2]]
    buf = io.BytesIO()
    PIL.Image.fromarray(array[:, :, 0] if mode == "L" else array, mode).save(
        buf, format="png", compress_level=PNG_COMPRESS_LEVEL)
    return buf.getvalue()


def make_example(image_bytes, label, index):
    """Serializes one record.

    Args:
        image_bytes: From `encode_image`.
        label: Class index, or -1.
        index: Position in the dataset.

    Returns:
        The serialized `tf.train.Example`.
    """
    feature = {
        "image": tf.train.Feature(bytes_list=tf.train.BytesList(value=[image_bytes])),
        "label": tf.train.Feature(int64_list=tf.train.Int64List(value=[int(label)])),
        "index": tf.train.Feature(int64_list=tf.train.Int64List(value=[int(index)])),
    }
    return tf.train.Example(features=tf.train.Features(feature=feature)).SerializeToString()


def parse_record(serialized):
    """Parses a serialized record into a dict of `image` (string), `label` and `index` tensors."""
    return tf.io.parse_single_example(serialized, FEATURES)


def parse_index(serialized):
    """Parses only the `index` feature of a serialized record (int64 scalar)."""
    return tf.io.parse_single_example(serialized, {"index": FEATURES["index"]})["index"]


def decode_image(image_bytes, encoding, shape):
    """Decodes record image bytes to a uint8 tensor of static `shape` [H, W, C].

    Args:
        image_bytes: A scalar string tensor.
        encoding: 'png' or 'raw'.
        shape: (H, W, C).

    Returns:
        uint8 tensor [H, W, C].
    """
    if encoding == "raw":
        image = tf.reshape(tf.io.decode_raw(image_bytes, tf.uint8), shape)
    else:
        image = tf.io.decode_png(image_bytes, channels=shape[2], dtype=tf.uint8)
    return tf.ensure_shape(image, shape)
