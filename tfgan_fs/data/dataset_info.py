"""What a training dataset is (`DatasetInfo`) and the `dataset.json` of converted datasets.

A dataset written by `tools/dataset_tool.py` is a directory of TFRecord shards plus a
`dataset.json`::

    {"format": "tfgan_fs-tfrecord-v1", "resolution": 64, "channels": 3, "count": 5000,
     "num_classes": 0, "class_names": null, "label_counts": null,
     "shards": ["shard-00000-of-00005.tfrecord", ...], "encoding": "png",
     "images_per_shard": 1024}

`images_per_shard` is optional when reading (it lets the pipeline skip shards that lie wholly
beyond `max_images`). The dataset's name is the directory's base name, so it is not stored.
"""

import dataclasses
import json
import os

FORMAT = "tfgan_fs-tfrecord-v1"
METADATA_FILENAME = "dataset.json"
ENCODINGS = ("png", "raw")


class DatasetError(ValueError):
    """A dataset (or a request for one) is invalid; the message names the file or flag at fault."""


def is_power_of_two(value):
    """Whether `value` is an int (not a bool) that is a positive power of two."""
    return (isinstance(value, int) and not isinstance(value, bool) and value > 0
            and value & (value - 1) == 0)


@dataclasses.dataclass(frozen=True)
class DatasetInfo:
    """Static description of a training dataset.

    Attributes:
        name: Short name, used in run directory names (e.g. 'shapes32', 'ffhq256').
        resolution: Height and width of every image (a power of two).
        channels: 1 (grayscale) or 3 (RGB).
        count: Number of images.
        num_classes: Number of classes; 0 means unlabeled.
        class_names: One name per class, or None when unlabeled.
        label_counts: Number of images of each class, or None when unlabeled.
    """

    name: str
    resolution: int
    channels: int
    count: int
    num_classes: int = 0
    class_names: tuple = None
    label_counts: tuple = None

    def __post_init__(self):
        if not is_power_of_two(self.resolution):
            raise DatasetError(f"resolution must be a power of two, got {self.resolution!r}")
        if self.channels not in (1, 3):
            raise DatasetError(f"channels must be 1 or 3, got {self.channels!r}")
        if not isinstance(self.count, int) or self.count < 1:
            raise DatasetError(f"count must be a positive integer, got {self.count!r}")
        if not isinstance(self.num_classes, int) or self.num_classes < 0:
            raise DatasetError(f"num_classes must be a non-negative integer, "
                               f"got {self.num_classes!r}")
        for field in ("class_names", "label_counts"):
            value = getattr(self, field)
            if value is None:
                if self.num_classes:
                    raise DatasetError(f"{field} is required when num_classes > 0")
                continue
            value = tuple(value)
            object.__setattr__(self, field, value)  # Accept lists; store tuples.
            if len(value) != self.num_classes:
                raise DatasetError(f"{field} has {len(value)} entries but num_classes is "
                                   f"{self.num_classes}")
        if self.label_counts is not None and sum(self.label_counts) != self.count:
            raise DatasetError(f"label_counts sum to {sum(self.label_counts)} but count is "
                               f"{self.count}")

    @property
    def shape(self):
        """Image shape [resolution, resolution, channels]."""
        return (self.resolution, self.resolution, self.channels)

    @property
    def labeled(self):
        """Whether the dataset has class labels."""
        return self.num_classes > 0


@dataclasses.dataclass(frozen=True)
class TFRecordLayout:
    """The contents of a converted dataset's `dataset.json`.

    Attributes:
        info: The dataset's `DatasetInfo`.
        shards: Shard file names, relative to the dataset directory, in index order.
        encoding: 'png' or 'raw' (uint8 HWC bytes).
        images_per_shard: Records per shard (the last may hold fewer), or None if unknown.
    """

    info: DatasetInfo
    shards: tuple
    encoding: str
    images_per_shard: int = None


