"""``--op=train``: the real StyleGAN2(-ADA) training step, as the reference times it.

The workload is one iteration of NVlabs/stylegan2-ada-pytorch `training_loop.py`: every
minibatch runs G main and D main, path-length regularisation (G reg) every 4 and lazy R1
(D reg) every 16 minibatches, then the G_ema update, on a global batch of `--batch` real images
from `builtin:shapes` at `--res`, through the same `Trainer` that `tools/train.py` uses (data
pipeline, distribution strategy, augmentation at a fixed `--p`). Timing starts after `--warmup`
minibatches (the first one traces every phase); the timed window is `--iters` rounded up to a
whole number of 16-minibatch cycles, so the lazy regularisers count at their true rate.

`--method=NAME` times any registered method that trains on data, through its spec: the
benchmark's flags that the method reads (--cfg, --aug, --p, --augpipe, --fp32, --impl,
--reg_type, --ggdr_res) resolve as train.py resolves them (MixDL's mixup steps every 2, CDC's
anchor steps every 4 and its distance term on every G step; CDC starts from a fresh network of
the same settings, saved to a temporary checkpoint as its source).

`--method=stargan_v2` times one StarGAN v2 iteration (clovaai/stargan-v2 `solver.train`: D
latent- and reference-guided, G latent- and reference-guided, the EMA update) with the
reference's networks at img_size `--res` (style 64, latent 16, mapping width 512, max 512
channels, w_hpf 0 as for AFHQ), `--batch` sources with same-domain reference pairs from the four
`builtin:shapes` classes. Every iteration runs every phase, so the timed window is `--iters`.
"""

import math
import resource
import tempfile
import time

import tensorflow as tf

from tfgan_fs.methods.registry import BUILTIN
from tfgan_fs.methods.spec import ResolveEnv
from tfgan_fs.ops import custom_ops_available
from tfgan_fs.training.loop import Trainer
from tfgan_fs.training.stats import StatsAccumulator
from tfgan_fs.training.strategy import make_strategy


def _peak_memory_gb():
    """Peak host RSS and peak accelerator memory (GiB) of this process so far."""
    host = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2 ** 20
    gpus = tf.config.list_logical_devices("GPU")
    device = max((tf.config.experimental.get_memory_info(g.name)["peak"] for g in gpus),
                 default=0) / 2 ** 30
    return host, device


def benchmark_args(settings, impl, spec):
    """The train.py flags of the workload that `spec`'s method reads."""
    augments = settings.aug in ("ada", "fixed")
    candidates = {
        "data": f"builtin:shapes?resolution={settings.res}&count=256",
        "batch": settings.batch, "seed": 0, "cfg": settings.cfg, "aug": settings.aug,
        "p": settings.p if augments else None,
        "augpipe": settings.augpipe if augments else None,
        "fp32": True if settings.fp32 else None, "impl": impl,
        "w_hpf": 0.0,  # StarGAN v2 as for AFHQ: no FAN
    }
    if settings.reg_type == "ggdr":
        candidates.update(reg_type="ggdr",
                          ggdr_res=settings.ggdr_res or max(8, min(settings.res // 4, 64)))
    return {k: v for k, v in candidates.items() if k in spec.flag_names()}


def build_trainer(settings, impl, run_dir, strategy, registry=BUILTIN):
    """A Trainer for the benchmark workload (no files are written by the steps). A method that
    adapts a pretrained network starts from a fresh network of the same settings (saved to a
    temporary checkpoint)."""
    spec = registry.get(settings.method)
    if not spec.reads_data:
        raise ValueError(f"--op=train times methods that train on data; --method={spec.name} "
                         "has a workload of its own (--op)")
    args = benchmark_args(settings, impl, spec)
    data = spec.open_data(args["data"])
    env = ResolveEnv(info=data.info, num_replicas=strategy.num_replicas_in_sync,
                     has_gpu=bool(tf.config.list_logical_devices("GPU")),
                     init_from=spec.requires_init_from)
    options = spec.resolve(args, env)
    if settings.xla:
        spec.check_xla(options)
    quiet = dict(strategy=strategy, jit_compile=settings.xla, log=lambda *a, **k: None,
                 registry=registry)
    init_from = None
    if spec.requires_init_from:
        init_from = f"{run_dir}/source/checkpoints"
        Trainer(options, f"{run_dir}/source", data, **quiet).state.save(init_from)
    return Trainer(options, run_dir, data, init_from=init_from, **quiet), options


def run(settings):
    """One row per `settings.impl` (one row where the method has no op implementations) with
    sec_per_iter, img_per_sec, sec_per_kimg and peak memory (of the whole process so far)."""
    strategy = make_strategy(settings.strategy)
    spec = BUILTIN.get(settings.method)
    rows = []
    for impl in (settings.impl if "impl" in spec.flag_names() else ["n/a"]):
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
        # Every phase runs a whole number of times in a cycle (16 minibatches with R1 every 16).
        cycle = math.lcm(*(phase.interval for phase, _ in trainer.phase_steps))
        iters = cycle * -(-settings.iters // cycle)
        start = time.perf_counter()
        steps(iters)
        sec_per_iter = (time.perf_counter() - start) / iters
    host_gb, device_gb = _peak_memory_gb()
    gpus = tf.config.list_logical_devices("GPU")
    spec = trainer.spec
    return {
        "op": "train", "method": spec.name, "impl": impl, "res": settings.res,
        "batch": options.batch_size, "replicas": options.num_replicas, **spec.describe(options),
        "xla": settings.xla, "strategy": settings.strategy, "iters": iters,
        "warmup_sec": warmup_sec, "sec_per_iter": sec_per_iter,
        "img_per_sec": options.batch_size / sec_per_iter,
        "sec_per_kimg": sec_per_iter / options.batch_size * 1000,
        "peak_host_mem_gb": host_gb, "peak_device_mem_gb": device_gb,
        "device": f"{len(gpus)} GPU" if gpus else "CPU",
    }
