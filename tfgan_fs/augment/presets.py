"""`--augpipe` presets: which transforms a pipeline enables (the reference's `augpipe_specs`),
and the augmentation that `--aug` selects."""

from tfgan_fs.augment.augment_pipe import AugmentPipe
from tfgan_fs.augment.diffaugment import DiffAugment

_BLIT = dict(xflip=1, rotate90=1, xint=1)
_GEOM = dict(scale=1, rotate=1, aniso=1, xfrac=1)
_COLOR = dict(brightness=1, contrast=1, lumaflip=1, hue=1, saturation=1)

AUGPIPE_SPECS = {
    "blit": _BLIT,
    "geom": _GEOM,
    "color": _COLOR,
    "filter": dict(imgfilter=1),
    "noise": dict(noise=1),
    "cutout": dict(cutout=1),
    "bg": {**_BLIT, **_GEOM},
    "bgc": {**_BLIT, **_GEOM, **_COLOR},
    "bgcf": {**_BLIT, **_GEOM, **_COLOR, "imgfilter": 1},
    "bgcfn": {**_BLIT, **_GEOM, **_COLOR, "imgfilter": 1, "noise": 1},
    "bgcfnc": {**_BLIT, **_GEOM, **_COLOR, "imgfilter": 1, "noise": 1, "cutout": 1},
}


def xla_compatible(name):
    """Whether preset `name` compiles with XLA: everything but the general geometric stage,
    whose reflect padding depends on the drawn transforms (a data-dependent shape)."""
    return not any(key in AUGPIPE_SPECS[name] for key in _GEOM)


def augpipe_kwargs(name):
    """The AugmentPipe multipliers of preset `name` (a fresh dict)."""
    if name not in AUGPIPE_SPECS:
        raise ValueError(f"--augpipe must be one of {', '.join(AUGPIPE_SPECS)}, got {name!r}")
    return dict(AUGPIPE_SPECS[name])


def make_augment(mode, augpipe="bgc", p=0.0):
    """The D augmentation for `--aug=mode`: an AugmentPipe ('ada', 'fixed'), DiffAugment, or None.

    Build it inside the strategy scope (p is a variable).
    """
    if mode in ("ada", "fixed"):
        return AugmentPipe(**augpipe_kwargs(augpipe), initial_p=p, name="augment_pipe")
    if mode == "diffaugment":
        return DiffAugment(name="diffaugment")
    if mode == "noaug":
        return None
    raise ValueError(f"unknown augmentation mode {mode!r}")
