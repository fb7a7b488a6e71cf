"""One StyleGAN2 synthesis convolution: style affine, modulated conv, noise, bias and activation."""

import keras
import tensorflow as tf

from tfgan_fs import ops
from tfgan_fs import rng
from tfgan_fs.layers.equalized_dense import EqualizedDense
from tfgan_fs.layers.modulated_conv2d import modulated_conv2d

NOISE_MODES = ("random", "const", "none")


@keras.saving.register_keras_serializable(package="tfgan_fs")
class SynthesisLayer(keras.layers.Layer):
    """StyleGAN2 `SynthesisLayer` (Karras et al. 2020, fig. 2d), NHWC.

    styles = A(w); x = demod(modconv(x, weight, styles)) + noise * noise_strength;
    x = clamp(lrelu(x + bias) * sqrt(2) * gain). Noise is per pixel, shared by the channels;
    `noise_mode` picks fresh noise ('random', drawn from `noise_seed` when given), the fixed
    `noise_const` buffer ('const') or none.

    Args:
        in_channels, out_channels: Channel counts.
        w_dim: Dimensionality of w.
        resolution: Output resolution of this layer.
        kernel_size: Convolution kernel size.
        up: Upsampling factor (2 for the first conv of a block).
        use_noise: Create the noise inputs.
        activation: Activation name.
        resample_filter: 1-D taps of the resampling filter.
        conv_clamp: Clamp for the activations, None = off.
        impl: Op implementation, 'auto', 'ref' (stock TF ops only) or 'custom'.
    """

    def __init__(self, in_channels, out_channels, w_dim, resolution, kernel_size=3, up=1,
                 use_noise=True, activation="lrelu", resample_filter=(1, 3, 3, 1),
                 conv_clamp=None, impl="auto", **kwargs):
        kwargs.setdefault("autocast", False)
        super().__init__(**kwargs)
        self.in_channels = int(in_channels)
        self.out_channels = int(out_channels)
        self.w_dim = int(w_dim)
        self.resolution = int(resolution)
        self.kernel_size = int(kernel_size)
        self.up = int(up)
        self.use_noise = bool(use_noise)
        self.activation = activation
        self.resample_filter = [float(t) for t in resample_filter]
        self.conv_clamp = None if conv_clamp is None else float(conv_clamp)
        self.padding = self.kernel_size // 2
        self.impl = ops.check_impl(impl)
        self.act_gain = ops.ACTIVATIONS[activation].def_gain
        self._filter = ops.setup_filter(self.resample_filter).numpy()
        with keras.name_scope(self.name):
            self.affine = EqualizedDense(self.w_dim, self.in_channels, bias_init=1.0,
                                         impl=self.impl, name="affine")
        self.build()

    def build(self, input_shape=None):
        k = self.kernel_size
        self.weight = self.add_weight(
            name="weight", shape=(k, k, self.in_channels, self.out_channels),
            initializer=keras.initializers.RandomNormal(stddev=1.0))
        if self.use_noise:
            self.noise_const = self.add_weight(
                name="noise_const", shape=(self.resolution, self.resolution),
                initializer=keras.initializers.RandomNormal(stddev=1.0), trainable=False)
            self.noise_strength = self.add_weight(name="noise_strength", shape=(),
                                                  initializer="zeros")
        self.bias = self.add_weight(name="bias", shape=(self.out_channels,), initializer="zeros")

    def call(self, x, w, noise_mode="random", noise_seed=None, gain=1.0):
        if noise_mode not in NOISE_MODES:
            raise ValueError(f"noise_mode must be one of {NOISE_MODES}, got {noise_mode!r}")
        styles = self.affine(w)
        noise = None
        if self.use_noise and noise_mode == "random":
            shape = [tf.shape(x)[0], self.resolution, self.resolution, 1]
            if noise_seed is None:
                noise = tf.random.normal(shape)
            else:
                noise = rng.normal(noise_seed, shape)
            noise = noise * self.noise_strength
        if self.use_noise and noise_mode == "const":
            noise = self.noise_const[tf.newaxis, :, :, tf.newaxis] * self.noise_strength

        x = modulated_conv2d(x, self.weight, styles, noise=noise, up=self.up,
                             padding=self.padding, resample_filter=self._filter,
                             flip_weight=(self.up == 1), impl=self.impl)
        act_clamp = None if self.conv_clamp is None else self.conv_clamp * gain
        return ops.bias_act(x, tf.cast(self.bias, x.dtype), act=self.activation,
                            gain=self.act_gain * gain, clamp=act_clamp, impl=self.impl)

    def get_config(self):
        return {**super().get_config(), "in_channels": self.in_channels,
                "out_channels": self.out_channels, "w_dim": self.w_dim,
                "resolution": self.resolution, "kernel_size": self.kernel_size, "up": self.up,
                "use_noise": self.use_noise, "activation": self.activation,
                "resample_filter": self.resample_filter, "conv_clamp": self.conv_clamp,
                "impl": self.impl}
