"""``--op=data``: drawing the built-in procedural datasets (``builtin:shapes``,
``builtin:faces``), which every quickstart and demo run pays for at start-up."""

import time

from tfgan_fs.data import open_dataset

SPECS = ("builtin:shapes", "builtin:faces")


def run(settings):
    """One row per built-in dataset: seconds to open it (draw every image) at its defaults;
    `settings.iters` timed openings after `settings.warmup` untimed ones (each opening draws
    the images again: nothing is cached between calls)."""
    rows = []
    for spec in SPECS:
        for _ in range(settings.warmup):
            open_dataset(spec)
        start = time.perf_counter()
        for _ in range(settings.iters):
            info = open_dataset(spec).info
        sec = (time.perf_counter() - start) / settings.iters
        rows.append({"op": "data", "spec": spec, "images": info.count,
                     "resolution": info.resolution, "sec_per_open": sec,
                     "img_per_sec": info.count / sec})
    return rows
