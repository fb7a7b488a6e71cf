"""StarGAN v2: its config, terms, Method and spec."""

from tfgan_fs.methods.stargan_v2.config import StarGANv2Config
from tfgan_fs.methods.stargan_v2.method import StarGANv2, build_networks, load_fan
from tfgan_fs.methods.stargan_v2.spec import SPEC, StarGANv2Spec

__all__ = ["SPEC", "StarGANv2", "StarGANv2Config", "StarGANv2Spec", "build_networks",
           "load_fan"]
