"""What is optimised: Methods (recipes) built from Phases and Terms."""

import dataclasses

from tfgan_fs.methods.base import (DOutput, GenOutput, Method, Phase, StepContext, Term,
                                   TermResult)
from tfgan_fs.methods.cdc import CDC, CDCConfig
from tfgan_fs.methods.mixdl import MixDL, MixDLConfig
from tfgan_fs.methods.nada import NADA, NADAConfig, load_clip_models
from tfgan_fs.methods.optimizers import AdamConfig, TorchAdam, lazy_regularization_adam
from tfgan_fs.methods.stargan_v2 import StarGANv2, StarGANv2Config, load_fan
from tfgan_fs.methods.stylegan2 import StyleGAN2, StyleGAN2Config

FEWSHOT_CONFIGS = {"mixdl": MixDLConfig, "cdc": CDCConfig, "nada": NADAConfig,
                   "stargan_v2": StarGANv2Config}
METHOD_NAMES = ("stylegan2", *FEWSHOT_CONFIGS)


def build_method(name, config, fewshot=None, seed=0, log=print, **kwargs):
    """The Method `name` ('stylegan2', 'mixdl', 'cdc', 'nada' or 'stargan_v2') from its
    StyleGAN2Config and, for the other methods, the dict of their config's fields; `kwargs` as
    StyleGAN2's (NADA builds its networks from its source generator, StarGAN v2 from its config,
    and they take none)."""
    if name == "stylegan2":
        return StyleGAN2(config, **kwargs)
    if name == "nada":
        nada = NADAConfig(**(fewshot or {}))
        return NADA(nada, load_clip_models(nada.clip_models, nada.clip_model_weights, log),
                    seed=seed, log=log)
    if name == "stargan_v2":
        cfg = StarGANv2Config(**{**(fewshot or {}),
                                 "domain_names": tuple((fewshot or {}).get("domain_names", ()))})
        return StarGANv2(cfg, fan=load_fan(cfg.wing, log) if cfg.w_hpf > 0 else None, log=log)
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
           "StarGANv2", "StarGANv2Config", "StyleGAN2Config", "Term", "TermResult",
           "TorchAdam", "build_method", "fewshot_defaults",
           "lazy_regularization_adam", "load_clip_models"]
