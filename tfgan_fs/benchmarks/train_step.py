"""``--op=train``: the real StyleGAN2(-ADA) training step, as the reference times it.

The workload is one iteration of NVlabs/stylegan2-ada-pytorch `training_loop.py`: every
minibatch runs G main and D main, path-length regularisation (G reg) every 4 and lazy R1
(D reg) every 16 minibatches, then the G_ema update, on a global batch of `--batch` real images
from `builtin:shapes` at `--res`, through the same `Trainer` that `tools/train.py` uses (data
pipeline, distribution strategy, augmentation at a fixed `--p`). Timing starts after `--warmup`
minibatches (the first one traces every phase); the timed window is `--iters` rounded up to a
whole number of 16-minibatch cycles, so the lazy regularisers count at their true rate.

`--method=mixdl|cdc` times the few-shot methods' steps instead (MixDL's mixup steps every 2,
CDC's anchor steps every 4 and its distance term on every G step; CDC starts from a fresh
StyleGAN2 network of the same settings, saved to a temporary checkpoint as its source).

`--method=stargan_v2` times one StarGAN v2 iteration (clovaai/stargan-v2 `solver.train`: D
latent- and reference-guided, G latent- and reference-guided, the EMA update) with the
reference's networks at img_size `--res` (style 64, latent 16, mapping width 512, max 512
channels, w_hpf 0 as for AFHQ), `--batch` sources with same-domain reference pairs from the four
`builtin:shapes` classes. Every iteration runs every phase, so the timed window is `--iters`.
"""

import resource
import tempfile
import time

import tensorflow as tf

from tfgan_fs.data import open_dataset
from tfgan_fs.ops import custom_ops_available
from tfgan_fs.training import options as options_lib
from tfgan_fs.training.loop import Trainer
from tfgan_fs.training.stats import StatsAccumulator
from tfgan_fs.training.strategy import make_strategy

CYCLE = 16  # minibatches after which every phase has run a whole number of times


def _peak_memory_gb():
    """Peak host RSS and peak accelerator memory (GiB) of this process so far."""
    host = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2 ** 20
    gpus = tf.config.list_logical_devices("GPU")
    device = max((tf.config.experimental.get_memory_info(g.name)["peak"] for g in gpus),
                 default=0) / 2 ** 30
    return host, device


def build_trainer(settings, impl, run_dir, strategy):
    """A Trainer for the benchmark workload (no files are written by the steps)."""
    has_gpu = bool(tf.config.list_logical_devices("GPU"))
    spec = f"builtin:shapes?resolution={settings.res}&count=256"
    data = open_dataset(spec)
    if settings.method == "stargan_v2":
        args = {"data": spec, "method": "stargan_v2", "batch": settings.batch, "seed": 0,
                "w_hpf": 0.0}
        options = options_lib.build_options(args, data.info, strategy.num_replicas_in_sync)
        trainer = Trainer(options, run_dir, data, strategy=strategy, jit_compile=settings.xla,
                          log=lambda *a, **k: None)
        return trainer, options
    args = {"data": spec, "cfg": settings.cfg, "batch": settings.batch,
            "aug": settings.aug, "p": settings.p if settings.aug in ("ada", "fixed") else None,
            "augpipe": settings.augpipe if settings.aug in ("ada", "fixed") else None,
            "fp32": True if settings.fp32 else None, "seed": 0, "impl": impl}
    if settings.reg_type == "ggdr":
        args.update(reg_type="ggdr", ggdr_res=settings.ggdr_res or max(8, min(settings.res // 4, 64)))
    replicas = strategy.num_replicas_in_sync
    init_from = None
    if settings.method == "cdc":  # a source network of the same architecture
        source = options_lib.build_options(args, data.info, replicas, has_gpu)
        source_dir = f"{run_dir}/source"
        Trainer(source, source_dir, data, strategy=strategy, log=lambda *a, **k: None).state.save(
            f"{source_dir}/checkpoints")
        init_from = f"{source_dir}/checkpoints"
    args.update(method=settings.method, init_from=init_from)
    options = options_lib.build_options(args, data.info, replicas, has_gpu)
    if settings.xla:
        options_lib.check_xla(options)
    trainer = Trainer(options, run_dir, data, strategy=strategy, jit_compile=settings.xla,
                      init_from=init_from, log=lambda *a, **k: None)
    return trainer, options


def run(settings):
    """One row per `settings.impl` with sec_per_iter, img_per_sec, sec_per_kimg and peak
    memory (the peak is of the whole process so far)."""
    strategy = make_strategy(settings.strategy)
    rows = []
    for impl in (["n/a"] if settings.method == "stargan_v2" else settings.impl):
        if impl == "custom" and not custom_ops_available()["loaded"]:
            rows.append({"op": "train", "impl": impl, "skipped": "custom ops not built "
                         "(python tools/build_ops.py)"})
            continue
        rows.append(_measure(settings, impl, strategy))
    return rows


def _measure(settings, impl, strategy):
    with tempfile.TemporaryDirectory() as run_dir:
        trainer, options = build_trainer(settings, impl, run_dir, strategy)
        batches = trainer.make_batches()
        stats = StatsAccumulator()

        def steps(n):
            for _ in range(n):
                trainer.train_step(next(batches), stats)
            stats.means()  # waits for the device

        start = time.perf_counter()
        steps(max(settings.warmup, 1))
        warmup_sec = time.perf_counter() - start
        cycle = 1 if options.method is None else CYCLE  # StarGAN v2: all phases every step
        cycles = -(-settings.iters // cycle)
        start = time.perf_counter()
        steps(cycle * cycles)
        sec_per_iter = (time.perf_counter() - start) / (cycle * cycles)
    host_gb, device_gb = _peak_memory_gb()
    gpus = tf.config.list_logical_devices("GPU")
    if options.method is None:
        return {"op": "train", "method": options.method_name, "res": settings.res,
                "batch": options.batch_size, "replicas": options.num_replicas,
                "xla": settings.xla, "strategy": settings.strategy, "iters": cycle * cycles,
                "warmup_sec": warmup_sec, "sec_per_iter": sec_per_iter,
                "img_per_sec": options.batch_size / sec_per_iter,
                "peak_host_mem_gb": host_gb, "peak_device_mem_gb": device_gb,
                "device": f"{len(gpus)} GPU" if gpus else "CPU"}
    return {
        "op": "train", "impl": impl, "cfg": options.cfg, "res": settings.res,
        "batch": options.batch_size,
        "replicas": options.num_replicas, "aug": settings.aug, "augpipe": settings.augpipe,
        "p": settings.p, "fp16_res": options.method.G_kwargs["synthesis_kwargs"]["num_fp16_res"],
        "xla": settings.xla, "strategy": settings.strategy,
        "method": options.method_name, "reg_type": options.method.reg_type,
        "ggdr_res": options.method.ggdr_res[0] if options.method.reg_type == "ggdr" else None,
        "iters": CYCLE * cycles, "warmup_sec": warmup_sec,
        "sec_per_iter": sec_per_iter, "img_per_sec": options.batch_size / sec_per_iter,
        "sec_per_kimg": sec_per_iter / options.batch_size * 1000,
        "peak_host_mem_gb": host_gb, "peak_device_mem_gb": device_gb,
        "device": f"{len(gpus)} GPU" if gpus else "CPU",
    }
