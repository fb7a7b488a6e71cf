"""Image-to-image translation (StarGAN v2): the inference networks of a run and what uses them."""

from tfgan_fs.translation.translator import (TRAINED_KEYS, Translator, TranslatorLoadError,
                                             load_translator)

__all__ = ["TRAINED_KEYS", "Translator", "TranslatorLoadError", "load_translator"]
