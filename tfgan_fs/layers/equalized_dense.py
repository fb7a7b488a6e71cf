"""Fully-connected layer with equalized learning rate and a learning-rate multiplier."""

import numpy as np
import keras
import tensorflow as tf

from tfgan_fs import ops


@keras.saving.register_keras_serializable(package="tfgan_fs")
class EqualizedDense(keras.layers.Layer):
    """Dense layer with runtime weight scaling (equalized learning rate).

    Karras et al., "Progressive Growing of GANs" (2018), section 4.1; StyleGAN2's
    `FullyConnectedLayer`. Weights are stored as N(0, 1/lr_multiplier) and used as
    `w * lr_multiplier / sqrt(in_features)`, the bias as `b * lr_multiplier`, so every weight has
    the same effective learning rate and the mapping network's is 100x smaller (lr_multiplier=0.01).

    Args:
        in_features: Input dimensionality.
        out_features: Output dimensionality.
        use_bias: Add a bias before the activation.
        activation: Any activation name of `tfgan_fs.ops.bias_act`.
        lr_multiplier: Learning-rate multiplier.
        bias_init: Initial bias value (1 for the style affines, so styles start at 1).
        impl: Op implementation, 'auto', 'ref' (stock TF ops only) or 'custom'.
    """

    def __init__(self, in_features, out_features, use_bias=True, activation="linear",
                 lr_multiplier=1.0, bias_init=0.0, impl="auto", **kwargs):
        kwargs.setdefault("autocast", False)
        super().__init__(**kwargs)
        self.in_features = int(in_features)
        self.out_features = int(out_features)
        self.use_bias = bool(use_bias)
        self.activation = activation
        self.lr_multiplier = float(lr_multiplier)
        self.bias_init = float(bias_init)
        self.impl = ops.check_impl(impl)
        self.weight_gain = self.lr_multiplier / np.sqrt(self.in_features)
        self.build()

    def build(self, input_shape=None):
        self.weight = self.add_weight(
            name="weight", shape=(self.in_features, self.out_features),
            initializer=keras.initializers.RandomNormal(stddev=1.0 / self.lr_multiplier))
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(name="bias", shape=(self.out_features,),
                                        initializer=keras.initializers.Constant(self.bias_init))

    def call(self, x):
        w = tf.cast(self.weight, x.dtype) * self.weight_gain
        x = tf.matmul(x, w)
        b = None
        if self.bias is not None:
            b = tf.cast(self.bias, x.dtype) * self.lr_multiplier
        return ops.bias_act(x, b, act=self.activation, impl=self.impl)

    def get_config(self):
        return {**super().get_config(), "in_features": self.in_features,
                "out_features": self.out_features, "use_bias": self.use_bias,
                "activation": self.activation, "lr_multiplier": self.lr_multiplier,
                "bias_init": self.bias_init, "impl": self.impl}
