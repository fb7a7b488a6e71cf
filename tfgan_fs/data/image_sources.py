"""Raw image sources: a directory tree or a .zip of image files, plus its NVlabs `dataset.json`.

Images are found recursively by extension (case-insensitive, `IMAGE_EXTENSIONS`) and listed by
their path relative to the source root with '/' separators, sorted as strings, so a folder and a
zip of that folder list the same names in the same order.
"""

import io
import json
import os
import zipfile

import PIL.Image

from tfgan_fs.data.dataset_info import DatasetError

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".webp")
LABELS_FILENAME = "dataset.json"


def is_image_name(name):
    """Whether a file name has one of the `IMAGE_EXTENSIONS`."""
    return os.path.splitext(name)[1].lower() in IMAGE_EXTENSIONS


class FolderSource:
    """Images under a directory (recursively).

    Args:
        root: The directory.
    """

    def __init__(self, root):
        self.root = root
        names = []
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames.sort()
            rel = os.path.relpath(dirpath, root)
            for filename in filenames:
                if is_image_name(filename):
                    path = filename if rel == "." else os.path.join(rel, filename)
                    names.append(path.replace(os.sep, "/"))
        self.names = sorted(names)

    def describe(self, name):
        """The path of image `name` for messages."""
        return os.path.join(self.root, *name.split("/"))

    def read(self, name):
        """The bytes of file `name` (relative, '/'-separated)."""
        with open(self.describe(name), "rb") as f:
            return f.read()

    def read_labels_file(self):
        """The parsed root `dataset.json` (NVlabs format), or None if there is none."""
        path = os.path.join(self.root, LABELS_FILENAME)
        if not os.path.isfile(path):
            return None
        with open(path, "rb") as f:
            return parse_nvlabs_labels(f.read(), path)

    def close(self):
        """Releases resources (nothing for a folder)."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class ZipSource:
    """Images inside a .zip archive.

    Args:
        path: The archive.
    """

    def __init__(self, path):
        self.path = path
        try:
            self._zip = zipfile.ZipFile(path, "r")
        except (OSError, zipfile.BadZipFile) as e:
            raise DatasetError(f"--source {path}: cannot open as a zip archive: {e}") from None
        self._members = set(self._zip.namelist())
        self.names = sorted(n for n in self._members if not n.endswith("/") and is_image_name(n))

    def describe(self, name):
        """The archive path and member name of image `name` for messages."""
        return f"{self.path}:{name}"

    def read(self, name):
        """The bytes of member `name`."""
        return self._zip.read(name)

    def read_labels_file(self):
        """The parsed root `dataset.json` (NVlabs format), or None if there is none."""
        if LABELS_FILENAME not in self._members:
            return None
        return parse_nvlabs_labels(self._zip.read(LABELS_FILENAME),
                                   self.describe(LABELS_FILENAME))

    def close(self):
        """Closes the archive."""
        self._zip.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def open_image_source(path):
    """Opens a directory or .zip of images.

    Args:
        path: A directory, or a file ending in .zip.

    Returns:
        A `FolderSource` or `ZipSource` (both usable as context managers).

    Raises:
        DatasetError: `path` does not exist or is neither a directory nor a .zip file.
    """
    if os.path.isdir(path):
        return FolderSource(path)
    if os.path.isfile(path):
        if path.lower().endswith(".zip"):
            return ZipSource(path)
        raise DatasetError(f"--source {path}: expected a directory or a .zip file")
    raise DatasetError(f"--source {path}: no such file or directory")


def parse_nvlabs_labels(data, where):
    """Parses an NVlabs-style `dataset.json`: `{"labels": [["rel/path.png", int], ...] | null}`.

    Args:
        data: The file's bytes.
        where: The file's path, for messages.

    Returns:
        A dict from relative image name to int label, or None when "labels" is null.

    Raises:
        DatasetError: The file is not valid JSON, has no "labels" key, or an entry is not a
            [name, non-negative int] pair.
    """
    try:
        meta = json.loads(data)
    except ValueError as e:
        raise DatasetError(f"{where}: cannot parse as JSON: {e}") from None
    if not isinstance(meta, dict) or "labels" not in meta:
        raise DatasetError(f'{where}: expected an object with a "labels" key')
    entries = meta["labels"]
    if entries is None:
        return None
    if not isinstance(entries, list):
        raise DatasetError(f'{where}: "labels" must be a list of [path, label] pairs or null')
    labels = {}
    for entry in entries:
        ok = (isinstance(entry, (list, tuple)) and len(entry) == 2 and isinstance(entry[0], str)
              and isinstance(entry[1], int) and not isinstance(entry[1], bool) and entry[1] >= 0)
        if not ok:
            raise DatasetError(f"{where}: bad label entry {entry!r}; expected "
                               f'["relative/path.png", non-negative integer]')
        labels[entry[0].replace("\\", "/")] = entry[1]
    return labels


def json_class_labels(names, mapping, where):
    """Integer labels of `names` from a `parse_nvlabs_labels` mapping.

    Args:
        names: Relative image names.
        mapping: Name -> int label.
        where: The labels file, for messages.

    Returns:
        (labels, class_names): a list of ints parallel to `names`, and the class names
        ('0', '1', ..., str(max label)).

    Raises:
        DatasetError: An image has no label; the message names the image and the file.
    """
    labels = []
    for name in names:
        if name not in mapping:
            raise DatasetError(f"image {name} has no label in {where} (label every image, or "
                               f"use --labels=none)")
        labels.append(mapping[name])
    num_classes = max(labels) + 1 if labels else 0
    return labels, tuple(str(i) for i in range(num_classes))


def folder_class_labels(names, where):
    """Integer labels of `names` from their first-level folder (classes sorted by name).

    Args:
        names: Relative '/'-separated image names.
        where: The source, for messages.

    Returns:
        (labels, class_names) as in `json_class_labels`.

    Raises:
        DatasetError: An image lies directly in the source root (no class folder).
    """
    folders = []
    for name in names:
        if "/" not in name:
            raise DatasetError(f"image {name} in {where} is not inside a class folder "
                               f"(--labels=folders needs SOURCE/CLASS/.../IMAGE)")
        folders.append(name.split("/", 1)[0])
    class_names = tuple(sorted(set(folders)))
    index = {c: i for i, c in enumerate(class_names)}
    return [index[f] for f in folders], class_names


def load_bytes_image(data):
    """Opens image bytes with PIL and decodes them fully (so corrupt files fail here).

    Args:
        data: Encoded image bytes.

    Returns:
        A loaded `PIL.Image.Image`.

    Raises:
        Exception: Whatever PIL raises for unreadable data (callers wrap it).
    """
    image = PIL.Image.open(io.BytesIO(data))
    image.load()
    return image
