"""CLIP models with random weights and a small tokenizer, for timing and tests (no download).

`vit_b32` has OpenAI ViT-B/32's sizes (vision: patch 32, width 768, 12 layers, 12 heads, MLP
3072, 224x224; text: vocabulary 49408, width 512, 12 layers, 8 heads, MLP 2048, 77 tokens;
projection 512: 151M parameters) for `tools/benchmark.py --op=nada`; `tiny` is a 32x32,
one-layer model for tests. Both tokenize with a character-level vocabulary (every character
alone and word-final, a few merges, the start and end tokens last: CLIP pools the text at the
highest id, the end token); the text encoder keeps its nominal vocabulary size where given.
"""

import string

import keras

CLIP_SIZES = {
    "vit_b32": dict(
        vision=dict(patch_size=32, hidden_dim=768, num_layers=12, num_heads=12,
                    intermediate_dim=3072, image_shape=(224, 224, 3)),
        text=dict(vocabulary_size=49408, embedding_dim=512, hidden_dim=512, num_layers=12,
                  num_heads=8, intermediate_dim=2048, max_sequence_length=77),
        projection_dim=512),
    "tiny": dict(
        vision=dict(patch_size=8, hidden_dim=16, num_layers=1, num_heads=2,
                    intermediate_dim=32, image_shape=(32, 32, 3)),
        text=dict(vocabulary_size=None, embedding_dim=16, hidden_dim=16, num_layers=1,
                  num_heads=2, intermediate_dim=32, max_sequence_length=77),
        projection_dim=8),
}
CHARACTERS = string.ascii_lowercase + ".,'-!?0123456789"
MERGES = ["p h", "o t</w>", "ph o</w>", "s k", "e t", "c h</w>"]


def small_vocabulary():
    """{token: id} of the character-level tokenizer (see the module docstring)."""
    vocab = {}
    for suffix in ("", "</w>"):
        for c in CHARACTERS:
            vocab[c + suffix] = len(vocab)
    for merge in MERGES:
        vocab.setdefault(merge.replace(" ", ""), len(vocab))
    vocab["<|startoftext|>"] = len(vocab)
    vocab["<|endoftext|>"] = len(vocab)
    return vocab


def random_clip(size="tiny", seed=0):
    """(CLIPBackbone, CLIPPreprocessor) of `size` (a CLIP_SIZES key) with random weights."""
    import keras_hub  # noqa: PLC0415 (heavy import)

    spec = CLIP_SIZES[size]
    keras.utils.set_random_seed(seed)
    vocab = small_vocabulary()
    tokenizer = keras_hub.models.CLIPTokenizer(vocabulary=vocab, merges=MERGES)
    preprocessor = keras_hub.models.CLIPPreprocessor(
        tokenizer=tokenizer, sequence_length=spec["text"]["max_sequence_length"])
    vision = keras_hub.models.CLIPVisionEncoder(**spec["vision"])
    text = keras_hub.models.CLIPTextEncoder(
        **{**spec["text"], "vocabulary_size": spec["text"]["vocabulary_size"] or len(vocab)})
    backbone = keras_hub.models.CLIPBackbone(vision, text, projection_dim=spec["projection_dim"])
    return backbone, preprocessor


def save_random_clip_preset(path, size="tiny", seed=0):
    """Writes a random CLIP of `size` as a keras-hub preset folder; returns `path`."""
    backbone, preprocessor = random_clip(size, seed)
    backbone.save_to_preset(str(path))
    preprocessor.save_to_preset(str(path))
    return path
