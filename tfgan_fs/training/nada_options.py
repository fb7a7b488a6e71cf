"""`--method=nada` command-line values -> TrainingOptions (StyleGAN-NADA reads no dataset).

NADA counts iterations, not images: `--iter` steps of `--batch` samples are
`total_kimg = iter * batch / 1000` for the loop, and `--output_interval` iterations make one
tick (status line, stats); every `--snap` ticks the pictures and a checkpoint.
"""

import dataclasses
import math
import pathlib
import re

from tfgan_fs.clip.model import ClipLoadError, resolve_preset
from tfgan_fs.methods.nada import IMAGE_EXTENSIONS, PHASES, NADAConfig
from tfgan_fs.training.iteration_schedule import iteration_schedule
from tfgan_fs.training.iteration_schedule import option_error as _error
from tfgan_fs.training.iteration_schedule import require as _require

# Flags of --method=nada (NADAConfig fields), and the general flags it reads.
NADA_FLAGS = ("network", "source_class", "target_class", "clip_models", "clip_model_weights",
              "phase", "auto_layer_k", "auto_layer_iters", "auto_layer_batch", "lr", "mixing",
              "lambda_direction", "lambda_global", "style_img_dir", "img2img_batch",
              "sample_truncation")
SCHEDULE_FLAGS = ("iter", "output_interval")
GENERAL_FLAGS = ("method", "seed", "batch", "snap", "keep", "desc")
DEFAULT_ITER = 1000          # the reference's train_options defaults
DEFAULT_BATCH = 16
DEFAULT_OUTPUT_INTERVAL = 100


def _source_num_ws(network):
    """W+ entries of the generator in a run dir / checkpoint (None for a pickle)."""
    from tfgan_fs.training.checkpoints import CheckpointError, load_network_configs  # noqa

    if pathlib.Path(network).is_file():
        return None
    try:
        _, configs = load_network_configs(network)
    except CheckpointError as err:
        raise _error("network", str(err)) from err
    resolution = configs.get("G_ema", configs.get("G", {})).get("img_resolution")
    return None if resolution is None else 2 * int(math.log2(resolution)) - 2


def nada_config(args):
    """NADAConfig from the given flags (None = default), validated with errors naming flags."""
    defaults = NADAConfig()
    values = {}
    for name in NADA_FLAGS:
        value = args.get(name)
        if value is None:
            continue
        if name == "clip_models":
            value = tuple(str(v) for v in value)
        elif name == "clip_model_weights":
            try:
                value = tuple(float(v) for v in value)
            except ValueError as err:
                raise _error(name, f"weights must be numbers, got {list(value)}") from err
        values[name] = value
    cfg = dataclasses.replace(defaults, **values)
    _require(bool(cfg.network), "network", "--method=nada adapts a pretrained generator: give "
             "its run directory, checkpoint or StyleGAN2-ADA network pickle")
    _require(pathlib.Path(cfg.network).exists(), "network",
             f"{cfg.network} does not exist (convert an official pickle with "
             "tools/convert_pkl.py, or pass the .pkl itself)")
    _require(cfg.phase in PHASES, "phase", f"must be one of {', '.join(PHASES)}, got "
             f"{cfg.phase!r}")
    if "clip_model_weights" not in values:  # one weight per model by default
        cfg = dataclasses.replace(cfg, clip_model_weights=(1.0,) * len(cfg.clip_models))
    _require(len(cfg.clip_model_weights) == len(cfg.clip_models), "clip_model_weights",
             f"{len(cfg.clip_model_weights)} weight(s) for {len(cfg.clip_models)} "
             "--clip_models")
    _require(all(w >= 0 for w in cfg.clip_model_weights), "clip_model_weights",
             f"must be >= 0, got {list(cfg.clip_model_weights)}")
    _require(any(w > 0 for w in cfg.clip_model_weights), "clip_model_weights",
             "at least one CLIP model needs a weight > 0")
    for name, weight in zip(cfg.clip_models, cfg.clip_model_weights):
        if weight > 0:
            try:
                resolve_preset(name)
            except ClipLoadError as err:
                raise _error("clip_models", str(err)) from err
    if cfg.style_img_dir:
        path = pathlib.Path(cfg.style_img_dir)
        _require(path.is_dir(), "style_img_dir", f"{path} is not a directory")
        _require(any(p.suffix.lower() in IMAGE_EXTENSIONS for p in path.iterdir()),
                 "style_img_dir", f"{path} has no .png/.jpg/.jpeg images")
    else:
        _require(cfg.source_class.strip().lower() != cfg.target_class.strip().lower(),
                 "target_class", f"is the same text as --source_class ({cfg.source_class!r}): "
                 "there is no direction between identical texts")
    _require(cfg.lambda_direction >= 0 and cfg.lambda_global >= 0, "lambda_direction",
             "loss weights must be >= 0")
    _require(cfg.lambda_direction > 0 or cfg.lambda_global > 0, "lambda_direction",
             "--lambda_direction and --lambda_global are both 0: nothing to minimise")
    _require(cfg.auto_layer_iters >= 0, "auto_layer_iters", f"must be >= 0 (0 = no layer "
             f"selection: train the --phase layers), got {cfg.auto_layer_iters}")
    _require(cfg.auto_layer_k >= 1, "auto_layer_k", f"must be >= 1, got {cfg.auto_layer_k}")
    num_ws = _source_num_ws(cfg.network)
    _require(num_ws is None or cfg.auto_layer_iters == 0 or cfg.auto_layer_k <= num_ws,
             "auto_layer_k", f"must be at most the source generator's {num_ws} W+ entries "
             f"(2 log2(resolution) - 2), got {cfg.auto_layer_k}")
    _require(cfg.auto_layer_batch >= 1, "auto_layer_batch",
             f"must be >= 1, got {cfg.auto_layer_batch}")
    _require(cfg.lr > 0, "lr", f"must be > 0, got {cfg.lr}")
    _require(0 <= cfg.mixing <= 1, "mixing", f"must be in [0, 1], got {cfg.mixing}")
    _require(cfg.img2img_batch >= 1, "img2img_batch", f"must be >= 1, got {cfg.img2img_batch}")
    _require(0 < cfg.sample_truncation <= 1, "sample_truncation",
             f"must be in (0, 1], got {cfg.sample_truncation}")
    return cfg


