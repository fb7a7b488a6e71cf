"""``--op=upfirdn2d`` and ``--op=bias_act``: the custom kernels against the reference.

Shapes are those of a StyleGAN2 generator (skip) and discriminator (resnet) at ``--res`` and
``--batch`` with the paper256/auto channel counts (min(16384 / res, 512)), at the top two
resolutions, where the time goes. Each row times one shape and implementation, forward only
and forward + backward, in float16 on a GPU (as training runs the top resolutions) and float32
on a CPU. ``--xla`` adds the reference compiled with XLA (the custom ops have no XLA kernel).
"""

import math

import tensorflow as tf

from tfgan_fs import ops
from tfgan_fs.benchmarks.timing import seconds_per_call

FILTER = (1, 3, 3, 1)


def _channels(res, channel_base=16384, channel_max=512):
    return min(channel_base // res, channel_max)


def upfirdn2d_shapes(res, batch):
    """(name, input shape, upfirdn2d kwargs) of the FIR steps of G and D at res and res/2."""
    shapes = []
    for r in (res, res // 2):
        c = _channels(r)
        # G conv0: stride-2 transposed 3x3 conv (2r+1 pixels), then the pad-only FIR (gain 4).
        shapes.append((f"G{r} conv0 up: FIR 4x4 after transposed conv", [batch, 2 * r + 1,
                       2 * r + 1, c], dict(padding=1, gain=4.0)))
        # D conv1: pad-only FIR before the stride-2 3x3 conv.
        shapes.append((f"D{r} conv1 down: FIR 4x4 before strided conv", [batch, r, r, c],
                       dict(padding=[2, 2, 2, 2])))
        # D skip: 1x1 conv with downsampling = downsample2d first.
        shapes.append((f"D{r} skip: down 2", [batch, r, r, c], dict(down=2, padding=1)))
    shapes.append((f"G{res} img: up 2", [batch, res // 2, res // 2, 3],
                   dict(up=2, padding=[2, 1, 2, 1], gain=4.0)))
    return shapes


def bias_act_shapes(res, batch):
    """(name, input shape, bias_act kwargs) of the conv layers of G and D at res and res/2."""
    shapes = []
    for r in (res, res // 2):
        c = _channels(r)
        shapes.append((f"G/D{r} conv: lrelu, clamp 256", [batch, r, r, c],
                       dict(act="lrelu", clamp=256.0)))
    shapes.append(("mapping fc: lrelu", [batch, 512], dict(act="lrelu")))
    return shapes


def _variants(settings):
    impls = list(settings.impl)
    variants = [(impl, False) for impl in impls]
    if settings.xla and "ref" in impls:
        variants.insert(impls.index("ref") + 1, ("ref", True))
    return variants


def _measure(fn, x, xla, settings):
    """(ms forward, ms forward + backward) of fn(x)."""
    forward = tf.function(fn, jit_compile=xla or None)

    def fwd_bwd(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = fn(x)
        return tape.gradient(y, x, output_gradients=tf.ones_like(y)), y  # y: keep the forward

    backward = tf.function(fwd_bwd, jit_compile=xla or None)
    ms_fwd = seconds_per_call(lambda i: forward(x), settings.warmup, settings.iters) * 1000
    ms_grad = seconds_per_call(lambda i: backward(x), settings.warmup, settings.iters) * 1000
    return ms_fwd, ms_grad


def _run(op_name, shapes, call, settings):
    tf.get_logger().setLevel("ERROR")  # one tf.function per row: retracing warnings are expected
    gpu = bool(tf.config.list_physical_devices("GPU"))
    dtype = tf.float16 if gpu else tf.float32
    rows = []
    for name, shape, kwargs in shapes:
        x = tf.random.normal(shape, dtype=dtype)
        for impl, xla in _variants(settings):
            fn = call(kwargs, impl, shape)
            ms_fwd, ms_grad = _measure(fn, x, xla, settings)
            rows.append({"op": op_name, "shape_name": name, "shape": shape,
                         "dtype": dtype.name, "impl": impl + ("+xla" if xla else ""),
                         "ms_per_call": round(ms_fwd, 3), "ms_per_call_fwd_bwd": round(ms_grad, 3),
                         "device": "GPU" if gpu else "CPU"})
    return rows


def run_upfirdn2d(settings):
    """Rows: ms per upfirdn2d call at the StyleGAN2 FIR shapes, per implementation."""
    f = ops.setup_filter(FILTER)

    def call(kwargs, impl, shape):
        return lambda x: ops.upfirdn2d(x, f, impl=impl, **kwargs)

    return _run("upfirdn2d", upfirdn2d_shapes(settings.res, settings.batch), call, settings)


def run_bias_act(settings):
    """Rows: ms per bias_act call at the StyleGAN2 layer shapes, per implementation."""

    def call(kwargs, impl, shape):
        b = tf.random.normal([shape[-1]])
        return lambda x: ops.bias_act(x, tf.cast(b, x.dtype), gain=math.sqrt(2), impl=impl,
                                      **kwargs)

    return _run("bias_act", bias_act_shapes(settings.res, settings.batch), call, settings)
