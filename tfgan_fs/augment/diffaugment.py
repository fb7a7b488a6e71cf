"""DiffAugment (Zhao et al., "Differentiable Augmentation for Data-Efficient GAN Training",
NeurIPS 2020): colour, translation and cutout applied to every image D sees, always on.

Semantics of the authors' TensorFlow implementation (mit-han-lab/data-efficient-gans):
- color: brightness + U(-0.5, 0.5); saturation (x - mean_c) * U(0, 2) + mean_c; contrast
  (x - mean) * U(0.5, 1.5) + mean;
- translation: integer shifts up to 1/8 of the size (round(size / 8)) per axis, zero fill;
- cutout: one zero square of side round(size / 2) at a random centre (clipped at the border).

Feature maps aligned with the image (GGDR's generator features; the authors' code has no GGDR
variant) follow the translation only: each is shifted by the image's shift rescaled to its
resolution and rounded to whole pixels, with zero fill. Colour and cutout change what the image
looks like, not where things are, so features are left as they are, as ADA's colour, filter,
noise and cutout stages do.
"""

import keras
import tensorflow as tf

from tfgan_fs import rng

POLICIES = ("color", "translation", "cutout")


@keras.saving.register_keras_serializable(package="tfgan_fs")
class DiffAugment(keras.layers.Layer):
    """Differentiable augmentation with a comma-separated `policy` (default all three).

    Call: `layer(images, seed=None, features=None)` with NHWC images; returns augmented images,
    or `(images, features)` when `features` (a dict or list of NHWC maps aligned with the image)
    is given.
    """

    def __init__(self, policy="color,translation,cutout", translation_ratio=0.125,
                 cutout_ratio=0.5, **kwargs):
        kwargs.setdefault("autocast", False)
        super().__init__(**kwargs)
        self.policy = policy
        self.policies = [p.strip() for p in policy.split(",") if p.strip()]
        for p in self.policies:
            if p not in POLICIES:
                raise ValueError(f"DiffAugment policy {p!r} is not one of {POLICIES}")
        self.translation_ratio = float(translation_ratio)
        self.cutout_ratio = float(cutout_ratio)

    def get_config(self):
        return {**super().get_config(), "policy": self.policy,
                "translation_ratio": self.translation_ratio, "cutout_ratio": self.cutout_ratio}

    def call(self, images, seed=None, features=None):
        if seed is None:
            seed = tf.random.uniform([2], maxval=2 ** 31 - 1, dtype=tf.int64)
        n = images.shape[0] if images.shape[0] is not None else tf.shape(images)[0]
        keys = None if features is None else (
            list(features) if isinstance(features, dict) else range(len(features)))
        maps = [] if features is None else [features[k] for k in keys]
        for policy in self.policies:
            policy_seed = rng.fold(seed, policy)
            if policy == "translation":
                shift = self._translation_shift(images, policy_seed, n)
                maps = [self._translate(f, shift, images.shape[1]) for f in maps]
                images = self._translate(images, shift, images.shape[1])
            else:
                images = getattr(self, "_" + policy)(images, policy_seed, n)
        if features is None:
            return images
        if isinstance(features, dict):
            return images, dict(zip(keys, maps))
        return images, maps

    def _color(self, x, seed, n):
        def u(name):
            return tf.cast(rng.uniform(rng.fold(seed, name), [n, 1, 1, 1]), x.dtype)
        x = x + (u("brightness") - 0.5)
        mean = tf.reduce_mean(x, axis=3, keepdims=True)
        x = (x - mean) * (u("saturation") * 2) + mean
        mean = tf.reduce_mean(x, axis=[1, 2, 3], keepdims=True)
        return (x - mean) * (u("contrast") + 0.5) + mean

    def _translation_shift(self, x, seed, n):
        """Integer shifts (ty, tx), each [N, 1], in pixels of `x`."""
        height, width = x.shape[1], x.shape[2]
        shift_y = int(height * self.translation_ratio + 0.5)
        shift_x = int(width * self.translation_ratio + 0.5)
        ty = rng.uniform(rng.fold(seed, "y"), [n, 1], -shift_y, shift_y + 1, tf.int32)
        tx = rng.uniform(rng.fold(seed, "x"), [n, 1], -shift_x, shift_x + 1, tf.int32)
        return ty, tx

    def _translate(self, x, shift, image_size):
        """Shifts x by `shift` (image pixels) rescaled to x's size and rounded; zero fill."""
        height, width = x.shape[1], x.shape[2]
        ty, tx = shift
        if height != image_size:
            scale = height / image_size
            ty = tf.cast(tf.round(tf.cast(ty, tf.float32) * scale), tf.int32)
            tx = tf.cast(tf.round(tf.cast(tx, tf.float32) * scale), tf.int32)
        # Output pixel i reads input pixel i + t; reads outside the image give zero.
        ys = tf.range(height)[None, :] + ty                              # [N, H]
        xs = tf.range(width)[None, :] + tx                               # [N, W]
        x = tf.gather(x, tf.clip_by_value(ys, 0, height - 1), axis=1, batch_dims=1)
        x = tf.gather(x, tf.clip_by_value(xs, 0, width - 1), axis=2, batch_dims=1)
        inside = (((ys >= 0) & (ys < height))[:, :, None] & ((xs >= 0) & (xs < width))[:, None, :])
        return x * tf.cast(inside, x.dtype)[..., tf.newaxis]

    def _cutout(self, x, seed, n):
        height, width = x.shape[1], x.shape[2]
        size_y = int(height * self.cutout_ratio + 0.5)
        size_x = int(width * self.cutout_ratio + 0.5)
        oy = rng.uniform(rng.fold(seed, "y"), [n, 1], 0, height + (1 - size_y % 2), tf.int32)
        ox = rng.uniform(rng.fold(seed, "x"), [n, 1], 0, width + (1 - size_x % 2), tf.int32)
        ys = tf.range(height)[None, :]
        xs = tf.range(width)[None, :]
        in_y = (ys >= oy - size_y // 2) & (ys < oy - size_y // 2 + size_y)   # [N, H]
        in_x = (xs >= ox - size_x // 2) & (xs < ox - size_x // 2 + size_x)   # [N, W]
        cut = in_y[:, :, None] & in_x[:, None, :]
        return x * tf.cast(~cut, x.dtype)[..., tf.newaxis]
