"""ADA's augmentation pipeline (Karras et al., "Training Generative Adversarial Networks with
Limited Data", NeurIPS 2020), NHWC, exact to NVlabs/stylegan2-ada-pytorch `training/augment.py`.

Every transform fires per sample with probability `multiplier * p` (multipliers default to 0,
i.e. off; the presets in `presets.py` set them to 1). `p` is a non-trainable variable adjusted by
`AdaController` and saved in checkpoints. Order of application (section 1.3 of the reference):
pixel blitting (xflip, rotate90, xint) and general geometric transforms (scale, pre-rotation,
aniso, post-rotation, xfrac) compose into one matrix per sample, executed in one resampling pass;
colour transforms (brightness, contrast, lumaflip, hue, saturation) compose into one 4x4 matrix;
then image-space filtering (4 frequency bands), additive noise and cutout.

Random draws come from a `[2]` seed (see `tfgan_fs.rng`), so the same seed gives the same
augmentation, on any number of replicas. `debug_percentile` in [0, 1) replaces every draw by that
percentile of its distribution and applies every enabled transform, as in the reference.

Everything runs in `tf.function` and under tf.distribute; XLA compiles every stage except the
general geometric one, whose reflect padding depends on the batch's transforms (as in the
reference), which XLA cannot express.

Two deliberate differences: with p = 0 the pipe returns its input unchanged (the reference still
resamples every image), and pipes whose only geometric transforms are pixel blits (the `blit`
preset) copy pixels exactly where the reference's resampling slightly blurs flipped and rotated
images (see `resample.py`). Everything else, bgc included, follows the reference's arithmetic.
"""

import numpy as np
import keras
import tensorflow as tf

from tfgan_fs import rng
from tfgan_fs.augment import matrices as mat
from tfgan_fs.augment import resample
from tfgan_fs.augment.wavelets import imgfilter_bank

LUMA_AXIS = np.asarray([1, 1, 1]) / np.sqrt(3)
IMGFILTER_EXPECTED_POWER = np.asarray([10, 1, 1, 1]) / 13  # 1/f power spectrum of the 4 bands

BLIT = ("xflip", "rotate90", "xint")
GEOM = ("scale", "rotate", "aniso", "xfrac")
COLOR = ("brightness", "contrast", "lumaflip", "hue", "saturation")


