"""The training loop: data in, phases run, EMA, ticks, snapshots, checkpoints. No loss math,
and no method by name: the method's spec builds it, the method says what happens around steps.

Follows the schedule of NVlabs/stylegan2-ada-pytorch `training_loop.py`: every step fetches one
global batch of reals and runs each phase due at the step index (`Phase.runs_at`; each phase with
its own random stream), hands its statistics to the method (`Method.observe`), then updates the
EMA networks and lets the method end the iteration (`Method.end_iteration`: ADA's p, StarGAN v2's
decay). Every `schedule.tick` (kimg or iterations) it prints a status line and writes
stats.jsonl and TensorBoard scalars; every `schedule.snap` ticks (and at the end) it writes the
method's pictures and a checkpoint.
"""

import itertools
import json
import os
import pathlib
import resource
import time

import keras
import numpy as np
import tensorflow as tf

from tfgan_fs import images as image_io
from tfgan_fs.methods.registry import BUILTIN
from tfgan_fs.metrics.detectors import Detectors, require_networks
from tfgan_fs.metrics.metric_main import MetricContext, report_metric
from tfgan_fs.metrics.stats_cache import StatsCache, default_cache_dir
from tfgan_fs.runs import checkpoints
from tfgan_fs.training.accumulation import accumulation_plan
from tfgan_fs.training.ema import make_ema_update
from tfgan_fs.training.stats import StatsAccumulator, StatsWriter
from tfgan_fs.training.step import make_phase_step
from tfgan_fs.training.strategy import is_chief


SNAPSHOT_PICTURE_SAMPLES = 8  # samples in the method's extra snapshot pictures (gfeat, ...)


class TrainingDivergedError(RuntimeError):
    """A loss became NaN/inf; the last good checkpoint is left untouched."""


