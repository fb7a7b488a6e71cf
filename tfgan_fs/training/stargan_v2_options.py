"""`--method=stargan_v2` command-line values -> TrainingOptions.

StarGAN v2 counts iterations as its reference does: `--iter` iterations (each four phases on
one batch of `--batch` sources) are `total_kimg = iter * batch / 1000` for the loop,
`--output_interval` iterations make one tick (status line, stats) and every `--snap` ticks the
snapshot grids and a checkpoint. The domains are the dataset's labels (`num_domains` from the
data); the networks' sizes follow the reference's flags.
"""

import dataclasses
import pathlib

from tfgan_fs.methods.stargan_v2 import StarGANv2Config
from tfgan_fs.training.iteration_schedule import iteration_schedule
from tfgan_fs.training.iteration_schedule import option_error as _error
from tfgan_fs.training.iteration_schedule import require as _require

# Flags of --method=stargan_v2 (StarGANv2Config fields, flag name = field name), and the
# general flags it reads.
STARGAN_V2_FLAGS = ("img_size", "latent_dim", "hidden_dim", "style_dim", "w_hpf",
                    "max_conv_dim", "dim_in", "lambda_reg", "lambda_sty", "lambda_ds",
                    "lambda_cyc", "ds_iter", "lr", "f_lr", "beta1", "beta2", "weight_decay",
                    "randcrop_prob", "ref_step_style_encoder", "wing", "ema_beta")
SCHEDULE_FLAGS = ("iter", "output_interval")
GENERAL_FLAGS = ("method", "data", "val_data", "max_images", "seed", "batch", "snap", "keep",
                 "desc", "workers", "metrics", "inception", "vgg16", "lpips", "cache_dir",
                 "impl")
DEFAULT_ITER = 100000          # the reference's total_iters
DEFAULT_BATCH = 8
DEFAULT_SEED = 777
DEFAULT_OUTPUT_INTERVAL = 1000  # status lines; snapshots every --snap of them
DEFAULT_SNAP = 5                # 5000 iterations: the reference's sample_every


def stargan_v2_config(args, info):
    """StarGANv2Config from the given flags (None = default) and the data, validated."""
    values = {name: args[name] for name in STARGAN_V2_FLAGS if args.get(name) is not None}
    _require(info.labeled and info.num_classes >= 2, "data",
             f"StarGAN v2 translates between domains: {info.name} has "
             f"{info.num_classes} label classes; give a folder with one sub-folder per domain "
             "(e.g. afhq/train/{cat,dog,wild}) or a dataset_tool dataset with --labels")
    values["img_size"] = int(values.get("img_size", info.resolution))
    cfg = dataclasses.replace(StarGANv2Config(), num_domains=info.num_classes,
                              domain_names=tuple(info.class_names or ()), **values)
    size = cfg.img_size
    _require(size >= 16 and size & (size - 1) == 0, "img_size",
             f"must be a power of two >= 16, got {size}")
    for name in ("latent_dim", "hidden_dim", "style_dim", "max_conv_dim"):
        _require(getattr(cfg, name) >= 1, name, f"must be >= 1, got {getattr(cfg, name)}")
    _require(cfg.dim_in is None or cfg.dim_in >= 1, "dim_in", f"must be >= 1, got {cfg.dim_in}")
    _require(cfg.w_hpf >= 0, "w_hpf", f"must be >= 0 (0: no high-pass connections), got "
             f"{cfg.w_hpf}")
    _require(cfg.w_hpf == 0 or size >= 256, "w_hpf",
             f"the face masks' high-pass connections work at 32/64/128 px inside a 256-px "
             f"generator; at img_size {size} use --w_hpf=0")
    _require(cfg.w_hpf == 0 or bool(cfg.wing), "wing",
             f"--w_hpf={cfg.w_hpf:g} needs the FAN's face masks: give --wing=wing.ckpt (the "
             "reference's expr/checkpoints/wing.ckpt) or a run converted with it; use "
             "--w_hpf=0 for non-face data (AFHQ)")
    if cfg.wing:
        _require(pathlib.Path(cfg.wing).exists(), "wing", f"{cfg.wing} does not exist")
    for name in ("lambda_reg", "lambda_sty", "lambda_ds", "lambda_cyc", "weight_decay"):
        _require(getattr(cfg, name) >= 0, name, f"must be >= 0, got {getattr(cfg, name)}")
    _require(cfg.ds_iter >= 1, "ds_iter", f"must be >= 1, got {cfg.ds_iter}")
    _require(cfg.lr > 0 and cfg.f_lr > 0, "lr", "learning rates must be > 0")
    for name in ("beta1", "beta2"):
        _require(0 <= getattr(cfg, name) < 1, name, f"must be in [0, 1), got "
                 f"{getattr(cfg, name)}")
    _require(0 <= cfg.ema_beta < 1, "ema_beta", f"must be in [0, 1), got {cfg.ema_beta}")
    _require(0 <= cfg.randcrop_prob <= 1, "randcrop_prob",
             f"must be in [0, 1], got {cfg.randcrop_prob}")
    return cfg


