"""Converts a folder or .zip of images into a TFRecord training dataset (`convert_dataset`).

The output directory holds TFRecord shards of `tf.train.Example`s (see `tfrecord_format`) and a
`dataset.json` (see `dataset_info`). It is written into a temporary sibling directory that is
renamed to `dest` only once everything succeeded; on any error the temporary directory is removed,
so `dest` either does not exist afterwards or is complete.
"""

import logging
import os
import shutil
import uuid

import numpy as np
import tensorflow as tf
from tqdm import tqdm

from tfgan_fs.data import image_sources
from tfgan_fs.data import tfrecord_format
from tfgan_fs.data.dataset_info import ENCODINGS
from tfgan_fs.data.dataset_info import DatasetError
from tfgan_fs.data.dataset_info import DatasetInfo
from tfgan_fs.data.dataset_info import TFRecordLayout
from tfgan_fs.data.dataset_info import is_power_of_two
from tfgan_fs.data.dataset_info import write_dataset_json
from tfgan_fs.data.transforms import RESIZE_FILTERS
from tfgan_fs.data.transforms import TRANSFORMS
from tfgan_fs.data.transforms import apply_transform

LABEL_MODES = ("auto", "json", "folders", "none")
CHANNEL_MODES = ("auto", 1, 3)
_MODE_CHANNELS = {"L": 1, "RGB": 3}
_CHANNEL_MODES = {1: "L", 3: "RGB"}


def _check_options(resolution, transform, resize_filter, labels, max_images, channels,
                   encoding, images_per_shard):
    def is_int(v):
        return isinstance(v, int) and not isinstance(v, bool)

    if resolution is not None and not (is_power_of_two(resolution) and resolution >= 4):
        raise DatasetError(f"--resolution={resolution} must be a power of two >= 4")
    if transform not in TRANSFORMS:
        raise DatasetError(f"--transform={transform} is not one of {', '.join(TRANSFORMS)}")
    if transform == "center-crop-wide" and resolution is None:
        raise DatasetError("--transform=center-crop-wide needs --resolution")
    if resize_filter not in RESIZE_FILTERS:
        raise DatasetError(f"--resize_filter={resize_filter} is not one of "
                           f"{', '.join(RESIZE_FILTERS)}")
    if labels not in LABEL_MODES:
        raise DatasetError(f"--labels={labels} is not one of {', '.join(LABEL_MODES)}")
    if max_images is not None and not (is_int(max_images) and max_images >= 1):
        raise DatasetError(f"--max_images={max_images} must be a positive integer")
    if channels not in CHANNEL_MODES or isinstance(channels, bool):
        raise DatasetError(f"--channels={channels} is not one of auto, 1, 3")
    if encoding not in ENCODINGS:
        raise DatasetError(f"--encoding={encoding} is not one of {', '.join(ENCODINGS)}")
    if not (is_int(images_per_shard) and images_per_shard >= 1):
        raise DatasetError(f"--images_per_shard={images_per_shard} must be a positive integer")


def _check_dest(dest):
    if os.path.exists(dest):
        if not os.path.isdir(dest):
            raise DatasetError(f"--dest {dest} already exists and is not a directory")
        if os.listdir(dest):
            raise DatasetError(f"--dest {dest} already exists and is not empty")


def _resolve_labels(src, names, mode, source):
    """Returns (labels or None, class_names or None) for the selected image names."""
    if mode == "none":
        return None, None
    if mode == "folders":
        return image_sources.folder_class_labels(names, source)
    mapping = src.read_labels_file()
    where = src.describe(image_sources.LABELS_FILENAME)
    if mapping is None:
        if mode == "json":
            raise DatasetError(f"--labels=json but {where} is missing or its \"labels\" is null")
        return None, None
    return image_sources.json_class_labels(names, mapping, where)


