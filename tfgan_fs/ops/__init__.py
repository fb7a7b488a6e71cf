"""Resampling and activation ops of StyleGAN2(-ADA), NHWC, pure TensorFlow.

Reference implementations with the semantics of NVlabs StyleGAN2-ADA
(``torch_utils/ops``): `upfirdn2d` and its helpers, `bias_act`, and
`conv2d_resample`, plus `setup_filter` for the FIR filters of Karras et al.
2020, "Analyzing and Improving the Image Quality of StyleGAN".

All tensors are NHWC. The public ops have no tensor-dependent Python control flow,
so they are marked `tf.autograph.experimental.do_not_convert`: this keeps AutoGraph
from converting them when traced inside `tf.function` (several seconds saved on the
first trace).

Every op takes ``impl='auto'|'ref'|'custom'`` (`tfgan_fs.ops.impl`): the compiled CPU/CUDA
kernels of ``tf_ops/`` (built with ``python tools/build_ops.py``, `tfgan_fs.ops.build`) or the
pure-TF reference. `custom_ops_available()` reports what loaded.
"""

from tfgan_fs.ops.bias_act import ACTIVATIONS, ActivationSpec, bias_act
from tfgan_fs.ops.conv2d_resample import conv2d_resample
from tfgan_fs.ops.filters import filter_size, parse_padding, parse_scaling, setup_filter
from tfgan_fs.ops.impl import AUTO_PREFERS_CUSTOM, VALID_IMPLS, check_impl, select_impl
from tfgan_fs.ops.loader import CustomOpsFallbackWarning, custom_ops_available
from tfgan_fs.ops.upfirdn2d import downsample2d, filter2d, upfirdn2d, upsample2d

__all__ = [
    "ACTIVATIONS",
    "AUTO_PREFERS_CUSTOM",
    "ActivationSpec",
    "CustomOpsFallbackWarning",
    "VALID_IMPLS",
    "bias_act",
    "check_impl",
    "conv2d_resample",
    "custom_ops_available",
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
