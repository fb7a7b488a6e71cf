"""What is optimised: Methods (recipes) built from Phases and Terms."""

import dataclasses

from tfgan_fs.methods.base import (DOutput, GenOutput, Method, Phase, StepContext, Term,
                                   TermResult)
from tfgan_fs.methods.cdc import CDC, CDCConfig
from tfgan_fs.methods.mixdl import MixDL, MixDLConfig
from tfgan_fs.methods.nada import NADA, NADAConfig, load_clip_models
from tfgan_fs.methods.optimizers import AdamConfig, lazy_regularization_adam
from tfgan_fs.methods.stylegan2 import StyleGAN2, StyleGAN2Config

FEWSHOT_CONFIGS = {"mixdl": MixDLConfig, "cdc": CDCConfig, "nada": NADAConfig}
METHOD_NAMES = ("stylegan2", *FEWSHOT_CONFIGS)


def build_method(name, config, fewshot=None, seed=0, log=print, **kwargs):
    """The Method `name` ('stylegan2', 'mixdl', 'cdc' or 'nada') from its StyleGAN2Config and,
    for the other methods, the dict of their config's fields; `kwargs` as StyleGAN2's (NADA
    builds its networks from its source generator and takes none)."""
    if name == "stylegan2":
        return StyleGAN2(config, **kwargs)
    if name == "nada":
        nada = NADAConfig(**(fewshot or {}))
        return NADA(nada, load_clip_models(nada.clip_models, nada.clip_model_weights, log),
                    seed=seed, log=log)
    if name not in FEWSHOT_CONFIGS:
        raise ValueError(f"unknown method {name!r}; one of {', '.join(METHOD_NAMES)}")
    fewshot = FEWSHOT_CONFIGS[name](**(fewshot or {}))
    if name == "mixdl":
        return MixDL(config, fewshot, **kwargs)
    return CDC(config, fewshot, seed=seed, **kwargs)


def fewshot_defaults(name):
    """The default fields of method `name`'s few-shot config ({} for StyleGAN2)."""
    return dataclasses.asdict(FEWSHOT_CONFIGS[name]()) if name in FEWSHOT_CONFIGS else {}


__all__ = ["AdamConfig", "CDC", "CDCConfig", "DOutput", "GenOutput", "METHOD_NAMES", "Method",
           "MixDL", "MixDLConfig", "NADA", "NADAConfig", "Phase", "StepContext", "StyleGAN2",
           "StyleGAN2Config", "Term", "TermResult", "build_method", "fewshot_defaults",
           "lazy_regularization_adam", "load_clip_models"]
