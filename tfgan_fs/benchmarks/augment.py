"""``--op=augment``: the ADA augmentation pipe (forward) on random images."""

import tensorflow as tf

from tfgan_fs.augment import AugmentPipe, augpipe_kwargs
from tfgan_fs.benchmarks.timing import seconds_per_call


def run(settings):
    """One row: ms per call and images per second of `AugmentPipe` at `settings.p`."""
    pipe = AugmentPipe(**augpipe_kwargs(settings.augpipe), initial_p=settings.p)
    images = tf.random.uniform([settings.batch, settings.res, settings.res, 3], -1, 1)
    fn = tf.function(lambda seed: pipe(images, seed=seed), jit_compile=settings.xla or None)
    sec = seconds_per_call(lambda i: fn(tf.constant([0, i], tf.int64)),
                           settings.warmup, settings.iters)
    return [{"op": "augment", "augpipe": settings.augpipe, "p": settings.p, "res": settings.res,
             "batch": settings.batch, "xla": settings.xla, "ms_per_call": sec * 1000,
             "img_per_sec": settings.batch / sec,
             "device": "GPU" if tf.config.list_physical_devices("GPU") else "CPU"}]
