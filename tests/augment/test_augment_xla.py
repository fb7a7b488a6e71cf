"""Which parts of the pipe compile with XLA.

Blitting, colour, filtering, noise and cutout compile. The general geometric stage does not: the
reference pads each batch by the margin its transformed corners need, a data-dependent shape that
XLA cannot compile (padding statically by the worst case would cost ~9x the memory at 256 px).
Stateless random draws differ between XLA and the regular kernels, so only shapes and
self-consistency are compared.
"""

import numpy as np
import pytest
import tensorflow as tf

from tfgan_fs.augment import AugmentPipe, augpipe_kwargs
from tfgan_fs.augment.presets import AUGPIPE_SPECS, xla_compatible

X = tf.constant(np.random.default_rng(0).uniform(-1, 1, [4, 16, 16, 3]).astype(np.float32))


@pytest.mark.parametrize("preset", ["blit", "color", "filter", "noise", "cutout"])
def test_xla_compiles_the_non_resampling_stages(preset):
    assert xla_compatible(preset)
    pipe = AugmentPipe(**augpipe_kwargs(preset), initial_p=0.8)
    run = tf.function(lambda seed: pipe(X, seed=seed), jit_compile=True)
    a = run(tf.constant([1, 2], tf.int64)).numpy()
    b = run(tf.constant([1, 2], tf.int64)).numpy()
    c = run(tf.constant([1, 3], tf.int64)).numpy()
    assert a.shape == X.shape and np.array_equal(a, b) and not np.array_equal(a, c)
    pipe.p.assign(0.0)
    np.testing.assert_array_equal(run(tf.constant([1, 2], tf.int64)).numpy(), X.numpy())


def test_xla_rejects_the_data_dependent_geometric_padding():
    assert [name for name in AUGPIPE_SPECS if not xla_compatible(name)] == [
        "geom", "bg", "bgc", "bgcf", "bgcfn", "bgcfnc"]
    pipe = AugmentPipe(**augpipe_kwargs("geom"), initial_p=0.8)
    run = tf.function(lambda seed: pipe(X, seed=seed), jit_compile=True)
    with pytest.raises(tf.errors.InvalidArgumentError, match="compile-time constant"):
        run(tf.constant([1, 2], tf.int64))
