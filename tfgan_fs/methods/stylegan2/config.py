"""StyleGAN2-ADA's settings: the flags, the `--cfg` presets they resolve against, and the config.

`resolve_stylegan2` is the one place where the StyleGAN2 flags meet the presets
(`presets.cfg_spec`, the reference's `cfg_specs` and `auto` formulas): it gives the
`StyleGAN2Config` (network kwargs, optimizers, regularisation, augmentation, EMA) and the run
directory's description, exactly as NVlabs/stylegan2-ada-pytorch `train.py` resolves its
arguments. GGDR (`--reg_type=ggdr`, Lee et al., ECCV 2022) is a setting of this method: it adds
D's decoder and the GGDR term.
"""

import dataclasses
from typing import Optional

from tfgan_fs.augment.presets import AUGPIPE_SPECS
from tfgan_fs.methods.optimizers import AdamConfig
from tfgan_fs.methods.options import (OptionsError, Setting, check_given, require,
                                      resolve_batch_gpu)
from tfgan_fs.methods.stylegan2 import presets

AUG_MODES = ("ada", "noaug", "fixed", "diffaugment")
REG_TYPES = ("none", "ggdr")
IMPLS = ("auto", "ref", "custom")  # tfgan_fs.ops.VALID_IMPLS
OWNER = __name__

SETTINGS = tuple(Setting(*args, owner=OWNER, **kwargs) for *args, kwargs in [
    ("cond", bool, "Train a class-conditional model on the dataset labels.", {}),
    ("mirror", bool, "Add x-flipped copies of the training images.", {}),
    ("cfg", str, "Base configuration (reference presets; default auto, which scales with "
     "resolution and replica count).", dict(choices=presets.CFG_NAMES)),
    ("gamma", float, "R1 regularisation weight (default: preset).", dict(at_least=0)),
    ("cbase", int, "Channel base: channels = min(cbase / resolution, cmax) (default: preset "
     "fmaps x 32768).", dict(at_least=1)),
    ("cmax", int, "Maximum channels per layer (default 512).", dict(at_least=1)),
    ("map", int, "Mapping network depth (default: preset).", dict(at_least=1)),
    ("mbstd_group", int, "Minibatch-std group size (default: preset).", dict(at_least=1)),
    ("glr", float, "G learning rate (default: preset).", dict(above=0)),
    ("dlr", float, "D learning rate (default: preset).", dict(above=0)),
    ("ema", float, "G_ema half-life in kimg (default: preset).", dict(above=0)),
    ("impl", str, "Resampling and bias/activation ops: auto (compiled custom ops where built "
     "and faster, else the pure-TF reference), ref, or custom (error if not built: python "
     "tools/build_ops.py). Default auto; may change on --resume.", dict(choices=IMPLS)),
    ("fp32", bool, "Disable float16 in the top resolutions (default: float16 only when a GPU "
     "is visible).", {}),
    ("aug", str, "D augmentation: ada (adaptive p, default), fixed (constant --p), noaug, or "
     "diffaugment (colour, translation, cutout; always on).", dict(choices=AUG_MODES)),
    ("p", float, "Augmentation probability: required with --aug=fixed; the initial p with "
     "--aug=ada (default 0).", dict(at_least=0, at_most=1)),
    ("target", float, "ADA target for E[sign(D(augmented reals))] (default 0.6).",
     dict(at_least=0, at_most=1)),
    ("ada_kimg", float, "ADA speed: kimg for p to move by 1 (default 500; 100 with "
     "--init_from).", dict(above=0)),
    ("augpipe", str, "Augmentations for ada/fixed, named by initials: blit (flips, 90-degree "
     "rotations, integer shifts), geom (scale, rotation, aniso, fractional shifts), colour, "
     "filter (4 frequency bands), noise, cutout; bgcfnc = all (default bgc).",
     dict(choices=tuple(AUGPIPE_SPECS))),
    ("freezed", int, "Freeze-D: do not train the first N layers of D, counted from the highest "
     "resolution (transfer learning with --init_from; 10-13 are typical). Default 0.",
     dict(at_least=0)),
    ("reg_type", str, "Extra D regularisation: none (default) or ggdr (a U-Net decoder on D "
     "learns to predict G's feature maps of the generated images; GGDR, ECCV 2022).",
     dict(choices=REG_TYPES)),
    ("ggdr_res", int, "GGDR: resolution of the G feature maps D's decoder predicts (default "
     "64, the reference's, for 256x256 and up; use resolution / 4 for small images, e.g. 8 "
     "for 32x32).", {}),
    ("ggdr_weight", float, "GGDR: weight of the feature-reconstruction loss (default 10, as "
     "the reference).", dict(above=0)),
])


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
class StyleGAN2Config:
    """The StyleGAN2 recipe resolved from the flags (defaults are the reference's).

    Attributes:
        G_kwargs, D_kwargs: Network arguments (Generator / Discriminator).
        G_opt, D_opt: Adam settings before the lazy-regularisation correction.
        r1_gamma, pl_weight, pl_batch_shrink, pl_decay: R1 and path-length regularisation.
        style_mixing_prob: Probability of style mixing in the G forwards.
        G_reg_interval, D_reg_interval: Lazy regularisation intervals (None: every step).
        reg_type, ggdr_res, ggdr_weight: GGDR (`reg_type='ggdr'`).
        cfg: The preset the flags resolved against.
        cond, mirror: Class-conditional model; x-flipped copies of the data.
        fp32: No float16 layers.
        ema_kimg, ema_rampup: G_ema half-life in kimg and its ramp-up (None: off).
        augment: D augmentation.
    """
    G_kwargs: dict
    D_kwargs: dict
    G_opt: AdamConfig = AdamConfig()
    D_opt: AdamConfig = AdamConfig()
    r1_gamma: float = 10.0
    pl_weight: float = 2.0
    pl_batch_shrink: int = 2
    pl_decay: float = 0.01
    style_mixing_prob: float = 0.9
    G_reg_interval: Optional[int] = 4
    D_reg_interval: Optional[int] = 16
    reg_type: str = "none"
    ggdr_res: tuple = (64,)
    ggdr_weight: float = 10.0
    cfg: str = "auto"
    cond: bool = False
    mirror: bool = False
    fp32: bool = True
    ema_kimg: float = 10.0
    ema_rampup: Optional[float] = None
    augment: AugmentOptions = dataclasses.field(default_factory=AugmentOptions)


