"""StyleGAN2 to-RGB layer: a modulated 1x1 convolution without demodulation."""

import numpy as np
import keras
import tensorflow as tf

from tfgan_fs import ops
from tfgan_fs.layers.equalized_dense import EqualizedDense
from tfgan_fs.layers.modulated_conv2d import modulated_conv2d


@keras.saving.register_keras_serializable(package="tfgan_fs")
class ToRGB(keras.layers.Layer):
    """Projects features to image channels with a modulated, non-demodulated convolution.

    Karras et al. 2020 (StyleGAN2), fig. 7 "skip" generator. styles = A(w) / sqrt(in * k^2).

    Args:
        in_channels: Feature channels.
        out_channels: Image channels.
        w_dim: Dimensionality of w.
        kernel_size: Kernel size (1).
        conv_clamp: Clamp for the output, None = off.
        impl: Op implementation, 'auto', 'ref' (stock TF ops only) or 'custom'.
    """

    def __init__(self, in_channels, out_channels, w_dim, kernel_size=1, conv_clamp=None,
                 impl="auto", **kwargs):
        kwargs.setdefault("autocast", False)
        super().__init__(**kwargs)
        self.in_channels = int(in_channels)
        self.out_channels = int(out_channels)
        self.w_dim = int(w_dim)
        self.kernel_size = int(kernel_size)
        self.conv_clamp = None if conv_clamp is None else float(conv_clamp)
        self.weight_gain = 1.0 / np.sqrt(self.in_channels * self.kernel_size ** 2)
        self.impl = ops.check_impl(impl)
        with keras.name_scope(self.name):
            self.affine = EqualizedDense(self.w_dim, self.in_channels, bias_init=1.0,
                                         impl=self.impl, name="affine")
        self.build()

    def build(self, input_shape=None):
        k = self.kernel_size
        self.weight = self.add_weight(
            name="weight", shape=(k, k, self.in_channels, self.out_channels),
            initializer=keras.initializers.RandomNormal(stddev=1.0))
        self.bias = self.add_weight(name="bias", shape=(self.out_channels,), initializer="zeros")

    def call(self, x, w):
        styles = self.affine(w) * self.weight_gain
        x = modulated_conv2d(x, self.weight, styles, demodulate=False,
                             padding=self.kernel_size // 2, impl=self.impl)
        return ops.bias_act(x, tf.cast(self.bias, x.dtype), clamp=self.conv_clamp, impl=self.impl)

    def get_config(self):
        return {**super().get_config(), "in_channels": self.in_channels,
                "out_channels": self.out_channels, "w_dim": self.w_dim,
                "kernel_size": self.kernel_size, "conv_clamp": self.conv_clamp,
                "impl": self.impl}