def build_stargan_v2_options(args, info, num_replicas=1):
    """TrainingOptions of a StarGAN v2 run from flag values (None = not given).

    Raises:
        OptionsError: naming the flag, for invalid values or flags StarGAN v2 does not read.
    """
    from tfgan_fs.training.options import (AugmentOptions, OptionsError,  # noqa: PLC0415
                                           TrainingOptions, _metric_names)

    read = set(STARGAN_V2_FLAGS) | set(SCHEDULE_FLAGS) | set(GENERAL_FLAGS)
    unread = sorted(k for k, v in args.items() if v is not None and k not in read
                    and k not in ("outdir", "init_from"))
    if unread:
        raise OptionsError(f"--method=stargan_v2 does not read "
                           f"{', '.join('--' + k for k in unread)} (its schedule is --iter and "
                           "--output_interval; its settings are the reference's flags)")
    cfg = stargan_v2_config(args, info)
    get = lambda key, default: default if args.get(key) is None else args[key]  # noqa: E731
    schedule = iteration_schedule(args, num_replicas, DEFAULT_ITER, DEFAULT_BATCH,
                                  DEFAULT_OUTPUT_INTERVAL, DEFAULT_SNAP)
    max_images = args.get("max_images")
    _require(max_images is None or max_images >= 1, "max_images",
             f"must be >= 1, got {max_images}")
    metrics = _metric_names(args.get("metrics") or [])
    if metrics:
        _require(bool(args.get("val_data")), "val_data",
                 f"--metrics={','.join(metrics)} evaluates on validation images: give "
                 "--val_data (e.g. afhq/val, the same domains as --data)")
    metric_networks = {k: args[k] for k in ("inception", "vgg16", "lpips") if args.get(k)}
    desc = f"stargan_v2-{info.name}-{cfg.img_size}"
    if args.get("desc"):
        desc += f"-{args['desc']}"
    return TrainingOptions(
        data=args["data"], cond=True, mirror=False, max_images=max_images,
        seed=int(get("seed", DEFAULT_SEED)), total_kimg=schedule.total_kimg,
        batch_size=schedule.batch, batch_gpu=schedule.batch // num_replicas,
        kimg_per_tick=schedule.kimg_per_tick, snap=schedule.snap,
        keep_checkpoints=schedule.keep,
        workers=args.get("workers"), ema_kimg=0.0, ema_rampup=None, fp32=True,
        cfg="stargan_v2", desc=desc, num_replicas=num_replicas, method=None,
        augment=AugmentOptions(mode="noaug"), metrics=metrics,
        metric_networks=metric_networks, metrics_cache=args.get("cache_dir"),
        method_name="stargan_v2", fewshot=dataclasses.asdict(cfg),
        metric_data=args.get("val_data"))
