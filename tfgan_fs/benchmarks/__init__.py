"""Workloads measured by ``tools/benchmark.py``: one module per ``--op``.

Each module exposes ``run(settings) -> list[dict]``: the rows to print, one JSON line each.
`settings` is a plain namespace of the benchmark's flags, so workloads can also be measured
from Python.
"""
