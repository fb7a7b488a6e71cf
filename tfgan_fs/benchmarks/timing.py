"""Wall-clock timing of TensorFlow calls after a warm-up."""

import time


def seconds_per_call(fn, warmup, iters):
    """Seconds per call of ``fn(i)`` averaged over `iters` calls, after `warmup` untimed calls.

    `fn` must return something with ``.numpy()`` (a tensor) or a nest of tensors whose first
    element does; calling ``.numpy()`` waits for the device, so asynchronous GPU work is counted.
    """
    def call(i):
        out = fn(i)
        while isinstance(out, (list, tuple)):
            out = out[0]
        if hasattr(out, "numpy"):
            out.numpy()

    for i in range(warmup):
        call(i)
    start = time.perf_counter()
    for i in range(iters):
        call(warmup + i)
    return (time.perf_counter() - start) / iters
