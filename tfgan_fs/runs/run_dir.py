"""Numbered run directories (`00012-<desc>`) and the log file that mirrors the console."""

import pathlib
import re
import sys

_RUN_ID = re.compile(r"^(\d+)-")


def create_run_dir(outdir, desc):
    """Creates `outdir/NNNNN-desc` with the next free number and returns it."""
    outdir = pathlib.Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    ids = [int(m.group(1)) for p in outdir.iterdir() if (m := _RUN_ID.match(p.name))]
    run_id = max(ids, default=-1) + 1
    while True:
        run_dir = outdir / f"{run_id:05d}-{desc}"
        try:
            run_dir.mkdir()
            return run_dir
        except FileExistsError:  # another process took this number
            run_id += 1


class Tee:
    """Copies everything written to stdout and stderr into a log file (append mode).

    Use as a context manager; the original streams are restored on exit.
    """

    def __init__(self, path):
        self._file = open(path, "a", encoding="utf-8")
        self._streams = None

    def __enter__(self):
        self._streams = (sys.stdout, sys.stderr)
        sys.stdout = _TeeStream(sys.stdout, self._file)
        sys.stderr = _TeeStream(sys.stderr, self._file)
        return self

    def __exit__(self, *exc):
        sys.stdout, sys.stderr = self._streams
        self._file.close()


class _TeeStream:
    def __init__(self, stream, file):
        self._stream = stream
        self._file = file

    def write(self, text):
        self._stream.write(text)
        self._file.write(text)
        self._file.flush()
        return len(text)

    def flush(self):
        self._stream.flush()
        self._file.flush()

    def isatty(self):
        return self._stream.isatty()

    def fileno(self):
        return self._stream.fileno()
