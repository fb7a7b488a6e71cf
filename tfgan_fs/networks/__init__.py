"""Network architectures."""

from tfgan_fs.networks.stylegan2 import (Discriminator, Generator, MappingNetwork,
                                         SynthesisNetwork, default_patch_res, patch_candidates)

__all__ = ["Discriminator", "Generator", "MappingNetwork", "SynthesisNetwork",
           "default_patch_res", "patch_candidates"]
