"""The tests' CLIP: a tiny keras-hub CLIP with random weights saved as a local preset folder
(`tfgan_fs.clip.random_clip`, size 'tiny': 32x32 input, one layer, 8-dim embeddings)."""

from tfgan_fs.clip.random_clip import save_random_clip_preset


def make_tiny_clip_preset(path, seed=0):
    """Writes the tiny CLIP preset to `path`; returns `path`."""
    return save_random_clip_preset(path, "tiny", seed)
