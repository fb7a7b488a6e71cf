"""Discriminator augmentation: ADA's AugmentPipe and p controller, and DiffAugment."""

from tfgan_fs.augment.ada_controller import AdaController
from tfgan_fs.augment.augment_pipe import AugmentPipe
from tfgan_fs.augment.diffaugment import DiffAugment
from tfgan_fs.augment.presets import AUGPIPE_SPECS, augpipe_kwargs, make_augment

__all__ = ["AUGPIPE_SPECS", "AdaController", "AugmentPipe", "DiffAugment", "augpipe_kwargs",
           "make_augment"]
