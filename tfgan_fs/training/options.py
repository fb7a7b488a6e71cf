"""Resolved training options: command-line values + the `--cfg` preset -> one JSON-able record.

`build_options` is the only place where flags meet presets; everything downstream reads
`TrainingOptions`. The record is saved as `training_options.json` in the run dir, which is what
`--resume` continues from.
"""

import dataclasses
import json
import math
from typing import Optional

from tfgan_fs.augment.presets import AUGPIPE_SPECS, xla_compatible
from tfgan_fs.configs import stylegan2 as presets
from tfgan_fs.methods import METHOD_NAMES, AdamConfig, StyleGAN2Config, fewshot_defaults
from tfgan_fs.methods.mixdl import MIXUP_DISTS
from tfgan_fs.networks import default_patch_res, patch_candidates
from tfgan_fs.training.nada_options import build_nada_options
from tfgan_fs.training.stargan_v2_options import STARGAN_V2_FLAGS, build_stargan_v2_options
from tfgan_fs.metrics.names import parse_metric_list

AUG_MODES = ("ada", "noaug", "fixed", "diffaugment")


class OptionsError(ValueError):
    """A command-line value is invalid; the message names the flag."""


@dataclasses.dataclass
class AugmentOptions:
    """Discriminator augmentation (StyleGAN2-ADA `--aug`, `--p`, `--target`, `--augpipe`).

    Attributes:
        mode: 'ada' (adaptive p), 'fixed' (constant p), 'noaug', or 'diffaugment'.
        augpipe: AugmentPipe preset for 'ada' and 'fixed'.
        p: Initial (ada) or constant (fixed) augmentation probability.
        target: ADA target of E[sign(D(real))].
        ada_kimg: kimg for p to move by 1.
        ada_interval: Minibatches between p updates.
    """
    mode: str = "ada"
    augpipe: str = "bgc"
    p: float = 0.0
    target: float = 0.6
    ada_kimg: float = 500.0
    ada_interval: int = 4


@dataclasses.dataclass
class TrainingOptions:
    """Everything a training run needs besides the run directory.

    Attributes:
        data: Dataset spec (`builtin:shapes`, a dataset_tool directory or an image folder).
        cond: Train a class-conditional model on the dataset labels.
        mirror: Add x-flipped copies of the images.
        max_images: Train on the first N images only (None = all).
        seed: Global seed (network init, latents, noise, data order).
        total_kimg: Training length in thousands of real images shown to D.
        batch_size: Global batch size.
        batch_gpu: Batch size per replica.
        kimg_per_tick: Progress line / stats interval in kimg.
        snap: Snapshot (images + checkpoint) interval in ticks.
        keep_checkpoints: Number of most recent checkpoints kept (0 = all).
        workers: Parallel calls of the tf.data decode map (None = autotune).
        ema_kimg: G_ema half-life in kimg.
        ema_rampup: EMA ramp-up ratio (None = off).
        fp32: Disable float16 in the top resolutions.
        cfg: Preset name.
        desc: Run description (run dir suffix).
        num_replicas: Replicas the batch was split over when the run was created.
        method: The StyleGAN2 hyperparameters and network arguments (None for NADA, whose
            networks come from its source generator).
        augment: Discriminator augmentation.
        metrics: Metric names evaluated at every snapshot.
        metric_networks: Feature-network files {'inception', 'vgg16', 'lpips'} (None: env var).
        metrics_cache: Real-statistics cache directory (None: the default).
        method_name: 'stylegan2', 'mixdl', 'cdc', 'nada' or 'stargan_v2'.
        fewshot: The other methods' settings (MixDLConfig / CDCConfig / NADAConfig /
            StarGANv2Config fields), or
            None for StyleGAN2.
        metric_data: Dataset spec of the full real set of fid/kid/pr (None: `data`).
    """
    data: str
    cond: bool
    mirror: bool
    max_images: Optional[int]
    seed: int
    total_kimg: float
    batch_size: int
    batch_gpu: int
    kimg_per_tick: float
    snap: int
    keep_checkpoints: int
    workers: Optional[int]
    ema_kimg: float
    ema_rampup: Optional[float]
    fp32: bool
    cfg: str
    desc: str
    num_replicas: int
    method: Optional[StyleGAN2Config]
    augment: AugmentOptions = dataclasses.field(default_factory=AugmentOptions)
    metrics: list = dataclasses.field(default_factory=list)
    metric_networks: dict = dataclasses.field(default_factory=dict)
    metrics_cache: Optional[str] = None
    method_name: str = "stylegan2"
    fewshot: Optional[dict] = None
    metric_data: Optional[str] = None

    def to_json(self):
        return json.dumps(dataclasses.asdict(self), indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, text):
        raw = json.loads(text)
        augment = AugmentOptions(**raw.pop("augment", {}))
        method = raw.pop("method")
        if method is None:  # NADA
            return cls(**raw, method=None, augment=augment)
        for key in ("G_opt", "D_opt"):
            method[key] = AdamConfig(**{**method[key], "betas": tuple(method[key]["betas"])})
        method["ggdr_res"] = tuple(method.get("ggdr_res", (64,)))
        return cls(**raw, method=StyleGAN2Config(**method), augment=augment)


