"""How the command-line tools report a user error: one line on stderr, exit status 1."""

import sys


def fail(message):
    """Prints `error: message` to stderr and exits with status 1 (no traceback)."""
    print(f"error: {message}", file=sys.stderr)
    sys.exit(1)
