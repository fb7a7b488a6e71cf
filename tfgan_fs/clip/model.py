"""CLIP (Radford et al., ICML 2021) from keras-hub, as StyleGAN-NADA uses it.

`ClipModel` wraps a `keras_hub.models.CLIPBackbone` and its `CLIPPreprocessor` (tokenizer),
loaded from a keras-hub preset name (`clip_vit_base_patch32`, downloaded by keras-hub into its
cache) or from a local preset folder (`backbone.save_to_preset(dir)` and
`preprocessor.save_to_preset(dir)`). Generator images go through `clip_preprocess` (the
reference's differentiable resize, crop and normalisation) before the vision tower; texts are
tokenized as OpenAI's `clip.tokenize` (start and end tokens, padded to 77).
"""

import os
import pathlib

import numpy as np
import tensorflow as tf

from tfgan_fs.clip.preprocess import clip_preprocess

PRESET_NAMES = ("clip_vit_base_patch32", "clip_vit_base_patch16", "clip_vit_large_patch14",
                "clip_vit_large_patch14_336", "clip_vit_b_32_laion2b_s34b_b79k",
                "clip_vit_h_14_laion2b_s32b_b79k")
TEXT_BATCH = 32  # texts per text-tower call when embedding the templates


class ClipLoadError(ValueError):
    """A CLIP preset is missing or cannot be loaded."""


def _how_to_get(preset):
    return (f"download the keras-hub preset once on a machine with internet access, e.g. "
            f"`python -c \"import keras_hub as h; n='{preset}'; "
            f"h.models.CLIPBackbone.from_preset(n).save_to_preset(n); "
            f"h.models.CLIPPreprocessor.from_preset(n).save_to_preset(n)\"`, and pass the "
            "folder (--clip_models=/path/to/folder)")


def resolve_preset(preset):
    """Checks a preset name or folder before loading; returns it (a folder as a str path)."""
    path = pathlib.Path(os.path.expanduser(str(preset)))
    if path.is_dir():
        if not (path / "config.json").exists():
            raise ClipLoadError(f"CLIP preset folder {path} has no config.json; it is not a "
                                f"keras-hub preset: {_how_to_get('clip_vit_base_patch32')}")
        return str(path)
    if str(preset) in PRESET_NAMES:
        return str(preset)
    raise ClipLoadError(f"CLIP preset {preset!r} is neither a folder nor a keras-hub CLIP preset "
                        f"name ({', '.join(PRESET_NAMES)}); "
                        + _how_to_get("clip_vit_base_patch32"))


class ClipModel:
    """A CLIP model: `encode_images` (differentiable) and `encode_texts`.

    Args:
        backbone: `keras_hub.models.CLIPBackbone` (frozen here).
        preprocessor: `keras_hub.models.CLIPPreprocessor` (its tokenizer and sequence length).
        name: Name used in stats and logs.
    """

    def __init__(self, backbone, preprocessor, name):
        self.backbone = backbone
        self.backbone.trainable = False
        self.preprocessor = preprocessor
        self.name = name
        self.input_size = int(backbone.vision_encoder.image_shape[0])
        self.embedding_dim = int(backbone.projection_dim)

    @classmethod
    def from_preset(cls, preset):
        """Loads a keras-hub preset name or local preset folder (see `resolve_preset`)."""
        import keras_hub  # noqa: PLC0415 (heavy import, only where CLIP is used)

        source = resolve_preset(preset)
        try:
            backbone = keras_hub.models.CLIPBackbone.from_preset(source)
            preprocessor = keras_hub.models.CLIPPreprocessor.from_preset(source)
        except Exception as err:  # keras-hub raises many types (network, file, config)
            raise ClipLoadError(f"could not load CLIP preset {preset!r}: {err}. If this machine "
                                "has no internet access, " + _how_to_get(preset)) from err
        return cls(backbone, preprocessor, name=pathlib.Path(str(preset)).name)

    def encode_images(self, images):
        """[B, D] image embeddings (not normalised) of generator images, NHWC in [-1, 1]."""
        x = clip_preprocess(images, size=self.input_size)
        return self.backbone.get_vision_embeddings(x)

    def tokenize(self, texts):
        """[T, sequence_length] int32 token ids, as OpenAI's `clip.tokenize`."""
        out = self.preprocessor({"images": None, "prompts": tf.constant(list(texts))})
        return out["token_ids"]

    def encode_texts(self, texts):
        """[T, D] text embeddings (not normalised), as a float32 NumPy array."""
        texts = list(texts)
        chunks = [self.backbone.get_text_embeddings(self.tokenize(texts[i:i + TEXT_BATCH]))
                  for i in range(0, len(texts), TEXT_BATCH)]
        return np.concatenate([np.asarray(c, np.float32) for c in chunks])

    def encode_image_arrays(self, arrays):
        """[N, D] embeddings of already preprocessed images (`preprocess_pil` outputs)."""
        x = tf.constant(np.stack(arrays).astype(np.float32))
        return np.asarray(self.backbone.get_vision_embeddings(x), np.float32)