# Flags that may change when a run is resumed (schedule and bookkeeping, not the model).
RESUMABLE_OVERRIDES = ("kimg", "tick", "snap", "keep", "workers", "metrics", "metric_data",
                       "inception", "vgg16", "lpips", "cache_dir", "impl", "iter",
                       "output_interval", "val_data")
IMPLS = ("auto", "ref", "custom")  # tfgan_fs.ops.VALID_IMPLS


def _require(condition, flag, message):
    if not condition:
        raise OptionsError(f"--{flag}: {message}")


def build_options(args, info, num_replicas=1, has_gpu=False):
    """Resolves command-line values against the `--cfg` preset.

    Args:
        args: Dict of flag values; None means "not given" (take the preset's value). Keys:
            data, cond, mirror, max_images, seed, cfg, kimg, batch, gamma, tick, snap, keep,
            workers, cbase, cmax, map, mbstd_group, glr, dlr, ema, fp32, desc, aug, p, target,
            ada_kimg, augpipe, freezed, reg_type, ggdr_res, ggdr_weight, impl, init_from (only
            whether it is set matters).
        info: DatasetInfo of the training data.
        num_replicas: Number of replicas the global batch is split over.
        has_gpu: Whether a GPU is visible (float16 layers are only used on GPUs).

    Returns:
        TrainingOptions.

    Raises:
        OptionsError: naming the flag, for invalid or inconsistent values.
    """
    if args.get("method") == "stargan_v2":  # image-to-image: its own networks and schedule
        return build_stargan_v2_options(args, info, num_replicas)
    only_stargan = sorted(k for k in STARGAN_V2_FLAGS + ("val_data",)
                          if args.get(k) is not None and k != "lr")
    _require(not only_stargan, only_stargan[0] if only_stargan else "method",
             "a setting of --method=stargan_v2 only")
    get = lambda key, default=None: default if args.get(key) is None else args[key]  # noqa
    cfg = get("cfg", "auto")
    _require(cfg in presets.CFG_NAMES, "cfg", f"must be one of {', '.join(presets.CFG_NAMES)}, "
             f"got {cfg!r}")
    spec = presets.cfg_spec(cfg, info.resolution, num_replicas)
    desc = f"{info.name}"

    cond = bool(get("cond", False))
    if cond:
        _require(info.num_classes > 0, "cond", f"dataset {info.name!r} has no labels; build it "
                 "with dataset_tool.py --labels=json|folders or train unconditionally")
        desc += "-cond"
    max_images = get("max_images")
    if max_images is not None:
        _require(1 <= max_images <= info.count, "max_images",
                 f"must be between 1 and the dataset size {info.count}, got {max_images}")
        desc += f"-n{max_images}"
    mirror = bool(get("mirror", False))
    if mirror:
        desc += "-mirror"
    desc += f"-{cfg}" + (str(num_replicas) if cfg == "auto" else "")

    batch = get("batch", spec.mb)
    _require(batch >= 1 and batch % num_replicas == 0, "batch",
             f"must be >= 1 and divisible by the number of replicas ({num_replicas}), got {batch}")
    if args.get("batch") is not None:
        desc += f"-batch{batch}"
    batch_gpu = batch // num_replicas
    mbstd = get("mbstd_group", spec.mbstd)
    _require(mbstd >= 1, "mbstd_group", f"must be >= 1, got {mbstd}")
    group = min(mbstd, batch_gpu)
    _require(batch_gpu % group == 0, "mbstd_group",
             f"the per-replica batch {batch_gpu} must be divisible by the minibatch-std group "
             f"size {group}")

    gamma = float(get("gamma", spec.gamma))
    _require(gamma >= 0, "gamma", f"must be >= 0, got {gamma}")
    if args.get("gamma") is not None:
        desc += f"-gamma{gamma:g}"
    kimg = float(get("kimg", spec.kimg))
    _require(kimg > 0, "kimg", f"must be > 0, got {kimg}")
    if args.get("kimg") is not None:
        desc += f"-kimg{kimg:g}"
    tick = float(get("tick", 4))
    _require(tick > 0, "tick", f"must be > 0, got {tick}")
    snap = int(get("snap", 50))
    _require(snap >= 1, "snap", f"must be >= 1, got {snap}")
    keep = int(get("keep", 5))
    _require(keep >= 0, "keep", f"must be >= 0, got {keep}")
    workers = get("workers")
    _require(workers is None or workers >= 1, "workers", f"must be >= 1, got {workers}")

    channel_base = int(get("cbase", int(spec.fmaps * 32768)))
    channel_max = int(get("cmax", 512))
    _require(channel_base >= 1, "cbase", f"must be >= 1, got {channel_base}")
    _require(channel_max >= 1, "cmax", f"must be >= 1, got {channel_max}")
    mapping_layers = int(get("map", spec.map))
    _require(mapping_layers >= 1, "map", f"must be >= 1, got {mapping_layers}")
    glr = float(get("glr", spec.lrate))
    dlr = float(get("dlr", spec.lrate))
    _require(glr > 0, "glr", f"must be > 0, got {glr}")
    _require(dlr > 0, "dlr", f"must be > 0, got {dlr}")
    ema_kimg = float(get("ema", spec.ema))
    _require(ema_kimg > 0, "ema", f"must be > 0, got {ema_kimg}")

    fp32 = get("fp32")
    fp32 = (not has_gpu) if fp32 is None else bool(fp32)
    num_fp16_res = 0 if fp32 else 4
    conv_clamp = None if fp32 else 256

    impl = _impl(get("impl", "auto"))

    G_kwargs = dict(z_dim=512, w_dim=512, mapping_kwargs=dict(num_layers=mapping_layers),
                    synthesis_kwargs=dict(channel_base=channel_base, channel_max=channel_max,
                                          num_fp16_res=num_fp16_res, conv_clamp=conv_clamp),
                    impl=impl)
    D_kwargs = dict(channel_base=channel_base, channel_max=channel_max,
                    num_fp16_res=num_fp16_res, conv_clamp=conv_clamp,
                    epilogue_kwargs=dict(mbstd_group_size=mbstd), impl=impl)
    method = StyleGAN2Config(G_kwargs=G_kwargs, D_kwargs=D_kwargs,
                             G_opt=AdamConfig(lr=glr), D_opt=AdamConfig(lr=dlr), r1_gamma=gamma)
    if cfg == "cifar":
        method.pl_weight = 0.0
        method.style_mixing_prob = 0.0
        method.D_kwargs["architecture"] = "orig"
    metrics = _metric_names(args.get("metrics"))
    augment, aug_desc = _augment_options(args)
    desc += aug_desc
    _ggdr_options(args, method, info.resolution)
    if method.reg_type == "ggdr":
        desc += f"-ggdr{method.ggdr_res[0]}"
    method_name, fewshot = _fewshot_options(args, method, info, batch, max_images)
    if method_name != "stylegan2":
        desc += f"-{method_name}"
    freezed = int(get("freezed", 0))
    _require(freezed >= 0, "freezed", f"must be >= 0, got {freezed}")
    if freezed:
        D_kwargs["block_kwargs"] = dict(freeze_layers=freezed)
        desc += f"-freezed{freezed}"
    if get("desc"):
        desc += f"-{args['desc']}"

    return TrainingOptions(
        data=args["data"], cond=cond, mirror=mirror, max_images=max_images,
        seed=int(get("seed", 0)), total_kimg=kimg, batch_size=batch, batch_gpu=batch_gpu,
        kimg_per_tick=tick, snap=snap, keep_checkpoints=keep, workers=workers,
        ema_kimg=ema_kimg, ema_rampup=spec.ramp, fp32=fp32, cfg=cfg, desc=desc,
        num_replicas=num_replicas, method=method, augment=augment, metrics=metrics,
        metric_networks={k: args.get(k) for k in ("inception", "vgg16", "lpips")},
        metrics_cache=args.get("cache_dir"), method_name=method_name, fewshot=fewshot,
        metric_data=args.get("metric_data"))


