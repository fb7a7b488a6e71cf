"""Resampling and activation ops of StyleGAN2(-ADA), NHWC, pure TensorFlow.

Reference implementations with the semantics of NVlabs StyleGAN2-ADA
(``torch_utils/ops``): `upfirdn2d` and its helpers, `bias_act`, and
`conv2d_resample`, plus `setup_filter` for the FIR filters of Karras et al.
2020, "Analyzing and Improving the Image Quality of StyleGAN".

All tensors are NHWC. The public ops have no tensor-dependent Python control flow,
so they are marked `tf.autograph.experimental.do_not_convert`: this keeps AutoGraph
from converting them when traced inside `tf.function` (several seconds saved on the
first trace). Custom compiled kernels are not part of this build (``impl='custom'``
raises; see `tfgan_fs.ops.impl`).
"""

from tfgan_fs.ops.bias_act import ACTIVATIONS, ActivationSpec, bias_act
from tfgan_fs.ops.conv2d_resample import conv2d_resample
from tfgan_fs.ops.filters import filter_size, parse_padding, parse_scaling, setup_filter
from tfgan_fs.ops.impl import VALID_IMPLS, select_impl
from tfgan_fs.ops.upfirdn2d import downsample2d, filter2d, upfirdn2d, upsample2d

__all__ = [
    "ACTIVATIONS",
    "ActivationSpec",
    "VALID_IMPLS",
    "bias_act",
    "conv2d_resample",
    "downsample2d",
    "filter2d",
    "filter_size",
    "parse_padding",
    "parse_scaling",
    "select_impl",
    "setup_filter",
    "upfirdn2d",
    "upsample2d",
]