@keras.saving.register_keras_serializable(package="tfgan_fs")
class AugmentPipe(keras.layers.Layer):
    """Stochastic, differentiable augmentation applied to every image D sees.

    Args (probability multipliers, 0 = off): xflip, rotate90, xint, scale, rotate, aniso,
        xfrac, brightness, contrast, lumaflip, hue, saturation, imgfilter, noise, cutout.
    Args (strengths, the reference defaults): xint_max=0.125 (fraction of the image),
        scale_std=0.2 (log2), rotate_max=1 (full circle), aniso_std=0.2 (log2),
        xfrac_std=0.125, brightness_std=0.2, contrast_std=0.5 (log2), hue_max=1,
        saturation_std=1 (log2), imgfilter_bands=(1, 1, 1, 1), imgfilter_std=1 (log2),
        noise_std=0.1, cutout_size=0.5.
        initial_p: Initial value of p.

    Call: `pipe(images, seed=None, debug_percentile=None, features=None)`; images are NHWC
    float with 1 or 3 channels. `features` (a dict or list of NHWC maps aligned with the image,
    e.g. generator features for GGDR) receive the same geometric transform at their own
    resolution, resampled as GGDR's `AugmentPipeGFeat` does (bilinear instead of wavelet
    upsampling; resampled even at p = 0 when a geometric transform is enabled); colour,
    filtering, noise and cutout touch the image only. The call then returns (images, features).
    """

    def __init__(self, xflip=0, rotate90=0, xint=0, xint_max=0.125, scale=0, rotate=0, aniso=0,
                 xfrac=0, scale_std=0.2, rotate_max=1, aniso_std=0.2, xfrac_std=0.125,
                 brightness=0, contrast=0, lumaflip=0, hue=0, saturation=0, brightness_std=0.2,
                 contrast_std=0.5, hue_max=1, saturation_std=1, imgfilter=0,
                 imgfilter_bands=(1, 1, 1, 1), imgfilter_std=1, noise=0, cutout=0,
                 noise_std=0.1, cutout_size=0.5, initial_p=0.0, **kwargs):
        kwargs.setdefault("autocast", False)
        super().__init__(**kwargs)
        self.config = dict(
            xflip=xflip, rotate90=rotate90, xint=xint, xint_max=xint_max, scale=scale,
            rotate=rotate, aniso=aniso, xfrac=xfrac, scale_std=scale_std, rotate_max=rotate_max,
            aniso_std=aniso_std, xfrac_std=xfrac_std, brightness=brightness, contrast=contrast,
            lumaflip=lumaflip, hue=hue, saturation=saturation, brightness_std=brightness_std,
            contrast_std=contrast_std, hue_max=hue_max, saturation_std=saturation_std,
            imgfilter=imgfilter, imgfilter_std=imgfilter_std, noise=noise, cutout=cutout,
            noise_std=noise_std, cutout_size=cutout_size)
        self.config = {k: float(v) for k, v in self.config.items()}
        self.config["imgfilter_bands"] = [float(b) for b in imgfilter_bands]
        self.initial_p = float(initial_p)
        for key, value in self.config.items():
            if key != "imgfilter_bands" and value < 0:
                raise ValueError(f"AugmentPipe: {key} must be >= 0, got {value}")
        self.filter_bank = imgfilter_bank(len(self.config["imgfilter_bands"])).astype(np.float32)
        self.build()

    def build(self, input_shape=None):
        self.p = self.add_weight(name="p", shape=(), trainable=False,
                                 initializer=keras.initializers.Constant(self.initial_p))

    def get_config(self):
        return {**super().get_config(), **self.config, "initial_p": self.initial_p}

    def enabled(self, names):
        return any(self.config[name] > 0 for name in names)

    # -------------------------------------------------------------------------------------

    def call(self, images, seed=None, debug_percentile=None, features=None):
        if images.shape.rank != 4 or images.shape[-1] not in (1, 3):
            raise ValueError(f"AugmentPipe: images must be NHWC with 1 or 3 channels, got shape "
                             f"{images.shape}")
        if seed is None:
            seed = tf.random.uniform([2], maxval=2 ** 31 - 1, dtype=tf.int64)
        features_in = features
        flat_features = [] if features is None else list(
            features.values() if isinstance(features, dict) else features)

        def augment():
            return self._augment(images, seed, debug_percentile, flat_features)

        def identity():
            return images, self._identity_features(flat_features)

        if debug_percentile is None:  # p = 0 is the identity, bit for bit
            out_images, out_features = tf.cond(self.p > 0, augment, identity)
        else:
            out_images, out_features = augment()
        if features_in is None:
            return out_images
        if isinstance(features_in, dict):
            return out_images, dict(zip(features_in.keys(), out_features))
        return out_images, list(out_features)

    def _augment(self, images, seed, debug_percentile, features):
        draws = _Draws(seed, tf.shape(images)[0] if images.shape[0] is None else images.shape[0],
                       self.p, debug_percentile)
        G_inv = self._geometric_matrix(draws, images.shape[1], images.shape[2])
        if G_inv is not None:
            if self.enabled(GEOM):
                images = resample.geometric_transform(images, tf.cast(G_inv, tf.float32))
            else:
                images = resample.blit_transform(images, G_inv)
            # As AugmentPipeGFeat: the same draws, with translations in the map's own pixels
            # (integer shifts rounded at its resolution).
            features = [resample.feature_transform(
                f, self._geometric_matrix(draws, f.shape[1], f.shape[2])) for f in features]
        C = self._color_matrix(draws, images.shape[-1])
        if C is not None:
            images = _apply_color(images, C)
        if self.config["imgfilter"] > 0:
            images = self._imgfilter(draws, images)
        if self.config["noise"] > 0:
            images = self._noise(draws, images)
        if self.config["cutout"] > 0:
            images = self._cutout(draws, images)
        return images, features

    def _identity_features(self, features):
        """Features at p = 0. AugmentPipeGFeat resamples them whenever a geometric transform is
        enabled, even when none fires (bilinear up + sym6 down slightly blurs them): as it."""
        if not (self.enabled(BLIT) or self.enabled(GEOM)):
            return features
        return [resample.feature_transform(f, mat.identity(3, tf.shape(f)[0]))
                for f in features]

    # -- Geometric -----------------------------------------------------------------------

    def _geometric_matrix(self, draws, height, width):
        """The per-sample [N, 3, 3] inverse transform, or None if no transform is enabled."""
        cfg, n = self.config, draws.n
        if not (self.enabled(BLIT) or self.enabled(GEOM)):
            return None
        G_inv = mat.identity(3, n)

        if cfg["xflip"] > 0:  # Apply x-flip with probability (xflip * p).
            i = tf.floor(draws.uniform("xflip", [n]) * 2)
            i = draws.gate("xflip/gate", cfg["xflip"], i, 0.0)
            i = draws.debug(i, lambda q: tf.floor(q * 2))
            G_inv = G_inv @ mat.scale2d_inv(1 - 2 * i, 1, n)

        if cfg["rotate90"] > 0:  # 90-degree rotations with probability (rotate90 * p).
            i = tf.floor(draws.uniform("rotate90", [n]) * 4)
            i = draws.gate("rotate90/gate", cfg["rotate90"], i, 0.0)
            i = draws.debug(i, lambda q: tf.floor(q * 4))
            quarter = tf.cast(i, tf.int32) % 4  # rotate2d_inv(-pi/2 * i), with exact cos/sin
            cos = tf.gather([1.0, 0.0, -1.0, 0.0], quarter)
            sin = tf.gather([0.0, 1.0, 0.0, -1.0], quarter)
            G_inv = G_inv @ mat.rotate2d(cos, sin, n)

        if cfg["xint"] > 0:  # Integer translation with probability (xint * p).
            t = (draws.uniform("xint", [n, 2]) * 2 - 1) * cfg["xint_max"]
            t = draws.gate("xint/gate", cfg["xint"], t, 0.0, rank=2)
            t = draws.debug(t, lambda q: (q * 2 - 1) * cfg["xint_max"])
            G_inv = G_inv @ mat.translate2d_inv(tf.round(t[:, 0] * width),
                                                tf.round(t[:, 1] * height), n)

        if cfg["scale"] > 0:  # Isotropic scaling with probability (scale * p).
            s = _exp2(draws.normal("scale", [n]) * cfg["scale_std"])
            s = draws.gate("scale/gate", cfg["scale"], s, 1.0)
            s = draws.debug(s, lambda q: _exp2(tf.math.erfinv(q * 2 - 1) * cfg["scale_std"]))
            G_inv = G_inv @ mat.scale2d_inv(s, s, n)

        # Pre- and post-rotation each with p_rot, so that P(pre OR post) = rotate * p.
        p_rot = 1 - tf.sqrt(tf.clip_by_value(1 - cfg["rotate"] * draws.p, 0.0, 1.0))
        if cfg["rotate"] > 0:
            theta = (draws.uniform("rotate/pre", [n]) * 2 - 1) * np.pi * cfg["rotate_max"]
            theta = draws.gate("rotate/pre/gate", None, theta, 0.0, prob=p_rot)
            theta = draws.debug(theta, lambda q: (q * 2 - 1) * np.pi * cfg["rotate_max"])
            G_inv = G_inv @ mat.rotate2d_inv(tf.cos(-theta), tf.sin(-theta), n)

        if cfg["aniso"] > 0:  # Anisotropic scaling with probability (aniso * p).
            s = _exp2(draws.normal("aniso", [n]) * cfg["aniso_std"])
            s = draws.gate("aniso/gate", cfg["aniso"], s, 1.0)
            s = draws.debug(s, lambda q: _exp2(tf.math.erfinv(q * 2 - 1) * cfg["aniso_std"]))
            G_inv = G_inv @ mat.scale2d_inv(s, 1 / s, n)

        if cfg["rotate"] > 0:
            theta = (draws.uniform("rotate/post", [n]) * 2 - 1) * np.pi * cfg["rotate_max"]
            theta = draws.gate("rotate/post/gate", None, theta, 0.0, prob=p_rot)
            theta = draws.debug(theta, lambda q: tf.zeros_like(q))
            G_inv = G_inv @ mat.rotate2d_inv(tf.cos(-theta), tf.sin(-theta), n)

        if cfg["xfrac"] > 0:  # Fractional translation with probability (xfrac * p).
            t = draws.normal("xfrac", [n, 2]) * cfg["xfrac_std"]
            t = draws.gate("xfrac/gate", cfg["xfrac"], t, 0.0, rank=2)
            t = draws.debug(t, lambda q: tf.math.erfinv(q * 2 - 1) * cfg["xfrac_std"])
            G_inv = G_inv @ mat.translate2d_inv(t[:, 0] * width, t[:, 1] * height, n)
        return G_inv

    # -- Colour --------------------------------------------------------------------------

    def _color_matrix(self, draws, channels):
        """The per-sample [N, 4, 4] colour transform C (C @ colour_in = colour_out), or None."""
        cfg, n = self.config, draws.n
        if not self.enabled(COLOR):
            return None
        C = mat.identity(4, n)
        v = np.append(LUMA_AXIS, 0.0)
        vv = tf.constant(np.outer(v, v), tf.float32)

        if cfg["brightness"] > 0:
            b = draws.normal("brightness", [n]) * cfg["brightness_std"]
            b = draws.gate("brightness/gate", cfg["brightness"], b, 0.0)
            b = draws.debug(b, lambda q: tf.math.erfinv(q * 2 - 1) * cfg["brightness_std"])
            C = mat.translate3d(b, b, b, n) @ C

        if cfg["contrast"] > 0:
            c = _exp2(draws.normal("contrast", [n]) * cfg["contrast_std"])
            c = draws.gate("contrast/gate", cfg["contrast"], c, 1.0)
            c = draws.debug(c, lambda q: _exp2(tf.math.erfinv(q * 2 - 1) *
                                                 cfg["contrast_std"]))
            C = mat.scale3d(c, c, c, n) @ C

        if cfg["lumaflip"] > 0:  # Householder reflection about the luma axis.
            i = tf.floor(draws.uniform("lumaflip", [n]) * 2)
            i = draws.gate("lumaflip/gate", cfg["lumaflip"], i, 0.0)
            i = draws.debug(i, lambda q: tf.floor(q * 2))
            C = (tf.eye(4) - 2 * vv * i[:, tf.newaxis, tf.newaxis]) @ C

        if cfg["hue"] > 0 and channels > 1:  # Rotation about the luma axis.
            theta = (draws.uniform("hue", [n]) * 2 - 1) * np.pi * cfg["hue_max"]
            theta = draws.gate("hue/gate", cfg["hue"], theta, 0.0)
            theta = draws.debug(theta, lambda q: (q * 2 - 1) * np.pi * cfg["hue_max"])
            C = mat.rotate3d(LUMA_AXIS, theta, n) @ C

        if cfg["saturation"] > 0 and channels > 1:
            s = _exp2(draws.normal("saturation", [n]) * cfg["saturation_std"])
            s = draws.gate("saturation/gate", cfg["saturation"], s, 1.0)
            s = draws.debug(s, lambda q: _exp2(tf.math.erfinv(q * 2 - 1) *
                                                 cfg["saturation_std"]))
            C = (vv + (tf.eye(4) - vv) * s[:, tf.newaxis, tf.newaxis]) @ C
        return C

    # -- Image-space filtering and corruptions --------------------------------------------

    def _imgfilter(self, draws, images):
        """Amplifies each of 4 frequency bands by 2^N(0, imgfilter_std) with its probability."""
        cfg, n = self.config, draws.n
        bands = cfg["imgfilter_bands"]
        power = tf.constant(IMGFILTER_EXPECTED_POWER[:len(bands)], tf.float32)
        g = tf.ones([n, len(bands)])
        for i, band_strength in enumerate(bands):
            t_i = _exp2(draws.normal(f"imgfilter/{i}", [n]) * cfg["imgfilter_std"])
            t_i = draws.gate(f"imgfilter/{i}/gate", cfg["imgfilter"] * band_strength, t_i, 1.0)
            if band_strength > 0:
                t_i = draws.debug(t_i, lambda q: _exp2(tf.math.erfinv(q * 2 - 1) *
                                                         cfg["imgfilter_std"]))
            elif draws.debug_percentile is not None:
                t_i = tf.ones_like(t_i)
            t = tf.concat([tf.ones([n, i]), t_i[:, tf.newaxis], tf.ones([n, len(bands) - i - 1])],
                          axis=1)
            t = t / tf.sqrt(tf.reduce_sum(power * tf.square(t), axis=1, keepdims=True))
            g = g * t
        taps = tf.matmul(g, self.filter_bank)  # [N, taps], one symmetric filter per sample
        return separable_per_sample_filter(images, tf.cast(taps, images.dtype))

    def _noise(self, draws, images):
        cfg, n = self.config, draws.n
        sigma = tf.abs(draws.normal("noise/sigma", [n])) * cfg["noise_std"]
        sigma = draws.gate("noise/gate", cfg["noise"], sigma, 0.0)
        sigma = draws.debug(sigma, lambda q: tf.math.erfinv(q) * cfg["noise_std"])
        field = draws.normal("noise/field", [n] + images.shape[1:].as_list())
        return images + tf.cast(field * sigma[:, None, None, None], images.dtype)

    def _cutout(self, draws, images):
        cfg, n = self.config, draws.n
        size = tf.fill([n, 2], cfg["cutout_size"])
        size = draws.gate("cutout/gate", cfg["cutout"], size, 0.0, rank=2)
        center = draws.uniform("cutout/center", [n, 2])
        if draws.debug_percentile is not None:
            size = tf.fill([n, 2], cfg["cutout_size"])
            center = draws.debug(center, lambda q: q)
        height, width = images.shape[1], images.shape[2]
        xs = (tf.range(width, dtype=tf.float32) + 0.5) / width
        ys = (tf.range(height, dtype=tf.float32) + 0.5) / height
        keep_x = tf.abs(xs[None, :] - center[:, 0:1]) >= size[:, 0:1] / 2      # [N, W]
        keep_y = tf.abs(ys[None, :] - center[:, 1:2]) >= size[:, 1:2] / 2      # [N, H]
        keep = tf.logical_or(keep_x[:, None, :], keep_y[:, :, None])           # [N, H, W]
        return images * tf.cast(keep, images.dtype)[..., tf.newaxis]