def write_dataset_json(directory, layout):
    """Writes `layout` as `directory/dataset.json`.

    Args:
        directory: The dataset directory.
        layout: A `TFRecordLayout`.
    """
    info = layout.info
    meta = {
        "format": FORMAT,
        "resolution": info.resolution,
        "channels": info.channels,
        "count": info.count,
        "num_classes": info.num_classes,
        "class_names": list(info.class_names) if info.class_names is not None else None,
        "label_counts": list(info.label_counts) if info.label_counts is not None else None,
        "shards": list(layout.shards),
        "encoding": layout.encoding,
        "images_per_shard": layout.images_per_shard,
    }
    with open(os.path.join(directory, METADATA_FILENAME), "w", encoding="utf-8") as f:
        json.dump(meta, f, indent=1)
        f.write("\n")


def has_tfrecord_metadata(directory):
    """Whether `directory` holds a `dataset.json` that claims to be a converted dataset.

    A `dataset.json` in the NVlabs format (only a "labels" key) does not count.
    """
    path = os.path.join(directory, METADATA_FILENAME)
    if not os.path.isfile(path):
        return False
    try:
        with open(path, encoding="utf-8") as f:
            meta = json.load(f)
    except (OSError, ValueError):
        return False
    return isinstance(meta, dict) and "format" in meta


def read_dataset_json(directory):
    """Reads and validates `directory/dataset.json`.

    Args:
        directory: The dataset directory; its base name becomes `info.name`.

    Returns:
        A `TFRecordLayout`.

    Raises:
        DatasetError: The file is missing, not JSON, or has a missing/invalid field; the message
            names the file and the field.
    """
    path = os.path.join(directory, METADATA_FILENAME)
    try:
        with open(path, encoding="utf-8") as f:
            meta = json.load(f)
    except FileNotFoundError:
        raise DatasetError(f"{path}: file not found (not a dataset made by "
                           f"tools/dataset_tool.py?)") from None
    except (OSError, ValueError) as e:
        raise DatasetError(f"{path}: cannot read as JSON: {e}") from None
    if not isinstance(meta, dict):
        raise DatasetError(f"{path}: expected a JSON object, got {type(meta).__name__}")

    def field(key, check, what):
        if key not in meta:
            raise DatasetError(f"{path}: missing key {key!r}")
        value = meta[key]
        if not check(value):
            raise DatasetError(f"{path}: {key!r} must be {what}, got {value!r}")
        return value

    def is_int(v):
        return isinstance(v, int) and not isinstance(v, bool)

    field("format", lambda v: v == FORMAT, repr(FORMAT))
    resolution = field("resolution", is_power_of_two, "a power-of-two integer")
    channels = field("channels", lambda v: v in (1, 3) and is_int(v), "1 or 3")
    count = field("count", lambda v: is_int(v) and v > 0, "a positive integer")
    num_classes = field("num_classes", lambda v: is_int(v) and v >= 0,
                        "a non-negative integer")
    class_names = field(
        "class_names",
        lambda v: v is None or (isinstance(v, list) and all(isinstance(x, str) for x in v)),
        "null or a list of strings")
    label_counts = field(
        "label_counts",
        lambda v: v is None or (isinstance(v, list) and all(is_int(x) and x >= 0 for x in v)),
        "null or a list of non-negative integers")
    shards = field(
        "shards",
        lambda v: isinstance(v, list) and v and all(
            isinstance(x, str) and x and os.path.basename(x) == x for x in v),
        "a non-empty list of file names")
    encoding = field("encoding", lambda v: v in ENCODINGS, f"one of {ENCODINGS}")
    images_per_shard = meta.get("images_per_shard")
    if images_per_shard is not None and not (is_int(images_per_shard) and images_per_shard > 0):
        raise DatasetError(f"{path}: 'images_per_shard' must be null or a positive integer, "
                           f"got {images_per_shard!r}")
    name = os.path.basename(os.path.normpath(os.path.abspath(directory)))
    try:
        info = DatasetInfo(name=name, resolution=resolution, channels=channels, count=count,
                           num_classes=num_classes,
                           class_names=tuple(class_names) if class_names is not None else None,
                           label_counts=(tuple(label_counts) if label_counts is not None
                                         else None))
    except DatasetError as e:
        raise DatasetError(f"{path}: {e}") from None
    return TFRecordLayout(info=info, shards=tuple(shards), encoding=encoding,
                          images_per_shard=images_per_shard)
