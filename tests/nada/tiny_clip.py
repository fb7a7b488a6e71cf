"""A tiny keras-hub CLIP (random weights, a character-level vocabulary) saved as a local preset
folder, for tests: nothing is downloaded."""

import string

import keras
import keras_hub

CHARS = string.ascii_lowercase + ".,'-!?0123456789"
MERGES = ["p h", "o t</w>", "ph o</w>", "s k", "e t", "c h</w>"]


def tiny_vocabulary():
    """{token: id} with every character (alone and word-final), a few merges and the start and
    end tokens last (CLIP pools the text at the highest id, the end token)."""
    vocab = {}
    for suffix in ("", "</w>"):
        for c in CHARS:
            vocab[c + suffix] = len(vocab)
    for merge in MERGES:
        vocab.setdefault(merge.replace(" ", ""), len(vocab))
    vocab["<|startoftext|>"] = len(vocab)
    vocab["<|endoftext|>"] = len(vocab)
    return vocab


def make_tiny_clip_preset(path, image_size=32, patch_size=8, dim=16, projection_dim=8, seed=0,
                          layers=1, heads=2):
    """Writes a keras-hub CLIP preset (backbone + preprocessor) to `path`; returns `path`."""
    keras.utils.set_random_seed(seed)
    vocab = tiny_vocabulary()
    tokenizer = keras_hub.models.CLIPTokenizer(vocabulary=vocab, merges=MERGES)
    preprocessor = keras_hub.models.CLIPPreprocessor(tokenizer=tokenizer, sequence_length=77)
    vision = keras_hub.models.CLIPVisionEncoder(
        patch_size=patch_size, hidden_dim=dim, num_layers=layers, num_heads=heads,
        intermediate_dim=2 * dim, image_shape=(image_size, image_size, 3))
    text = keras_hub.models.CLIPTextEncoder(
        vocabulary_size=len(vocab), embedding_dim=dim, hidden_dim=dim, num_layers=layers,
        num_heads=heads, intermediate_dim=2 * dim, max_sequence_length=77)
    backbone = keras_hub.models.CLIPBackbone(vision, text, projection_dim=projection_dim)
    backbone.save_to_preset(str(path))
    preprocessor.save_to_preset(str(path))
    return path
