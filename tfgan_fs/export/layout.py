"""TF Serving's directory layout: a base directory of numeric version directories.

    DIR/
      1/saved_model.pb, variables/    one export per version; TF Serving serves the newest
      2/...

Pure path logic (no TensorFlow import), so that tools can check paths before loading TF.
"""

import pathlib

SAVED_MODEL_FILE = "saved_model.pb"


def is_saved_model(path):
    """True if `path` is a directory holding a SavedModel (`saved_model.pb`)."""
    return (pathlib.Path(path) / SAVED_MODEL_FILE).is_file()


def version_dirs(base):
    """Numeric version directories of `base` that hold a SavedModel, oldest first."""
    base = pathlib.Path(base)
    if not base.is_dir():
        return []
    found = [p for p in base.iterdir() if p.name.isdigit() and is_saved_model(p)]
    return sorted(found, key=lambda p: int(p.name))


def find_saved_model(path):
    """Resolves a SavedModel directory, or a TF Serving base directory to its newest version.

    Returns:
        The directory holding `saved_model.pb`, or None if `path` is neither.
    """
    path = pathlib.Path(path)
    if is_saved_model(path):
        return path
    versions = version_dirs(path)
    return versions[-1] if versions else None
