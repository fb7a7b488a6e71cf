"""On-disk cache of real-data feature statistics, keyed by everything they depend on.

Statistics of the training set only change when the dataset, the feature network or the settings
change, so they are computed once and reused: the key is a hash of the dataset's spec and
description (image count, resolution, the modification time of its files), the feature network
file (path, size, modification time) and the statistic's settings (number of images, what is
captured). Entries are written atomically.
"""

import hashlib
import json
import os
import pathlib

import numpy as np

ENV_VAR = "TFGAN_FS_CACHE"


def default_cache_dir():
    """$TFGAN_FS_CACHE, else ~/.cache/tfgan_fs/metrics."""
    return pathlib.Path(os.environ.get(ENV_VAR) or
                        pathlib.Path.home() / ".cache" / "tfgan_fs" / "metrics")


def file_fingerprint(path):
    """(absolute path, size, mtime) of a file or directory (newest entry of a directory)."""
    path = pathlib.Path(path).resolve()
    if not path.exists():
        return {"path": str(path)}
    if path.is_dir():
        entries = [p for p in path.rglob("*") if p.is_file()]
        return {"path": str(path), "files": len(entries),
                "size": sum(p.stat().st_size for p in entries),
                "mtime": max((p.stat().st_mtime for p in entries), default=0.0)}
    stat = path.stat()
    return {"path": str(path), "size": stat.st_size, "mtime": stat.st_mtime}


class StatsCache:
    """A directory of `.npz` statistics files named `<tag>-<hash of key>.npz`.

    Args:
        directory: Cache directory (created on first write); None disables caching.
    """

    def __init__(self, directory):
        self.directory = None if directory is None else pathlib.Path(directory)

    def path(self, tag, key):
        digest = hashlib.sha1(json.dumps(key, sort_keys=True, default=str).encode()).hexdigest()
        return self.directory / f"{tag}-{digest[:16]}.npz"

    def load(self, tag, key):
        """The cached arrays (dict) for `key`, or None."""
        if self.directory is None:
            return None
        path = self.path(tag, key)
        if not path.exists():
            return None
        with np.load(path) as data:
            return {name: data[name] for name in data.files}

    def save(self, tag, key, arrays):
        """Stores `arrays` (dict of numpy arrays) for `key`; returns the file path."""
        if self.directory is None:
            return None
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.path(tag, key)
        tmp = path.with_name(f".{path.stem}.tmp-{os.getpid()}.npz")
        np.savez(tmp, **arrays)
        os.replace(tmp, path)
        return path