class _ChannelPolicy:
    """Checks or converts the PIL mode of each image (channels='auto', 1 or 3)."""

    def __init__(self, channels):
        self.channels = None if channels == "auto" else channels
        self.convert = channels != "auto"
        self.first = None

    def apply(self, image, where):
        if self.convert:
            mode = _CHANNEL_MODES[self.channels]
            return image if image.mode == mode else image.convert(mode)
        if self.channels is None:
            if image.mode not in _MODE_CHANNELS:
                raise DatasetError(
                    f"{where}: image mode {image.mode} is not supported with --channels=auto "
                    f"(expected L = grayscale or RGB); pass --channels=3 or --channels=1 to "
                    f"convert every image")
            self.channels, self.first = _MODE_CHANNELS[image.mode], where
        expected = _CHANNEL_MODES[self.channels]
        if image.mode != expected:
            raise DatasetError(
                f"{where}: image mode {image.mode} but expected {expected} "
                f"({self.channels} channel{'s' if self.channels > 1 else ''}, like the first "
                f"image {self.first}); pass --channels={self.channels} to convert every image")
        return image


class _ShardWriter:
    """Writes records into numbered shards under temporary names; `finish` renames them."""

    def __init__(self, directory, images_per_shard):
        self.directory = directory
        self.images_per_shard = images_per_shard
        self.count = 0
        self.paths = []
        self._writer = None

    def write(self, record):
        if self.count % self.images_per_shard == 0:
            self.close()
            path = os.path.join(self.directory, f"shard-{len(self.paths):05d}.partial")
            self.paths.append(path)
            self._writer = tf.io.TFRecordWriter(path)
        self._writer.write(record)
        self.count += 1

    def close(self):
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    def finish(self):
        """Closes the last shard and gives every shard its final name; returns the names."""
        self.close()
        names = []
        for i, path in enumerate(self.paths):
            names.append(tfrecord_format.shard_name(i, len(self.paths)))
            os.rename(path, os.path.join(self.directory, names[-1]))
        return names


def _check_size(image, where, first, transform, resolution):
    """Checks the transformed image is square, power-of-two and like the first image."""
    w, h = image.size
    if transform == "none" and resolution is not None and (w, h) != (resolution, resolution):
        raise DatasetError(f"{where}: image is {w}x{h}, not {resolution}x{resolution} "
                           f"(--transform=none does not resize; use --transform=center-crop)")
    after = "" if transform == "none" else f" after --transform={transform}"
    if w != h:
        raise DatasetError(f"{where}: image is {w}x{h}{after}, but images must be square "
                           f"(use --transform=center-crop)")
    if not is_power_of_two(w):
        raise DatasetError(f"{where}: image is {w}x{h}{after}, but the side must be a power "
                           f"of two (use --transform=center-crop --resolution=N)")
    if first is not None and first[1] != w:
        raise DatasetError(f"{where}: image is {w}x{h}{after}, but the first image {first[0]} "
                           f"is {first[1]}x{first[1]}; all images must have the same size "
                           f"(use --transform=center-crop --resolution=N)")


def _write_records(src, names, labels, out_dir, *, transform, resolution, resize_filter,
                   channels, encoding, images_per_shard, progress):
    """Converts and writes every image; returns (shard names, counts, resolution, channels)."""
    policy = _ChannelPolicy(channels)
    writer = _ShardWriter(out_dir, images_per_shard)
    first = None  # (description, side) of the first written image.
    written_labels = []
    try:
        for i in tqdm(range(len(names)), disable=not progress, unit="img", desc="converting"):
            where = src.describe(names[i])
            try:
                image = image_sources.load_bytes_image(src.read(names[i]))
            except Exception as e:  # PIL raises many types for corrupt data.
                raise DatasetError(f"{where}: cannot read image: {e}") from None
            image = policy.apply(image, where)
            image = apply_transform(image, transform, resolution, resize_filter)
            if image is None:
                continue
            _check_size(image, where, first, transform, resolution)
            if first is None:
                first = (where, image.size[0])
            array = np.asarray(image, dtype=np.uint8)
            array = array[:, :, None] if array.ndim == 2 else array
            label = -1 if labels is None else labels[i]
            writer.write(tfrecord_format.make_example(
                tfrecord_format.encode_image(array, encoding), label, writer.count))
            written_labels.append(label)
        shards = writer.finish()
    finally:
        writer.close()
    side = first[1] if first is not None else None
    return shards, written_labels, side, policy.channels