def format_time(seconds):
    """'1d 02h 03m', '2h 03m 04s', '3m 04s' or '5s'."""
    s = int(np.rint(seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m {s % 60:02d}s"
    if s < 86400:
        return f"{s // 3600}h {(s // 60) % 60:02d}m {s % 60:02d}s"
    return f"{s // 86400}d {(s // 3600) % 24:02d}h {(s // 60) % 60:02d}m"


def snapshot_name(prefix, nimg, suffix, sub_kimg=False):
    """'fakes000012.png' for 12.xxx kimg (as the reference); with `sub_kimg` (snapshots less than
    1 kimg apart) the images past the last kimg are appended: 'fakes000000.120.png'."""
    name = f"{prefix}{nimg // 1000:06d}"
    if sub_kimg:
        name += f".{nimg % 1000:03d}"
    return name + suffix


def _cpu_mem_gb():
    try:
        with open("/proc/self/statm", encoding="ascii") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2 ** 30
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2 ** 20


def _gpu_peak_mem_gb():
    gpus = tf.config.list_logical_devices("GPU")
    if not gpus:
        return 0.0
    peak = max(tf.config.experimental.get_memory_info(g.name)["peak"] for g in gpus)
    for g in gpus:
        tf.config.experimental.reset_memory_stats(g.name)
    return peak / 2 ** 30


class Trainer:
    """Builds the method of `options` through its spec and trains it.

    Args:
        options: TrainingOptions.
        run_dir: Run directory (created by the caller); files are written only by the chief.
        data: TrainingData (the spec's `open_data`); None for methods that read no data.
        strategy: tf.distribute strategy (default strategy if None).
        resume: Run dir or checkpoint to continue exactly (weights, optimizers, progress).
        init_from: Run dir or checkpoint to take the starting weights from (fresh progress).
        flags_text: The effective command line as flagfile text (saved and shown in TensorBoard).
        jit_compile: Compile the phase steps with XLA.
        detectors: Feature networks for `options.metrics` (default: loaded from
            `options.metric_networks`); checked before training starts.
        log: Function used for status messages.
        registry: The method Registry that knows `options.method` (default: the built-in one).
    """

    def __init__(self, options, run_dir, data, strategy=None, resume=None, init_from=None,
                 flags_text=None, jit_compile=False, detectors=None, log=print, registry=None):
        self.options = options
        self.spec = (registry or BUILTIN).get(options.method)
        self.schedule = options.schedule
        self.run_dir = pathlib.Path(run_dir)
        self.data = data
        self.strategy = strategy or tf.distribute.get_strategy()
        self.is_chief = is_chief(self.strategy)
        self.log = log if self.is_chief else (lambda *a, **k: None)

        keras.utils.set_random_seed(options.seed)  # deterministic network initialisation
        with self.strategy.scope():
            self.method = self.spec.build(options, data, log=self.log)
            self.method.build_optimizers()
        self.progress = checkpoints.Progress()
        self.state = checkpoints.RunState(self.method, self.progress)
        self.resumed_from = None
        if resume is not None:
            self.resumed_from = self.state.restore(resume)
            self.log(f"Resumed from {self.resumed_from} at kimg "
                     f"{self.progress.nimg.numpy() / 1000:.3f}, step "
                     f"{int(self.progress.step.numpy())}")
        elif init_from is not None:
            self.method.init_from(init_from, data.info.resolution if data else None,
                                  log=self.log)

        self.phase_steps = [(phase, make_phase_step(self.method, phase, self.strategy,
                                                    jit_compile=jit_compile,
                                                    batch_size=options.batch_gpu,
                                                    rounds=options.accumulation_rounds))
                            for phase in self.method.phases()]
        self.ema_update = make_ema_update(self.method.ema_pairs, self.method.is_buffer)
        self.flags_text = flags_text
        self.metrics = self._metric_context(detectors)

        # Fixed inputs of the snapshot pictures (the same after a resume).
        self.snapshot_fixed = self.method.snapshot_inputs(data, options.seed)

    def _metric_context(self, detectors):
        """MetricContext for the snapshot metrics (None without metrics); fails fast."""
        if not self.options.metrics:
            return None
        detectors = detectors or Detectors(**self.options.metric_networks)
        require_networks(self.options.metrics, detectors)
        cache_dir = self.options.metrics_cache or default_cache_dir()
        metric_data = self.options.metric_data
        return MetricContext(data=self.data, data_spec=self.options.data, detectors=detectors,
                             strategy=self.strategy, cache=StatsCache(cache_dir),
                             max_images=self.options.max_images, seed=self.options.seed,
                             metric_data=self.spec.open_metric_data(self.options,
                                                                    self.data.info),
                             metric_data_spec=metric_data)

    def _evaluate_metrics(self, tb_writer, checkpoint):
        """Computes the snapshot metrics (`Method.calc_metrics`); logs them to metric-*.jsonl
        and TensorBoard."""
        nimg = int(self.progress.nimg.numpy())
        results = self.method.calc_metrics(self.options.metrics, self.metrics)
        for name, result in zip(self.options.metrics, results):
            if not self.is_chief:
                continue
            report_metric({**result, "kimg": nimg / 1000}, run_dir=self.run_dir,
                          network=checkpoint)
            with tb_writer.as_default(step=nimg):
                for key, value in result["results"].items():
                    tf.summary.scalar(f"Metrics/{key}", value)
            tb_writer.flush()
            self.log(f"{name}: " + ", ".join(f"{k} {v:.4g}" for k, v in
                                             result["results"].items()))

    # ---------------------------------------------------------------------------------------

    def generate_grid(self):
        """The method's main snapshot picture ('fakes') of the fixed inputs, uint8."""
        return self.method.snapshot(self.snapshot_fixed)["fakes"]

    def _check_finite(self, tick_stats):
        bad = {k: v for k, v in tick_stats.items() if k.startswith("Loss/") and
               not np.isfinite(v)}
        if not bad:
            return
        last = None
        try:
            last = checkpoints.find_checkpoint(self.run_dir)
        except checkpoints.CheckpointError:
            pass
        raise TrainingDivergedError(
            f"training diverged at kimg {self.progress.nimg.numpy() / 1000:.3f}: "
            + ", ".join(f"{k} = {v}" for k, v in sorted(bad.items()))
            + f". The last good checkpoint is {last}; resume from it with "
            f"{self.method.divergence_hint}.")

    def _check_weights_finite(self):
        for net in self.method.networks.values():
            for v in net.weights:
                if not bool(tf.reduce_all(tf.math.is_finite(v))):
                    raise TrainingDivergedError(
                        f"{v.path} contains NaN/inf at kimg "
                        f"{self.progress.nimg.numpy() / 1000:.3f}; not writing a checkpoint")

    def _snapshot(self, tb_writer):
        self._check_weights_finite()
        nimg = int(self.progress.nimg.numpy())
        if self.is_chief:
            sub_kimg = self.schedule.tick * self.schedule.snap < 1
            pictures = self.method.snapshot(self.snapshot_fixed, SNAPSHOT_PICTURE_SAMPLES)
            step = int(self.progress.step.numpy())
            with tb_writer.as_default(step=nimg):
                for name, picture in pictures.items():
                    filename = (f"{name}-iter{step:06d}.png" if self.schedule.unit == "iter"
                                else snapshot_name(name, nimg, ".png", sub_kimg))
                    image_io.save_image(picture, self.run_dir / filename)
                    tf.summary.image(name, picture[np.newaxis], max_outputs=1)
            tb_writer.flush()
        return self.state.save(self.run_dir / "checkpoints", keep=self.schedule.keep,
                               is_chief=self.is_chief)

    # ---------------------------------------------------------------------------------------

    def _write_start_files(self, tb_writer):
        """Options, flags, reals.png and fakes_init.png of a new run."""
        (self.run_dir / "training_options.json").write_text(self.options.to_json(),
                                                             encoding="utf-8")
        if self.flags_text:
            (self.run_dir / "effective.flags").write_text(self.flags_text, encoding="utf-8")
            with tb_writer.as_default(step=0):
                tf.summary.text("config/flags", "```\n" + self.flags_text + "\n```")
        if self.data is not None:
            grid_w, grid_h = self.snapshot_fixed["grid_w"], self.snapshot_fixed["grid_h"]
            reals, _ = self.data.load_images(min(grid_w * grid_h, self.data.info.count))
            image_io.save_image(image_io.make_grid(reals, grid_w), self.run_dir / "reals.png")
        image_io.save_image(self.generate_grid(), self.run_dir / "fakes_init.png")

    def _record_resume(self):
        """Appends the resumed process's replica split to resumes.jsonl (a resume may change
        --batch_gpu and the replica count, not the maths) and says what changed."""
        options_path = self.run_dir / "training_options.json"
        saved = (json.loads(options_path.read_text(encoding="utf-8"))
                 if options_path.exists() else {})
        opts = self.options
        record = {"kimg": int(self.progress.nimg.numpy()) / 1000,
                  "step": int(self.progress.step.numpy()), "checkpoint": str(self.resumed_from),
                  "num_replicas": opts.num_replicas, "batch_gpu": opts.batch_gpu,
                  "accumulation_rounds": opts.accumulation_rounds, "timestamp": time.time()}
        with open(self.run_dir / "resumes.jsonl", "a", encoding="utf-8") as f:
            f.write(json.dumps(record, sort_keys=True) + "\n")
        changed = [f"{key} {saved[key]} -> {record[key]}"
                   for key in ("num_replicas", "batch_gpu")
                   if key in saved and saved[key] != record[key]]
        if changed:
            self.log(f"Resumed with {', '.join(changed)} (the run was created with "
                     f"batch_gpu {saved.get('batch_gpu')} on {saved.get('num_replicas')} "
                     "replica(s)); recorded in resumes.jsonl")

    def make_batches(self):
        """Iterator over distributed global batches, continuing at `progress.nimg` (resume).

        Each input pipeline (one per worker) reads only its replicas' rows of every global
        batch, in the order of the single-process stream, so the replica split does not change
        which images a step sees.
        """
        opts = self.options
        if not self.method.uses_data:
            return itertools.repeat((None, None))

        def dataset_fn(context):
            return self.method.make_dataset(
                self.data, opts, int(self.progress.nimg.numpy()), num_parallel_calls=opts.workers,
                shard=(context.input_pipeline_id, context.num_input_pipelines,
                       context.num_replicas_in_sync))

        return iter(self.strategy.distribute_datasets_from_function(dataset_fn))

    def train_step(self, batch, tick_stats):
        """Runs the due phases on one global batch (a tuple from `Method.make_dataset`),
        updates the EMA networks and the counters."""
        opts = self.options
        step = int(self.progress.step.numpy())
        seed = tf.constant([opts.seed, step], tf.int64)
        for phase, step_fn in self.phase_steps:
            if phase.runs_at(step):
                stats = step_fn(*batch, seed)
                tick_stats.add(stats)
                self.method.observe(stats)
        nimg = int(self.progress.nimg.numpy())
        self.ema_update(self.method.ema_beta(opts, nimg))
        self.method.end_iteration(step, opts.batch_size)
        self.progress.nimg.assign(nimg + opts.batch_size)
        self.progress.step.assign(step + 1)
        return nimg + opts.batch_size

    def run(self):
        """Trains until `schedule.total`; returns a summary dict."""
        opts, schedule = self.options, self.schedule
        start_time = time.time()
        tb_writer = stats_writer = None
        if self.is_chief:
            tb_writer = tf.summary.create_file_writer(str(self.run_dir))
            stats_writer = StatsWriter(self.run_dir / "stats.jsonl", tb_writer)
            if self.resumed_from is None:
                self._write_start_files(tb_writer)
            else:
                self._record_resume()

        batches = self.make_batches()
        if opts.accumulation_rounds > 1:
            self.log("\n".join(accumulation_plan(self.method, opts)))
        self.log(f"Training for {schedule.total:g} {schedule.unit} "
                 f"(batch {opts.batch_size}, {self.strategy.num_replicas_in_sync} replica(s), "
                 f"phases {', '.join(p.name for p, _ in self.phase_steps)})...")

        def progress(nimg):  # in images (kimg runs) or iterations
            return schedule.progress(nimg, int(self.progress.step.numpy()))

        total = schedule.count(schedule.total)
        per_tick = schedule.count(schedule.tick)
        tick_stats = StatsAccumulator()
        tick_start_nimg = int(self.progress.nimg.numpy())
        tick_start = progress(tick_start_nimg)
        tick_start_time = time.time()
        maintenance = tick_start_time - start_time
        report_now = self.resumed_from is None  # a new run reports right after its first step
        traced = False
        last_ckpt = None
        while True:
            nimg = self.train_step(next(batches), tick_stats)
            done_units = progress(nimg)
            done = done_units >= total
            if not (done or report_now or done_units >= tick_start + per_tick):
                continue
            report_now = False

            # Tick: status line, stats, snapshot.
            tick = int(self.progress.tick.numpy())
            now = time.time()
            sec_per_kimg = (now - tick_start_time) / max(nimg - tick_start_nimg, 1) * 1000
            sec_per_unit = (now - tick_start_time) / max(done_units - tick_start, 1)
            means = tick_stats.means()
            self._check_finite(means)
            record = {
                "tick": tick, "kimg": nimg / 1000, "sec_per_kimg": sec_per_kimg,
                "Progress/tick": tick, "Progress/kimg": nimg / 1000,
                "Timing/total_sec": now - start_time, "Timing/sec_per_tick": now - tick_start_time,
                "Timing/sec_per_kimg": sec_per_kimg, "Timing/maintenance_sec": maintenance,
                "Resources/cpu_mem_gb": _cpu_mem_gb(),
                "Resources/peak_gpu_mem_gb": _gpu_peak_mem_gb(), **means,
                **self.method.progress_stats(),
            }
            # The first tick of a process includes tracing: no meaningful ETA yet.
            eta = format_time((total - done_units) * sec_per_unit) if traced else "--"
            traced = True
            losses = " ".join(f"{label} {means.get(key, float('nan')):<6.3f}"
                              for label, key in self.method.status_stats.items())
            controls = "".join(f"{key.split('/')[-1]} {value:<5.3f} "
                               for key, value in self.method.progress_stats().items())
            if schedule.unit == "iter":  # one iteration = one batch
                where = f"iter {int(self.progress.step.numpy()):<8d}"
                speed = f"sec/iter {sec_per_unit:<7.2f}"
            else:
                where = f"kimg {nimg / 1000:<8.1f}"
                speed = f"sec/kimg {sec_per_kimg:<7.2f}"
            self.log(f"tick {tick:<5d} {where} "
                     f"time {format_time(now - start_time):<12s} "
                     f"{speed} "
                     f"loss {losses} "
                     + controls
                     + f"cpumem {record['Resources/cpu_mem_gb']:<5.2f} "
                     f"ETA {eta}")
            if stats_writer is not None:
                stats_writer.write(nimg, {**record, "timestamp": time.time()})
            if done or tick % schedule.snap == 0:
                last_ckpt = self._snapshot(tb_writer) or last_ckpt
                if self.metrics is not None:
                    self._evaluate_metrics(tb_writer, last_ckpt)
            self.progress.tick.assign(tick + 1)
            tick_start_nimg = nimg
            tick_start = done_units
            tick_start_time = time.time()
            maintenance = tick_start_time - now
            if done:
                break

        if stats_writer is not None:
            stats_writer.close()
            tb_writer.close()
        done_at = (f"{int(self.progress.step.numpy())} iterations" if schedule.unit == "iter"
                   else f"{nimg / 1000:g} kimg")
        self.log(f"Done: {done_at} in {format_time(time.time() - start_time)}; "
                 f"checkpoint {last_ckpt}")
        return {"kimg": nimg / 1000, "checkpoint": last_ckpt, "run_dir": self.run_dir}
