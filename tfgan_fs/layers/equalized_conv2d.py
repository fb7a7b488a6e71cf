"""2-D convolution with equalized learning rate, FIR-filtered up/downsampling and clamping."""

import numpy as np
import keras
import tensorflow as tf

from tfgan_fs import ops


@keras.saving.register_keras_serializable(package="tfgan_fs")
class EqualizedConv2D(keras.layers.Layer):
    """Convolution + bias + activation as in StyleGAN2's `Conv2dLayer` (NHWC, weights HWIO).

    The weight is N(0, 1) scaled at runtime by 1/sqrt(in_channels * k^2). Up/downsampling uses
    `conv2d_resample` with the `resample_filter` low-pass FIR filter; the output is clamped to
    +-conv_clamp (x gain) after the activation, which keeps float16 activations finite.

    Args:
        in_channels: Input channels.
        out_channels: Output channels.
        kernel_size: Square kernel size; padding is kernel_size // 2 ("same").
        use_bias: Add a bias before the activation.
        activation: Activation name of `tfgan_fs.ops.bias_act`.
        up: Integer upsampling factor.
        down: Integer downsampling factor.
        resample_filter: 1-D taps of the resampling filter ([1, 3, 3, 1] by default).
        conv_clamp: Clamp the output to +-conv_clamp; None disables clamping.
        impl: Op implementation, 'auto', 'ref' (stock TF ops only) or 'custom'.
    """

    def __init__(self, in_channels, out_channels, kernel_size, use_bias=True, activation="linear",
                 up=1, down=1, resample_filter=(1, 3, 3, 1), conv_clamp=None, impl="auto",
                 **kwargs):
        kwargs.setdefault("autocast", False)
        super().__init__(**kwargs)
        self.in_channels = int(in_channels)
        self.out_channels = int(out_channels)
        self.kernel_size = int(kernel_size)
        self.use_bias = bool(use_bias)
        self.activation = activation
        self.up = int(up)
        self.down = int(down)
        self.resample_filter = [float(t) for t in resample_filter]
        self.conv_clamp = None if conv_clamp is None else float(conv_clamp)
        self.padding = self.kernel_size // 2
        self.impl = ops.check_impl(impl)
        self.weight_gain = 1.0 / np.sqrt(self.in_channels * self.kernel_size ** 2)
        self.act_gain = ops.ACTIVATIONS[activation].def_gain
        self._filter = ops.setup_filter(self.resample_filter).numpy()
        self.build()

    def build(self, input_shape=None):
        k = self.kernel_size
        self.weight = self.add_weight(
            name="weight", shape=(k, k, self.in_channels, self.out_channels),
            initializer=keras.initializers.RandomNormal(stddev=1.0))
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(name="bias", shape=(self.out_channels,),
                                        initializer="zeros")

    def call(self, x, gain=1.0):
        w = tf.cast(self.weight, x.dtype) * self.weight_gain
        b = None if self.bias is None else tf.cast(self.bias, x.dtype)
        x = ops.conv2d_resample(x, w, f=self._filter, up=self.up, down=self.down,
                                padding=self.padding, flip_weight=(self.up == 1),
                                impl=self.impl)
        act_clamp = None if self.conv_clamp is None else self.conv_clamp * gain
        return ops.bias_act(x, b, act=self.activation, gain=self.act_gain * gain, clamp=act_clamp,
                            impl=self.impl)

    def get_config(self):
        return {**super().get_config(), "in_channels": self.in_channels,
                "out_channels": self.out_channels, "kernel_size": self.kernel_size,
                "use_bias": self.use_bias, "activation": self.activation, "up": self.up,
                "down": self.down, "resample_filter": self.resample_filter,
                "conv_clamp": self.conv_clamp, "impl": self.impl}
