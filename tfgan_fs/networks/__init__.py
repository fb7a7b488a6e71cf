"""Network architectures."""

from tfgan_fs.networks.stylegan2 import (Discriminator, Generator, MappingNetwork,
                                         SynthesisNetwork)

__all__ = ["Discriminator", "Generator", "MappingNetwork", "SynthesisNetwork"]
