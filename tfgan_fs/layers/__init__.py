"""Keras layers of the StyleGAN2 family (NHWC, equalized learning rate)."""

from tfgan_fs.layers.equalized_conv2d import EqualizedConv2D
from tfgan_fs.layers.equalized_dense import EqualizedDense
from tfgan_fs.layers.minibatch_std import MinibatchStd
from tfgan_fs.layers.modulated_conv2d import modulated_conv2d
from tfgan_fs.layers.synthesis_layer import NOISE_MODES, SynthesisLayer
from tfgan_fs.layers.to_rgb import ToRGB

__all__ = ["EqualizedConv2D", "EqualizedDense", "MinibatchStd", "modulated_conv2d",
           "NOISE_MODES", "SynthesisLayer", "ToRGB"]
