"""StyleGAN2-ADA training presets (`--cfg`), exactly the reference's `cfg_specs`.

Source: NVlabs/stylegan2-ada-pytorch `train.py` (`cfg_specs` and the `auto` formulas). Columns:
ref_gpus (GPUs the batch was tuned for), kimg (training length), mb (global batch), mbstd (group
size of minibatch-std), fmaps (channel_base = fmaps * 32768), lrate, gamma (R1), ema (half-life
in kimg), ramp (EMA ramp-up, None = off), map (mapping layers).
"""

import dataclasses
from typing import Optional


@dataclasses.dataclass(frozen=True)
class CfgSpec:
    """One row of the preset table (see the module docstring for the columns)."""
    ref_gpus: int
    kimg: float
    mb: int
    mbstd: int
    fmaps: float
    lrate: float
    gamma: float
    ema: float
    ramp: Optional[float]
    map: int


CFG_SPECS = {
    "stylegan2": CfgSpec(ref_gpus=8, kimg=25000, mb=32, mbstd=4, fmaps=1, lrate=0.002, gamma=10,
                         ema=10, ramp=None, map=8),
    "paper256": CfgSpec(ref_gpus=8, kimg=25000, mb=64, mbstd=8, fmaps=0.5, lrate=0.0025, gamma=1,
                        ema=20, ramp=None, map=8),
    "paper512": CfgSpec(ref_gpus=8, kimg=25000, mb=64, mbstd=8, fmaps=1, lrate=0.0025, gamma=0.5,
                        ema=20, ramp=None, map=8),
    "paper1024": CfgSpec(ref_gpus=8, kimg=25000, mb=32, mbstd=4, fmaps=1, lrate=0.002, gamma=2,
                         ema=10, ramp=None, map=8),
    "cifar": CfgSpec(ref_gpus=2, kimg=100000, mb=64, mbstd=32, fmaps=1, lrate=0.0025,
                     gamma=0.01, ema=500, ramp=0.05, map=2),
}

CFG_NAMES = ("auto",) + tuple(CFG_SPECS)


def auto_spec(resolution, gpus):
    """The `--cfg=auto` row for a resolution and GPU count (reference formulas).

    mb = max(min(gpus * min(4096 // res, 32), 64), gpus); mbstd = min(mb // gpus, 4);
    fmaps = 1 if res >= 512 else 0.5; lrate = 0.002 if res >= 1024 else 0.0025;
    gamma = 0.0002 * res^2 / mb; ema = mb * 10 / 32; ramp 0.05; 2 mapping layers.
    """
    mb = max(min(gpus * min(4096 // resolution, 32), 64), gpus)
    return CfgSpec(ref_gpus=gpus, kimg=25000, mb=mb, mbstd=min(mb // gpus, 4),
                   fmaps=1 if resolution >= 512 else 0.5,
                   lrate=0.002 if resolution >= 1024 else 0.0025,
                   gamma=0.0002 * resolution ** 2 / mb, ema=mb * 10 / 32, ramp=0.05, map=2)


def cfg_spec(cfg, resolution, gpus):
    """Returns the CfgSpec of preset `cfg` ('auto' depends on resolution and GPU count)."""
    if cfg == "auto":
        return auto_spec(resolution, gpus)
    if cfg not in CFG_SPECS:
        raise ValueError(f"--cfg must be one of {', '.join(CFG_NAMES)}; got {cfg!r}")
    return CFG_SPECS[cfg]