def ema_beta(batch_size, ema_kimg, ema_rampup, cur_nimg):
    """Per-step EMA decay for a half-life of `ema_kimg` thousand images.

    beta = 0.5 ** (batch_size / ema_nimg) with ema_nimg = ema_kimg * 1000, capped at
    cur_nimg * ema_rampup during the ramp-up (NVlabs training_loop.py). With batch 32 and a
    10 kimg half-life beta = 0.997784.
    """
    ema_nimg = ema_kimg * 1000
    if ema_rampup is not None:
        ema_nimg = min(ema_nimg, cur_nimg * ema_rampup)
    return 0.5 ** (batch_size / max(ema_nimg, 1e-8))


@dataclasses.dataclass(frozen=True)
class Resolved:
    """What `resolve_stylegan2` gives: the config, the run's batch (and per-round batch),
    its length, its name."""
    config: StyleGAN2Config
    batch: int
    batch_gpu: int
    kimg: float
    max_images: Optional[int]
    desc: str


def resolve_stylegan2(args, env, config_class=StyleGAN2Config, method_suffix=""):
    """Resolves the StyleGAN2 flags against the `--cfg` preset.

    Args:
        args: {flag: value, None = not given} (the SETTINGS and the general flags).
        env: ResolveEnv (the data's DatasetInfo, replicas, GPU, --init_from).
        config_class: StyleGAN2Config or a subclass (its extra fields keep their defaults).
        method_suffix: Inserted into the run name after GGDR's part ('-mixdl').

    Raises:
        OptionsError: naming the flag, for invalid or inconsistent values.
    """
    check_given(SETTINGS, args)
    info, num_replicas = env.info, env.num_replicas
    get = lambda key, default=None: default if args.get(key) is None else args[key]  # noqa
    cfg = get("cfg", "auto")
    spec = presets.cfg_spec(cfg, info.resolution, num_replicas)
    desc = f"{info.name}"

    cond = bool(get("cond", False))
    if cond:
        require(info.num_classes > 0, "cond", f"dataset {info.name!r} has no labels; build it "
                "with dataset_tool.py --labels=json|folders or train unconditionally")
        desc += "-cond"
    max_images = get("max_images")
    if max_images is not None:
        require(1 <= max_images <= info.count, "max_images",
                f"must be between 1 and the dataset size {info.count}, got {max_images}")
        desc += f"-n{max_images}"
    mirror = bool(get("mirror", False))
    if mirror:
        desc += "-mirror"
    desc += f"-{cfg}" + (str(num_replicas) if cfg == "auto" else "")

    batch = get("batch", spec.mb)
    require(batch >= 1 and batch % num_replicas == 0, "batch",
            f"must be >= 1 and divisible by the number of replicas ({num_replicas}), got {batch}")
    if args.get("batch") is not None:
        desc += f"-batch{batch}"
    batch_gpu = resolve_batch_gpu(args, batch, num_replicas)
    mbstd = get("mbstd_group", spec.mbstd)
    group = min(mbstd, batch_gpu)
    require(batch_gpu % group == 0, "mbstd_group",
            f"the batch of each replica and accumulation round ({batch_gpu}) must be divisible "
            f"by the minibatch-std group size {group} (min(--mbstd_group, --batch_gpu))")

    gamma = float(get("gamma", spec.gamma))
    if args.get("gamma") is not None:
        desc += f"-gamma{gamma:g}"
    kimg = float(get("kimg", spec.kimg))
    if args.get("kimg") is not None:
        desc += f"-kimg{kimg:g}"

    channel_base = int(get("cbase", int(spec.fmaps * 32768)))
    channel_max = int(get("cmax", 512))
    mapping_layers = int(get("map", spec.map))
    glr = float(get("glr", spec.lrate))
    dlr = float(get("dlr", spec.lrate))
    ema_kimg = float(get("ema", spec.ema))

    fp32 = get("fp32")
    fp32 = (not env.has_gpu) if fp32 is None else bool(fp32)
    num_fp16_res = 0 if fp32 else 4
    conv_clamp = None if fp32 else 256
    impl = get("impl", "auto")

    G_kwargs = dict(z_dim=512, w_dim=512, mapping_kwargs=dict(num_layers=mapping_layers),
                    synthesis_kwargs=dict(channel_base=channel_base, channel_max=channel_max,
                                          num_fp16_res=num_fp16_res, conv_clamp=conv_clamp),
                    impl=impl)
    D_kwargs = dict(channel_base=channel_base, channel_max=channel_max,
                    num_fp16_res=num_fp16_res, conv_clamp=conv_clamp,
                    epilogue_kwargs=dict(mbstd_group_size=mbstd), impl=impl)
    augment, aug_desc = _augment_options(args, env.init_from)
    config = config_class(G_kwargs=G_kwargs, D_kwargs=D_kwargs, G_opt=AdamConfig(lr=glr),
                          D_opt=AdamConfig(lr=dlr), r1_gamma=gamma, cfg=cfg, cond=cond,
                          mirror=mirror, fp32=fp32, ema_kimg=ema_kimg, ema_rampup=spec.ramp,
                          augment=augment)
    if cfg == "cifar":
        config.pl_weight = 0.0
        config.style_mixing_prob = 0.0
        config.D_kwargs["architecture"] = "orig"
    desc += aug_desc
    _ggdr_options(args, config, info.resolution)
    if config.reg_type == "ggdr":
        desc += f"-ggdr{config.ggdr_res[0]}"
    desc += method_suffix
    freezed = int(get("freezed", 0))
    if freezed:
        D_kwargs["block_kwargs"] = dict(freeze_layers=freezed)
        desc += f"-freezed{freezed}"
    return Resolved(config=config, batch=batch, batch_gpu=batch_gpu, kimg=kimg,
                    max_images=max_images, desc=desc)