def _exp2(x):
    return tf.pow(2.0, x)


def _apply_color(images, C):
    """colour_out = C[:3, :3] @ rgb + C[:3, 3]; grey images use the row-mean of C."""
    C = tf.cast(C, images.dtype)
    if images.shape[-1] == 3:
        return tf.einsum("nij,nhwj->nhwi", C[:, :3, :3], images) + C[:, None, None, :3, 3]
    C = tf.reduce_mean(C[:, :3, :], axis=1)                                     # [N, 4]
    gain = tf.reduce_sum(C[:, :3], axis=1)
    return images * gain[:, None, None, None] + C[:, None, None, 3:]


def separable_per_sample_filter(images, taps):
    """Filters each sample horizontally then vertically with its own 1-D filter taps [N, K].

    Reflect padding keeps the size (K odd); it reflects repeatedly when the image is smaller than
    the filter (the reference requires images of at least 22 pixels for the 43-tap bank).
    Implemented as one depthwise convolution per axis over the batch-and-channel axis.
    """
    n, h, w, c = images.shape
    n = tf.shape(images)[0] if n is None else n
    pad = taps.shape[1] // 2
    x = resample.reflect_pad(images, pad)
    x = tf.reshape(tf.transpose(x, [1, 2, 0, 3]), [1, h + 2 * pad, w + 2 * pad, n * c])
    kernel = tf.reshape(tf.transpose(tf.repeat(taps, c, axis=0)), [-1, n * c])  # [K, N * C]
    x = tf.nn.depthwise_conv2d(x, kernel[tf.newaxis, :, :, tf.newaxis], [1, 1, 1, 1], "VALID")
    x = tf.nn.depthwise_conv2d(x, kernel[:, tf.newaxis, :, tf.newaxis], [1, 1, 1, 1], "VALID")
    return tf.transpose(tf.reshape(x, [h, w, n, c]), [2, 0, 1, 3])


class _Draws:
    """Named random draws of one pipe call, with probability gating and debug percentiles."""

    def __init__(self, seed, n, p, debug_percentile):
        self.seed = seed
        self.n = n
        self.p = tf.cast(p, tf.float32)
        self.debug_percentile = debug_percentile

    def uniform(self, name, shape):
        return rng.uniform(rng.fold(self.seed, name), shape)

    def normal(self, name, shape):
        return rng.normal(rng.fold(self.seed, name), shape)

    def gate(self, name, multiplier, value, disabled, rank=1, prob=None):
        """Keeps `value` where U(0, 1) < multiplier * p (or `prob`), else `disabled`."""
        prob = multiplier * self.p if prob is None else prob
        on = self.uniform(name, [self.n] + [1] * (rank - 1)) < prob
        return tf.where(on, value, tf.cast(disabled, value.dtype))

    def debug(self, value, fn):
        """With a debug percentile q, every sample gets fn(q) instead of its draw."""
        if self.debug_percentile is None:
            return value
        q = tf.constant(self.debug_percentile, tf.float32)
        return tf.broadcast_to(tf.cast(fn(q), value.dtype), tf.shape(value))
