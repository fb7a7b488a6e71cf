"""`--flagfile=NAME.flags` resolution: the working directory first, then the repo's configs/."""

import os
import pathlib


class FlagfileError(ValueError):
    """A --flagfile argument names a file that exists neither here nor in configs/."""


def resolve_flagfile_args(argv, configs_dir):
    """Rewrites `--flagfile=NAME` arguments so that configs/NAME is found from anywhere.

    A path that exists relative to the working directory is kept; otherwise
    `configs_dir/NAME` is used if it exists. Both `--flagfile=X` and `--flagfile X` forms are
    handled.

    Args:
        argv: Command-line arguments (argv[0] is the program).
        configs_dir: Directory holding the shipped flagfiles.

    Returns:
        A new argv list.

    Raises:
        FlagfileError: if a flagfile is in neither place.
    """
    configs_dir = pathlib.Path(configs_dir)
    out = []
    args = list(argv)
    i = 0
    while i < len(args):
        arg = args[i]
        value = None
        if arg.startswith("--flagfile="):
            value = arg.split("=", 1)[1]
        elif arg == "--flagfile" and i + 1 < len(args):
            value = args[i + 1]
            i += 1
        if value is None:
            out.append(arg)
        else:
            out.append("--flagfile=" + _resolve(value, configs_dir))
        i += 1
    return out


def _resolve(value, configs_dir):
    path = os.path.expanduser(value)
    if os.path.exists(path):
        return path
    shipped = configs_dir / path
    if shipped.exists():
        return str(shipped)
    available = sorted(p.name for p in configs_dir.glob("*.flags")) if configs_dir.is_dir() else []
    raise FlagfileError(f"--flagfile={value}: no such file in the working directory or in "
                        f"{configs_dir} (available: {', '.join(available) or 'none'})")
