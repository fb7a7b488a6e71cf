"""CLIP for StyleGAN-NADA: prompt templates and input preprocessing (rinongal/StyleGAN-nada)."""

from tfgan_fs.clip.model import ClipLoadError, ClipModel
from tfgan_fs.clip.preprocess import (CLIP_MEAN, CLIP_STD, bicubic_matrix, center_crop_offset,
                                      clip_preprocess, preprocess_pil, resized_shape)
from tfgan_fs.clip.templates import IMAGENET_TEMPLATES, compose

__all__ = ["CLIP_MEAN", "ClipLoadError", "ClipModel", "CLIP_STD", "IMAGENET_TEMPLATES", "bicubic_matrix", "center_crop_offset",
           "clip_preprocess", "compose", "preprocess_pil", "resized_shape"]
