"""What is optimised: Methods (recipes) built from Phases and Terms."""

from tfgan_fs.methods.base import (DOutput, GenOutput, Method, Phase, StepContext, Term,
                                   TermResult)
from tfgan_fs.methods.optimizers import AdamConfig, lazy_regularization_adam
from tfgan_fs.methods.stylegan2 import StyleGAN2, StyleGAN2Config

__all__ = ["AdamConfig", "DOutput", "GenOutput", "Method", "Phase", "StepContext", "StyleGAN2",
           "StyleGAN2Config", "Term", "TermResult", "lazy_regularization_adam"]
