"""The registry is the only place a method name becomes code: no module outside the methods'
own (tfgan_fs/methods/) spells a method's name as a string, so nothing branches on one."""

import ast
import pathlib

from tfgan_fs.methods import BUILTIN

REPO = pathlib.Path(__file__).resolve().parents[2]


def string_constants(path):
    return [(node.lineno, node.value) for node in ast.walk(ast.parse(path.read_text()))
            if isinstance(node, ast.Constant) and isinstance(node.value, str)]


def test_no_method_name_outside_the_methods_packages():
    names = set(BUILTIN.names())
    assert names == {"stylegan2", "mixdl", "cdc", "nada", "stargan_v2"}
    methods = REPO / "tfgan_fs" / "methods"
    sources = [p for p in (REPO / "tfgan_fs").rglob("*.py") if methods not in p.parents]
    sources += sorted((REPO / "tools").glob("*.py"))
    assert len(sources) > 100
    found = [f"{p.relative_to(REPO)}:{line}: {value!r}" for p in sources
             for line, value in string_constants(p) if value in names]
    assert not found, "\n".join(found)
