"""``--op=nada``: one StyleGAN-NADA iteration (seconds per iteration), random weights.

The workload is one step of `tfgan_fs.methods.nada.NADA`, compiled by `make_phase_step` as
`tools/train.py --method=nada` runs it (`step(None, None, seed)`): with layer selection
(`--auto_layer_iters > 0`) the W+ copy of `--auto_layer_batch` frozen-mapped ws, its SGD steps
on the global CLIP loss and the top-k ranking, then for a batch of `--batch` the frozen and the
adapted synthesis, CLIP on the adapted, frozen and shifted images, the directional loss, its
gradient and the selective Adam update. Nothing is downloaded: both networks have random
weights, which do not change the time of an iteration:

- the generator has the architecture of the FFHQ-256 transfer source of the StyleGAN-NADA README
  (StyleGAN2-ADA `--cfg=paper256`: channel_base 16384, channel_max 512, 8 mapping layers,
  z/w 512), at `--res`; its G_kwargs come from `training.options.build_options` as for
  `tools/train.py`, so float16 runs in the top 4 resolutions when a GPU is visible unless
  `--fp32` (the converted official pickle also has `num_fp16_res=4`, `conv_clamp=256`);
- `--clip_size=vit_b32` is a keras-hub CLIP with OpenAI ViT-B/32's sizes (vision: patch 32,
  width 768, 12 layers, 12 heads, MLP 3072, 224x224; text: vocabulary 49408, width 512, 12
  layers, 8 heads, MLP 2048, 77 tokens; projection 512: about 151M parameters). Its tokenizer
  has a small character-level vocabulary (ids < 100) instead of the 49408 BPE entries: the text
  tower runs only once, to embed the target texts before the first step, so the tokenizer does
  not enter the time of an iteration, while the text encoder keeps the full 49408-entry token
  embedding so the parameter count is the real one. `--clip_size=tiny` is the tests' tiny CLIP.

Rows: one per `--impl` and `--auto_layer_iters` value (0 = no selection, the `default` phase's
layers every step), each after `--warmup` untimed iterations (the first traces the step) and
timed over `--iters`.
"""

import time

import keras
import numpy as np
import tensorflow as tf

from tfgan_fs.benchmarks.train_step import _peak_memory_gb
from tfgan_fs.clip import ClipModel
from tfgan_fs.clip.random_clip import random_clip
from tfgan_fs.data.dataset_info import DatasetInfo
from tfgan_fs.methods.nada import NADA, SPEC, NADAConfig
from tfgan_fs.methods.spec import ResolveEnv
from tfgan_fs.methods.stylegan2.config import resolve_stylegan2
from tfgan_fs.networks import Generator
from tfgan_fs.ops import custom_ops_available
from tfgan_fs.training.step import make_phase_step
from tfgan_fs.training.strategy import make_strategy

OP = SPEC.name  # --op=nada: one step of the method of this name
SOURCE_CFG = "paper256"  # the FFHQ-256 transfer source (stylegan2-ada-pytorch `ffhq256` pickle)
SOURCE_CLASS, TARGET_CLASS = "photo", "sketch"  # the README command's texts

def build_clip(size, seed=0):
    """A ClipModel of `size` ('vit_b32' or 'tiny') with random weights and a small tokenizer."""
    backbone, preprocessor = random_clip(size, seed)
    return ClipModel(backbone, preprocessor, name=f"random_{size}")


def source_kwargs(res, impl, fp32, has_gpu):
    """Generator kwargs of the `paper256` preset at `res`, as `tools/train.py` builds them."""
    info = DatasetInfo(name="ffhq", resolution=res, channels=3, count=70000)
    args = {"data": "unused", "cfg": SOURCE_CFG, "aug": "noaug", "impl": impl,
            "fp32": True if fp32 else None}
    resolved = resolve_stylegan2(args, ResolveEnv(info=info, has_gpu=has_gpu))
    return dict(resolved.config.G_kwargs, c_dim=0, img_resolution=res, img_channels=3)


def build_source(kwargs, seed=0):
    """A random generator of `kwargs`, built (its weights exist)."""
    keras.utils.set_random_seed(seed)
    G = Generator(**kwargs, name="G_ema")
    G(np.zeros([1, G.z_dim], np.float32), np.zeros([1, G.c_dim], np.float32))
    return G


