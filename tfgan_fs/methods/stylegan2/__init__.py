"""The StyleGAN2 recipe (StyleGAN2-ADA, GGDR): its config, terms, Method and spec."""

from tfgan_fs.methods.stylegan2.config import AugmentOptions, StyleGAN2Config, ema_beta
from tfgan_fs.methods.stylegan2.method import StyleGAN2
from tfgan_fs.methods.stylegan2.spec import SPEC, StyleGAN2Spec

__all__ = ["AugmentOptions", "SPEC", "StyleGAN2", "StyleGAN2Config", "StyleGAN2Spec",
           "ema_beta"]
