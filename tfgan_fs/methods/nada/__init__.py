"""StyleGAN-NADA: its config, term, Method and spec."""

from tfgan_fs.methods.nada.config import PHASES, NADAConfig
from tfgan_fs.methods.nada.method import (NADA, load_clip_models, load_source_generator,
                                          phase_layers, selection_candidates,
                                          synthesis_layer_groups)
from tfgan_fs.methods.nada.spec import SPEC, NADASpec

__all__ = ["NADA", "NADAConfig", "NADASpec", "PHASES", "SPEC", "load_clip_models",
           "load_source_generator", "phase_layers", "selection_candidates",
           "synthesis_layer_groups"]