def count_params(variables):
    return int(sum(np.prod(v.shape) for v in variables))


def run(settings):
    """One row per `settings.impl` and `settings.auto_layer_iters` value with sec_per_iter,
    img_per_sec, the parameter counts of G (one copy, its weights; NADA holds a frozen and an
    adapted one) and of CLIP (vision + text towers and projections), `trained_params` (of the
    layers the last timed iteration updated) and peak memory (of the process so far).
    """
    strategy = make_strategy(settings.strategy)
    replicas = strategy.num_replicas_in_sync
    if settings.batch % replicas:
        raise ValueError(f"--batch {settings.batch} is not divisible by the {replicas} replicas")
    gpus = tf.config.list_logical_devices("GPU")
    has_gpu = bool(gpus)
    device = f"{len(gpus)} GPU" if gpus else "CPU"
    with strategy.scope():
        clip = build_clip(settings.clip_size)
    clip_params = {"clip_params": count_params(clip.backbone.weights),
                   "clip_vision_params": count_params(clip.backbone.vision_encoder.weights),
                   "clip_text_params": count_params(clip.backbone.text_encoder.weights)}
    rows = []
    for impl in settings.impl:
        if impl == "custom" and not custom_ops_available()["loaded"]:
            rows.append({"op": OP, "impl": impl, "skipped": "custom ops not built "
                         "(python tools/build_ops.py)"})
            continue
        kwargs = source_kwargs(settings.res, impl, settings.fp32, has_gpu)
        with strategy.scope():
            source = build_source(kwargs)
        for iters in settings.auto_layer_iters:
            row = _measure(settings, strategy, clip, source, iters)
            rows.append({"op": OP, "impl": impl, "res": settings.res,
                         "batch": settings.batch, "replicas": replicas, **row,
                         "fp16_res": kwargs["synthesis_kwargs"]["num_fp16_res"],
                         "xla": settings.xla, "strategy": settings.strategy,
                         "clip_size": settings.clip_size,
                         "G_params": count_params(source.weights), **clip_params,
                         "device": device})
    return rows


def _measure(settings, strategy, clip, source, auto_layer_iters):
    num_ws = source.num_ws
    k = settings.auto_layer_k or num_ws
    cfg = NADAConfig(network="random", source_class=SOURCE_CLASS, target_class=TARGET_CLASS,
                     clip_models=(clip.name,), auto_layer_k=k,
                     auto_layer_iters=auto_layer_iters,
                     auto_layer_batch=settings.auto_layer_batch)
    with strategy.scope():
        method = NADA(cfg, [(clip, 1.0)], source=source, log=lambda *a, **kw: None)
        method.build_optimizers()
    phase = method.phases()[0]
    step = make_phase_step(method, phase, strategy, jit_compile=settings.xla,
                           batch_size=settings.batch // strategy.num_replicas_in_sync)

    def steps(start, n):
        stats = None
        for i in range(start, start + n):
            stats = step(None, None, tf.constant([0, i], tf.int64))
        float(stats["Loss/G/loss"][0].numpy())  # waits for the device
        return stats

    start = time.perf_counter()
    steps(0, max(settings.warmup, 1))
    warmup_sec = time.perf_counter() - start
    start = time.perf_counter()
    steps(max(settings.warmup, 1), settings.iters)
    sec_per_iter = (time.perf_counter() - start) / settings.iters
    host_gb, device_gb = _peak_memory_gb()
    selecting = auto_layer_iters > 0
    return {
        "num_ws": num_ws, "auto_layer_iters": auto_layer_iters,
        "auto_layer_k": k if selecting else None,
        "auto_layer_batch": settings.auto_layer_batch if selecting else None,
        "phase": None if selecting else cfg.phase,
        "trained_params": count_params(
            [v for vs, on in zip(method.group_variables, method.selection.numpy()) if on
             for v in vs]),
        "iters": settings.iters, "warmup_sec": warmup_sec, "sec_per_iter": sec_per_iter,
        "img_per_sec": settings.batch / sec_per_iter,
        "peak_host_mem_gb": host_gb, "peak_device_mem_gb": device_gb,
    }

