"""Every tool's --help lists every flag the tool reads, its own and those of shared modules.

The expected flags come from the code, not from a list kept here: the flags that exist once the
tool's module has run (everything outside absl's and TensorFlow's own modules, which --helpfull
lists), plus every `FLAGS.name` / `FLAGS["name"]` the tool's source reads.
"""

import ast
import json
import os
import pathlib
import re
import subprocess
import sys

import pytest
from absl import flags

REPO = pathlib.Path(__file__).resolve().parents[2]
TOOLS = sorted((REPO / "tools").glob("*.py"))
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}

# Runs the tool's module body (its flag definitions and imports) but not main(), and prints
# {name: has a default} for the flags then defined, except absl's and TensorFlow's own (logging,
# pdb, profiling, TPU tracing: those are --helpfull's).
DEFINED_FLAGS = """
import json, runpy, sys
from absl import flags
runpy.run_path(sys.argv[1], run_name="tool_under_test")
print(json.dumps({flag.name: flag.default is not None
                  for module, defined in flags.FLAGS.flags_by_module_dict().items()
                  if not module.startswith(("absl.", "tensorflow."))
                  for flag in defined}))
"""


def run(args):
    return subprocess.run([sys.executable] + args, cwd=REPO, env=ENV, capture_output=True,
                          text=True, timeout=120)


def flags_read_in_source(path):
    """Names in `FLAGS.name`, `flags.FLAGS.name` and `FLAGS["name"]` (methods excluded)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        on_flags = (isinstance(node, (ast.Attribute, ast.Subscript))
                    and ast.unparse(node.value) in ("FLAGS", "flags.FLAGS"))
        if on_flags and isinstance(node, ast.Attribute):
            if not hasattr(flags.FlagValues, node.attr):
                names.add(node.attr)
        elif on_flags and isinstance(node.slice, ast.Constant):
            names.add(node.slice.value)
    return names


def test_source_scan_finds_reads():
    # Guards the scanner itself: generate.py reads --class by subscript (a keyword in Python).
    names = flags_read_in_source(REPO / "tools" / "generate.py")
    assert {"class", "network", "seeds", "batch"} <= names
    assert "get_key_flags_for_module" not in flags_read_in_source(REPO / "tools" / "benchmark.py")


def help_entries(help_text):
    """{name: the flag's text} from absl's --help: each entry starts with "  --name: text"
    ("--[no]name" for booleans) and its continuation lines are indented further."""
    pattern = r"^  --(?:\[no\])?(\w+):(.*(?:\n    .*)*)"
    return dict(re.findall(pattern, help_text, re.MULTILINE))


@pytest.mark.parametrize("tool", TOOLS, ids=[t.stem for t in TOOLS])
def test_help_lists_every_flag_the_tool_reads(tool):
    defined = run(["-c", DEFINED_FLAGS, str(tool)])
    assert defined.returncode == 0, defined.stderr
    has_default = json.loads(defined.stdout)
    expected = set(has_default) | flags_read_in_source(tool)
    usage = run([str(tool), "--help"])  # absl prints the usage to stdout and exits with 1
    assert usage.returncode == 1 and "Try --helpfull" in usage.stdout, usage.stderr
    entries = help_entries(usage.stdout)
    assert has_default and expected <= set(entries), (
        f"missing from --help: {sorted(expected - set(entries))}")
    for name in expected:
        text = entries[name]
        assert text.split("(default:")[0].strip(), f"--{name} has no description"
        if has_default.get(name):
            assert "(default: " in text, f"--{name} does not show its default"