def convert_dataset(source, dest, resolution=None, transform="none", resize_filter="lanczos",
                    labels="auto", max_images=None, channels="auto", encoding="png",
                    images_per_shard=1024, progress=True):
    """Converts a folder or .zip of images into a TFRecord dataset directory.

    Args:
        source: A directory (searched recursively for .png .jpg .jpeg .bmp .webp) or a .zip of
            images. Images are taken in order of their relative path.
        dest: Output directory; must not exist or be empty. Missing parents are created.
        resolution: Output side (power of two >= 4), or None to keep the images' size.
        transform: 'none' (no resizing: images must already be square, power-of-two and, if
            given, `resolution`), 'center-crop' (centred square crop, resized to `resolution`)
            or 'center-crop-wide' (see `transforms`; drops images smaller than `resolution`).
        resize_filter: 'box' or 'lanczos'.
        labels: 'auto' (the source's NVlabs `dataset.json` labels if present, else unlabeled),
            'json' (require them), 'folders' (first-level folder name = class, classes sorted),
            or 'none'.
        max_images: Convert only the first `max_images` images.
        channels: 'auto' (every image must be L like the first, or RGB like the first), or 1 / 3
            to convert every image to grayscale / RGB.
        encoding: 'png' (lossless, small) or 'raw' (uint8 pixels; larger, cheapest to decode).
        images_per_shard: Records per TFRecord shard.
        progress: Show a tqdm progress bar.

    Returns:
        The written dataset's `DatasetInfo`.

    Raises:
        DatasetError: Bad option, missing/empty source, unreadable or mismatched image, missing
            label, or non-empty dest. Nothing is left at `dest` or in temporary directories.
    """
    _check_options(resolution, transform, resize_filter, labels, max_images, channels, encoding,
                   images_per_shard)
    dest = os.path.abspath(dest)
    _check_dest(dest)
    with image_sources.open_image_source(source) as src:
        names = src.names
        if not names:
            raise DatasetError(f"--source {source}: no images found "
                               f"({' '.join(image_sources.IMAGE_EXTENSIONS)})")
        if max_images is not None:
            names = names[:max_images]
        label_list, class_names = _resolve_labels(src, names, labels, source)

        parent = os.path.dirname(dest)
        os.makedirs(parent, exist_ok=True)
        # os.mkdir honours the umask (tempfile.mkdtemp would leave the dataset mode 0700).
        tmp_dir = os.path.join(parent, f".{os.path.basename(dest)}.partial-{uuid.uuid4().hex}")
        os.mkdir(tmp_dir)
        try:
            shards, written_labels, side, num_channels = _write_records(
                src, names, label_list, tmp_dir, transform=transform, resolution=resolution,
                resize_filter=resize_filter, channels=channels, encoding=encoding,
                images_per_shard=images_per_shard, progress=progress)
            if not written_labels:
                raise DatasetError(f"--source {source}: every image is smaller than "
                                   f"--resolution={resolution}, so --transform={transform} "
                                   f"dropped them all")
            if len(written_labels) < len(names):
                logging.getLogger(__name__).warning(
                    "--transform=%s dropped %d of %d images smaller than %dx%d",
                    transform, len(names) - len(written_labels), len(names), resolution,
                    resolution)
            label_counts = None
            if class_names is not None:
                label_counts = tuple(int(c) for c in np.bincount(
                    written_labels, minlength=len(class_names)))
            info = DatasetInfo(
                name=os.path.basename(dest), resolution=side, channels=num_channels,
                count=len(written_labels), num_classes=len(class_names or ()),
                class_names=class_names, label_counts=label_counts)
            write_dataset_json(tmp_dir, TFRecordLayout(
                info=info, shards=tuple(shards), encoding=encoding,
                images_per_shard=images_per_shard))
            try:
                os.rename(tmp_dir, dest)
            except OSError as e:
                raise DatasetError(f"--dest {dest}: cannot move the finished dataset there: "
                                   f"{e}") from None
        except BaseException:
            shutil.rmtree(tmp_dir, ignore_errors=True)
            raise
    return info