def _ggdr_options(args, config, resolution):
    """--reg_type --ggdr_res --ggdr_weight into the config and D's decoder."""
    reg_type = args.get("reg_type") or "none"
    config.reg_type = reg_type
    if reg_type != "ggdr":
        for flag in ("ggdr_res", "ggdr_weight"):
            require(args.get(flag) is None, flag, "only valid with --reg_type=ggdr")
        return
    res = int(args["ggdr_res"]) if args.get("ggdr_res") is not None else 64
    require(8 <= res <= resolution and res & (res - 1) == 0, "ggdr_res",
            f"must be a power of two between 8 and the image resolution {resolution}, got "
            f"{res} (the reference's 64 suits 256x256 and up; use resolution / 4 for small "
            "images, e.g. 8 for 32x32)")
    weight = float(args["ggdr_weight"]) if args.get("ggdr_weight") is not None else 10.0
    config.ggdr_res = (res,)
    config.ggdr_weight = weight
    config.D_kwargs["decoder_res"] = res


def _augment_options(args, init_from):
    """AugmentOptions and the run-name suffix from --aug --p --target --ada_kimg --augpipe."""
    given = {k: args.get(k) for k in ("aug", "p", "target", "ada_kimg", "augpipe")}
    mode = given["aug"] or "ada"
    desc = f"-{mode}" if given["aug"] else ""
    if mode == "fixed":
        require(given["p"] is not None, "p", "is required with --aug=fixed")
    elif given["p"] is not None and mode != "ada":
        raise OptionsError(f"--p: only valid with --aug=fixed or --aug=ada (initial p), not "
                           f"--aug={mode}")
    p = 0.0 if given["p"] is None else float(given["p"])
    if given["p"] is not None:
        desc += f"-p{p:g}"
    if given["target"] is not None or given["ada_kimg"] is not None:
        flag = "target" if given["target"] is not None else "ada_kimg"
        require(mode == "ada", flag, f"only valid with --aug=ada, not --aug={mode}")
    target = 0.6 if given["target"] is None else float(given["target"])
    if given["target"] is not None:
        desc += f"-target{target:g}"
    # The reference speeds ADA up to 100 kimg per unit of p when starting from trained weights.
    ada_kimg = given["ada_kimg"]
    if ada_kimg is None:
        ada_kimg = 100.0 if init_from else 500.0
    augpipe = given["augpipe"] or "bgc"
    if given["augpipe"] is not None:
        require(mode in ("ada", "fixed"), "augpipe",
                f"only valid with --aug=ada or --aug=fixed, not --aug={mode}")
        desc += f"-{augpipe}"
    return AugmentOptions(mode=mode, augpipe=augpipe, p=p, target=target,
                          ada_kimg=float(ada_kimg)), desc
