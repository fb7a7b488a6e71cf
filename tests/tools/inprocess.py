"""Runs a tool's main() in the test process (no TensorFlow start-up per run, a few seconds
saved each time): `load_tool` runs the tool's module body once and removes its flags from
absl's FLAGS afterwards; `run_main` parses arguments and calls main, catching its exit."""

import contextlib
import runpy

from absl import flags


@contextlib.contextmanager
def load_tool(path):
    """Yields the namespace of tools/<name>.py; its flags are undefined on exit (so that another
    tool with flags of the same names can be loaded after it)."""
    before = set(flags.FLAGS)
    namespace = runpy.run_path(str(path), run_name="tool_under_test")
    try:
        yield namespace
    finally:
        flags.FLAGS.unparse_flags()
        for name in set(flags.FLAGS) - before:
            delattr(flags.FLAGS, name)


def run_main(namespace, path, args, capsys):
    """(exit status, stdout, stderr) of the tool's main with these arguments."""
    flags.FLAGS.unparse_flags()
    flags.FLAGS([str(path), *map(str, args)])
    try:
        namespace["main"]([str(path)])
        status = 0
    except SystemExit as exit_:
        status = exit_.code
    finally:
        flags.FLAGS.unparse_flags()
    captured = capsys.readouterr()
    return status, captured.out, captured.err
