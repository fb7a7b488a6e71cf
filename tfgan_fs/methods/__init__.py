"""What is optimised: Methods (recipes) built from Phases and Terms, and the specs and registry
that turn `--method=NAME` and its flags into them."""

from tfgan_fs.methods.base import Method, Phase, StepContext, Term, TermResult
from tfgan_fs.methods.cdc import CDC, CDCConfig
from tfgan_fs.methods.generator_method import DOutput, GenOutput, GeneratorMethod
from tfgan_fs.methods.mixdl import MixDL, MixDLConfig
from tfgan_fs.methods.nada import NADA, NADAConfig, load_clip_models
from tfgan_fs.methods.optimizers import AdamConfig, TorchAdam, lazy_regularization_adam
from tfgan_fs.methods.options import OptionsError, Schedule, TrainingOptions
from tfgan_fs.methods.registry import BUILTIN, Registry
from tfgan_fs.methods.spec import MethodSpec, ResolveEnv
from tfgan_fs.methods.stargan_v2 import StarGANv2, StarGANv2Config, load_fan
from tfgan_fs.methods.stylegan2 import AugmentOptions, StyleGAN2, StyleGAN2Config

__all__ = ["AdamConfig", "AugmentOptions", "BUILTIN", "CDC", "CDCConfig", "DOutput",
           "GenOutput", "GeneratorMethod", "Method", "MethodSpec", "MixDL", "MixDLConfig",
           "NADA", "NADAConfig", "OptionsError", "Phase", "Registry", "ResolveEnv", "Schedule",
           "StarGANv2", "StarGANv2Config", "StepContext", "StyleGAN2", "StyleGAN2Config",
           "Term", "TermResult", "TorchAdam", "TrainingOptions", "lazy_regularization_adam",
           "load_clip_models", "load_fan"]