FEWSHOT_FLAGS = {"mixdl": ("mixup_every", "mixup_dist", "dir_div", "kl_wt", "d_kl_wt",
                           "patch_heads"),
                 "cdc": ("n_train", "subspace_std", "subspace_freq", "feat_const_batch", "kl_wt",
                         "patch_heads")}


FEWSHOT_MINIMUMS = {"mixup_every": 2, "subspace_freq": 1, "n_train": 1, "feat_const_batch": 3,
                    "kl_wt": 0, "d_kl_wt": 0, "subspace_std": 0}


def _fewshot_options(args, method, info, batch, max_images):
    """--method and the few-shot flags -> (method name, settings dict or None); gives D the
    patch heads (and MixDL's projection head)."""
    name = args.get("method") or "stylegan2"
    _require(name in METHOD_NAMES, "method",
             f"must be one of {', '.join(METHOD_NAMES)}, got {name!r}")
    _require(name != "nada", "method", "--method=nada reads no dataset; its options are built "
             "by build_nada_options")
    allowed = FEWSHOT_FLAGS.get(name, ())
    for flag in sorted({f for fl in FEWSHOT_FLAGS.values() for f in fl} - set(allowed)):
        _require(args.get(flag) is None, flag,
                 f"not a setting of --method={name} (only of --method="
                 f"{'/'.join(m for m, fl in FEWSHOT_FLAGS.items() if flag in fl)})")
    if name == "stylegan2":
        return name, None
    images = max_images or info.count
    _require(images >= batch, "batch", f"--method={name} mixes and compares the samples of a "
             f"batch and needs at least as many training images as the batch: {images} "
             f"image(s) for --batch={batch}; lower --batch or add images")
    if name == "cdc":
        _require(bool(args.get("init_from")), "init_from",
                 "--method=cdc adapts a pretrained generator: give its run directory or "
                 "checkpoint (e.g. converted with tools/convert_pkl.py)")
    fewshot = fewshot_defaults(name)
    for flag in allowed:
        if flag != "patch_heads" and args.get(flag) is not None:
            fewshot[flag] = type(fewshot[flag])(args[flag])
    for flag, value in fewshot.items():
        if flag in FEWSHOT_MINIMUMS:
            _require(value >= FEWSHOT_MINIMUMS[flag], flag,
                     f"must be >= {FEWSHOT_MINIMUMS[flag]}, got {value}")
    _require(fewshot.get("dir_div", 1.0) > 0, "dir_div",
             f"must be > 0, got {fewshot.get('dir_div')}")
    _require(fewshot.get("mixup_dist", "dirichlet") in MIXUP_DISTS, "mixup_dist",
             f"must be one of {', '.join(MIXUP_DISTS)}, got {fewshot.get('mixup_dist')!r}")
    # R1 (every D_reg_interval steps) must always fall on steps of one D level.
    cycle = fewshot.get("mixup_every", fewshot.get("subspace_freq"))
    flag = "mixup_every" if name == "mixdl" else "subspace_freq"
    _require(method.D_reg_interval is None or method.D_reg_interval % cycle == 0, flag,
             f"must divide the R1 interval {method.D_reg_interval}, got {cycle}")

    kw = method.D_kwargs
    patch_res = default_patch_res(info.resolution)
    block_res = [2 ** i for i in range(int(math.log2(info.resolution)), 2, -1)]
    channels = {r: min(kw["channel_base"] // r, kw["channel_max"]) for r in block_res + [4, 2]}
    available = len(patch_candidates(block_res, channels, patch_res))
    heads = args.get("patch_heads")
    heads = (available if name == "mixdl" else 1) if heads is None else int(heads)
    _require(1 <= heads <= available, "patch_heads",
             f"must be between 1 and {available} (D's candidate maps at {patch_res} for "
             f"{info.resolution}x{info.resolution}), got {heads}")
    kw.update(patch_res=list(patch_res), patch_heads=heads)
    if name == "mixdl":
        kw["projection_dim"] = channels[4]
    return name, fewshot


REG_TYPES = ("none", "ggdr")


def _ggdr_options(args, method, resolution):
    """--reg_type --ggdr_res --ggdr_weight into the method config and D's decoder."""
    reg_type = args.get("reg_type") or "none"
    _require(reg_type in REG_TYPES, "reg_type",
             f"must be one of {', '.join(REG_TYPES)}, got {reg_type!r}")
    method.reg_type = reg_type
    if reg_type != "ggdr":
        for flag in ("ggdr_res", "ggdr_weight"):
            _require(args.get(flag) is None, flag, "only valid with --reg_type=ggdr")
        return
    res = int(args["ggdr_res"]) if args.get("ggdr_res") is not None else 64
    _require(8 <= res <= resolution and res & (res - 1) == 0, "ggdr_res",
             f"must be a power of two between 8 and the image resolution {resolution}, got "
             f"{res} (the reference's 64 suits 256x256 and up; use resolution / 4 for small "
             "images, e.g. 8 for 32x32)")
    weight = float(args["ggdr_weight"]) if args.get("ggdr_weight") is not None else 10.0
    _require(weight > 0, "ggdr_weight", f"must be > 0, got {weight}")
    method.ggdr_res = (res,)
    method.ggdr_weight = weight
    method.D_kwargs["decoder_res"] = res


def _impl(value):
    _require(value in IMPLS, "impl", f"must be one of {', '.join(IMPLS)}, got {value!r}")
    return value


def check_xla(options):
    """Raises OptionsError if the run's augmentation cannot be compiled with XLA (--xla)."""
    aug = options.augment
    if aug.mode in ("ada", "fixed") and not xla_compatible(aug.augpipe):
        raise OptionsError(
            f"--xla: --augpipe={aug.augpipe} has the general geometric transforms, whose "
            "padding depends on the drawn transforms and cannot be compiled with XLA; use "
            "--augpipe=blit|color|filter|noise|cutout, --aug=diffaugment or --aug=noaug, or "
            "train without --xla")


def _metric_names(text):
    try:
        return [spec.name for spec in parse_metric_list(text)]
    except ValueError as err:
        raise OptionsError(f"--metrics: {err}") from None


def _augment_options(args):
    """AugmentOptions and the run-name suffix from --aug --p --target --ada_kimg --augpipe."""
    given = {k: args.get(k) for k in ("aug", "p", "target", "ada_kimg", "augpipe")}
    mode = given["aug"] or "ada"
    _require(mode in AUG_MODES, "aug", f"must be one of {', '.join(AUG_MODES)}, got {mode!r}")
    desc = f"-{mode}" if given["aug"] else ""
    if mode == "fixed":
        _require(given["p"] is not None, "p", "is required with --aug=fixed")
    elif given["p"] is not None and mode != "ada":
        raise OptionsError(f"--p: only valid with --aug=fixed or --aug=ada (initial p), not "
                           f"--aug={mode}")
    p = 0.0 if given["p"] is None else float(given["p"])
    _require(0 <= p <= 1, "p", f"must be in [0, 1], got {p}")
    if given["p"] is not None:
        desc += f"-p{p:g}"
    if given["target"] is not None or given["ada_kimg"] is not None:
        flag = "target" if given["target"] is not None else "ada_kimg"
        _require(mode == "ada", flag, f"only valid with --aug=ada, not --aug={mode}")
    target = 0.6 if given["target"] is None else float(given["target"])
    _require(0 <= target <= 1, "target", f"must be in [0, 1], got {target}")
    if given["target"] is not None:
        desc += f"-target{target:g}"
    # The reference speeds ADA up to 100 kimg per unit of p when starting from trained weights.
    ada_kimg = given["ada_kimg"]
    if ada_kimg is None:
        ada_kimg = 100.0 if args.get("init_from") else 500.0
    _require(ada_kimg > 0, "ada_kimg", f"must be > 0, got {ada_kimg}")
    augpipe = given["augpipe"] or "bgc"
    _require(augpipe in AUGPIPE_SPECS, "augpipe",
             f"must be one of {', '.join(AUGPIPE_SPECS)}, got {augpipe!r}")
    if given["augpipe"] is not None:
        _require(mode in ("ada", "fixed"), "augpipe",
                 f"only valid with --aug=ada or --aug=fixed, not --aug={mode}")
        desc += f"-{augpipe}"
    return AugmentOptions(mode=mode, augpipe=augpipe, p=p, target=target,
                          ada_kimg=float(ada_kimg)), desc


# Option fields that name the run or follow the machine it runs on, not what is trained: a
# preset name that expands to the run's values is the run's own.
_NOT_COMPARED = ("desc", "cfg", "num_replicas", "batch_gpu")


def check_resume_args(saved, run_args, args, info):
    """Raises OptionsError if a flag given with --resume differs from the run's own value.

    Each given flag that is not a resumable override is resolved as a new run would resolve
    it: options are built from the run's own flags (`run_args`) with and without the given
    value (the run's replica count and defaults) and compared field by field, so repeating the
    run's flagfile, or a preset name that expands to the run's values, is accepted.

    Args:
        saved: The run's TrainingOptions (training_options.json).
        run_args: The run's own flags, typed ({name: value}; its effective.flags), or None if
            the run has no record of them.
        args: The given flags (None = not given), as for build_options.
        info: DatasetInfo of the run's data.
    """
    given = {k: v for k, v in args.items() if v is not None and k not in RESUMABLE_OVERRIDES}
    if not given:
        return
    allowed = ", ".join("--" + f for f in RESUMABLE_OVERRIDES)
    if run_args is None:
        raise OptionsError(
            f"--resume: the run has no effective.flags to compare "
            f"{', '.join('--' + f for f in given)} with; give only --resume and the flags "
            f"that may change ({allowed})")
    run_args = {k: v for k, v in run_args.items() if v is not None}
    # Defaults that depended on the run's creation, not on its flags: float16 on a GPU, and
    # ADA's faster ada_kimg with --init_from (which is not recorded as a flag).
    has_gpu = not saved.fp32
    init_from = ("ada_kimg" not in run_args and saved.augment.ada_kimg == 100.0
                 or saved.method_name == "cdc")  # CDC runs always start from a source

    def resolve(extra):
        merged = {**run_args, **extra, "init_from": init_from or None}
        if saved.method_name == "nada":
            built = build_nada_options({**merged, "init_from": None}, saved.num_replicas)
        elif saved.method_name == "stargan_v2":
            built = build_stargan_v2_options(merged, info, saved.num_replicas)
        else:
            built = build_options(merged, info, saved.num_replicas, has_gpu)
        fields = json.loads(built.to_json())
        for key in _NOT_COMPARED:
            fields.pop(key)
        return {**fields, "desc": merged.get("desc")}  # only --desc names the run dir

    run = resolve({})
    if not _differences(run, resolve(given)):
        return
    lines = []
    for name, value in given.items():
        try:
            changes = [f"{path}: {_fmt(a)} -> {_fmt(b)}"
                       for path, a, b in _differences(run, resolve({name: value}))]
        except OptionsError as err:
            changes = [str(err)]
        if changes:
            old = _fmt(run_args[name]) if name in run_args else "the default"
            more = ", ..." if len(changes) > 3 else ""
            lines.append(f"  --{name}: the run has {old}, given {_fmt(value)} "
                         f"({', '.join(changes[:3])}{more})")
    if not lines:  # only a combination differs
        lines.append(f"  {', '.join(f'--{k}={_fmt(v)}' for k, v in given.items())} together")
    raise OptionsError(
        "--resume continues the run's own options, and these flags differ from the run's:\n"
        + "\n".join(lines) + "\nStart a new run with --init_from=RUN_DIR to change them (on "
        f"--resume only {allowed} may change).")


def _differences(a, b, path=""):
    """[(path, a value, b value)] where two JSON-like records differ (floats: to 1e-9)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return [d for key in sorted(set(a) | set(b), key=str)
                for d in _differences(a.get(key), b.get(key), f"{path}.{key}".lstrip("."))]
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in _differences(x, y, f"{path}[{i}]")]
    numbers = all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in (a, b))
    same = math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12) if numbers else a == b
    return [] if same else [(path, a, b)]


def _fmt(value):
    return f"{value:g}" if isinstance(value, float) else str(value)


def apply_resume_overrides(options, args, num_replicas):
    """Returns `options` of a resumed run with the schedule flags given on the command line.

    Raises:
        OptionsError: if the replica count changed such that the global batch cannot be split.
    """
    updates = {}
    if args.get("iter") is not None:  # NADA: iterations of the run's batch
        _require(args["iter"] >= 1, "iter", f"must be >= 1, got {args['iter']}")
        updates["total_kimg"] = args["iter"] * options.batch_size / 1000
    if args.get("output_interval") is not None:
        _require(args["output_interval"] >= 1, "output_interval",
                 f"must be >= 1, got {args['output_interval']}")
        updates["kimg_per_tick"] = args["output_interval"] * options.batch_size / 1000
    if args.get("kimg") is not None:
        _require(args["kimg"] > 0, "kimg", f"must be > 0, got {args['kimg']}")
        updates["total_kimg"] = float(args["kimg"])
    if args.get("tick") is not None:
        _require(args["tick"] > 0, "tick", f"must be > 0, got {args['tick']}")
        updates["kimg_per_tick"] = float(args["tick"])
    if args.get("snap") is not None:
        _require(args["snap"] >= 1, "snap", f"must be >= 1, got {args['snap']}")
        updates["snap"] = int(args["snap"])
    if args.get("keep") is not None:
        updates["keep_checkpoints"] = int(args["keep"])
    if args.get("workers") is not None:
        updates["workers"] = int(args["workers"])
    if args.get("metrics") is not None:
        updates["metrics"] = _metric_names(args["metrics"])
    networks = {k: args[k] for k in ("inception", "vgg16", "lpips") if args.get(k) is not None}
    if networks:
        updates["metric_networks"] = {**options.metric_networks, **networks}
    if args.get("cache_dir") is not None:
        updates["metrics_cache"] = args["cache_dir"]
    if args.get("metric_data") is not None:
        updates["metric_data"] = args["metric_data"]
    if args.get("val_data") is not None:  # StarGAN v2's evaluation images
        updates["metric_data"] = args["val_data"]
    if args.get("impl") is not None and options.method is not None:  # kernels, not the math
        impl = _impl(args["impl"])
        updates["method"] = dataclasses.replace(
            options.method, G_kwargs={**options.method.G_kwargs, "impl": impl},
            D_kwargs={**options.method.D_kwargs, "impl": impl})
    _require(options.batch_size % num_replicas == 0, "resume",
             f"the run's global batch {options.batch_size} cannot be split over "
             f"{num_replicas} replicas")
    updates["batch_gpu"] = options.batch_size // num_replicas
    updates["num_replicas"] = num_replicas
    return dataclasses.replace(options, **updates)