def _slug(text):
    return re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_")[:32] or "x"


def build_nada_options(args, num_replicas=1):
    """TrainingOptions of a NADA run from flag values (None = not given).

    Raises:
        OptionsError: naming the flag, for invalid values or flags NADA does not read.
    """
    from tfgan_fs.training.options import (AugmentOptions, OptionsError,  # noqa: PLC0415
                                           TrainingOptions)

    read = set(NADA_FLAGS) | set(SCHEDULE_FLAGS) | set(GENERAL_FLAGS)
    unread = sorted(k for k, v in args.items() if v is not None and k not in read
                    and k not in ("outdir", "init_from"))
    if unread:
        raise OptionsError(f"--method=nada does not read {', '.join('--' + k for k in unread)} "
                           "(it has no data and no discriminator; its schedule is --iter and "
                           "--output_interval)")
    _require(not args.get("init_from"), "init_from", "--method=nada starts from --network")
    cfg = nada_config(args)
    get = lambda key, default: default if args.get(key) is None else args[key]  # noqa: E731
    schedule = iteration_schedule(args, num_replicas, DEFAULT_ITER, DEFAULT_BATCH,
                                  DEFAULT_OUTPUT_INTERVAL, 1)
    target = "img" if cfg.style_img_dir else _slug(cfg.target_class)
    desc = f"nada-{_slug(pathlib.Path(cfg.network).stem)}-{target}"
    if args.get("desc"):
        desc += f"-{args['desc']}"
    return TrainingOptions(
        data=None, cond=False, mirror=False, max_images=None, seed=int(get("seed", 0)),
        total_kimg=schedule.total_kimg, batch_size=schedule.batch,
        batch_gpu=schedule.batch // num_replicas,
        kimg_per_tick=schedule.kimg_per_tick, snap=schedule.snap,
        keep_checkpoints=schedule.keep, workers=None,
        ema_kimg=0.0, ema_rampup=None, fp32=True, cfg="nada", desc=desc,
        num_replicas=num_replicas, method=None, augment=AugmentOptions(mode="noaug"),
        method_name="nada", fewshot=dataclasses.asdict(cfg))
