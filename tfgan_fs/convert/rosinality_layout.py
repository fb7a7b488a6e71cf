"""rosinality/stylegan2-pytorch parameter names and layouts <-> StyleGAN2-ADA PyTorch ones.

rosinality's `Generator`/`Discriminator` (`model.py` @ bef283a; StyleGAN-NADA's `sg2_model.py`,
CDC and MixDL train it) compute the same functions as NVlabs' StyleGAN2-ADA networks with
`architecture='skip'` G and `'resnet'` D, `conv_clamp=None`, no conditioning; only names and a
few layouts differ (`../shared/reference/interop.md`). Both store equalized-lr weights raw (the
mapping's as N(0, 1/lr_mul)), so values copy 1:1. Per layer (res r = 8 .. size, k = log2(r) - 3):

| rosinality | StyleGAN2-ADA |
|---|---|
| `style.{i+1}.weight` / `.bias` (`style.0` is PixelNorm) | `mapping.fc{i}.weight` / `.bias` |
| `input.input` [1, C, 4, 4] | `synthesis.b4.const` [C, 4, 4] |
| `conv1`, `to_rgb1` | `synthesis.b4.conv1`, `synthesis.b4.torgb` |
| `convs.{2k}`, `convs.{2k+1}`, `to_rgbs.{k}` | `synthesis.b{r}.conv0`, `.conv1`, `.torgb` |
| `*.conv.weight` [1, O, I, k, k] | `*.weight` [O, I, k, k] |
| `*.conv.modulation.weight` / `.bias` | `*.affine.weight` / `.bias` |
| `*.noise.weight` [1] / `*.activate.bias` | `*.noise_strength` [] / `*.bias` |
| `noises.noise_{j}` [1, 1, r, r] (j: layer order) | `*.noise_const` [r, r] |
| `to_rgb*.bias` [1, 3, 1, 1] | `*.torgb.bias` [3] |
| `latent_avg` (a checkpoint key) | `mapping.w_avg` |
| D `convs.0.0.weight`, `convs.0.1.bias` | `b{size}.fromrgb.weight` / `.bias` |
| D `convs.{j}.conv1.0.weight`, `.conv1.1.bias` | `b{r}.conv0.weight` / `.bias` |
| D `convs.{j}.conv2.1.weight`, `.conv2.2.bias` | `b{r}.conv1.weight` / `.bias` |
| D `convs.{j}.skip.1.weight` | `b{r}.skip.weight` |
| D `final_conv.0.weight`, `final_conv.1.bias` | `b4.conv.weight` / `.bias` |
| D `final_linear.0.*`, `final_linear.1.*` | `b4.fc.*`, `b4.out.*` |
| MixDL's `Patch_Discriminator.sim_linear.*` | `proj.*` (the projection head on b4.fc) |

The blur buffers (`*.blur.kernel`, `to_rgbs.*.upsample.kernel` = [1,3,3,1] kernel x 4; D's
`convs.{j}.conv2.0.kernel`, `convs.{j}.skip.0.kernel`) are the fixed [1, 3, 3, 1] filter of
NVlabs' `resample_filter`: checked when reading, written when exporting.
"""

import re

import numpy as np

from tfgan_fs.convert.errors import ConversionError
from tfgan_fs.convert.weights import report_problems

BLUR_TAPS = (1.0, 3.0, 3.0, 1.0)
STYLE = re.compile(r"^style\.(\d+)\.weight$")


def blur_kernel(upsample):
    """rosinality's `make_kernel([1, 3, 3, 1])` (x 4 in upsampling layers)."""
    taps = np.asarray(BLUR_TAPS, np.float32)
    kernel = np.outer(taps, taps)
    return kernel / kernel.sum() * (4.0 if upsample else 1.0)


def _styled(ros, ref, rgb=False):
    """(rosinality name, reference name, kind) of one modulated layer's parameters."""
    pairs = [(f"{ros}.conv.weight", f"{ref}.weight", "modconv"),
             (f"{ros}.conv.modulation.weight", f"{ref}.affine.weight", "same"),
             (f"{ros}.conv.modulation.bias", f"{ref}.affine.bias", "same")]
    if rgb:
        return pairs + [(f"{ros}.bias", f"{ref}.bias", "rgb_bias")]
    return pairs + [(f"{ros}.noise.weight", f"{ref}.noise_strength", "scalar"),
                    (f"{ros}.activate.bias", f"{ref}.bias", "same")]


def generator_pairs(size, n_mlp):
    """[(rosinality name, StyleGAN2-ADA name, kind)] of a G's parameters and noise buffers."""
    pairs = [(f"style.{i + 1}.{p}", f"mapping.fc{i}.{p}", "same")
             for i in range(n_mlp) for p in ("weight", "bias")]
    pairs += [("input.input", "synthesis.b4.const", "const")]
    pairs += _styled("conv1", "synthesis.b4.conv1")
    pairs += _styled("to_rgb1", "synthesis.b4.torgb", rgb=True)
    pairs += [("noises.noise_0", "synthesis.b4.conv1.noise_const", "noise")]
    for k, res in enumerate(resolutions(size)[1:]):
        block = f"synthesis.b{res}"
        pairs += _styled(f"convs.{2 * k}", f"{block}.conv0")
        pairs += _styled(f"convs.{2 * k + 1}", f"{block}.conv1")
        pairs += _styled(f"to_rgbs.{k}", f"{block}.torgb", rgb=True)
        pairs += [(f"noises.noise_{2 * k + 1}", f"{block}.conv0.noise_const", "noise"),
                  (f"noises.noise_{2 * k + 2}", f"{block}.conv1.noise_const", "noise")]
    return pairs


def generator_blur_buffers(size):
    """{name: kernel} of the fixed blur buffers in a rosinality G's state dict."""
    count = len(resolutions(size)) - 1
    return {**{f"convs.{2 * k}.conv.blur.kernel": blur_kernel(True) for k in range(count)},
            **{f"to_rgbs.{k}.upsample.kernel": blur_kernel(True) for k in range(count)}}


def _conv_layer(ros, ref, bias=True, down=False):
    """Pairs of one D ConvLayer (a Sequential: [Blur,] EqualConv2d, FusedLeakyReLU)."""
    i = 1 if down else 0
    pairs = [(f"{ros}.{i}.weight", f"{ref}.weight", "same")]
    return pairs + ([(f"{ros}.{i + 1}.bias", f"{ref}.bias", "same")] if bias else [])


def discriminator_pairs(size, projection=False):
    """[(rosinality name, StyleGAN2-ADA name, kind)] of a D's parameters (`projection`: with
    MixDL's projection head `sim_linear`, an EqualLinear without activation on the output of
    `final_linear.0`, which is tfgan_fs' `proj` on b4.fc)."""
    pairs = _conv_layer("convs.0", f"b{size}.fromrgb")
    for j, res in enumerate(resolutions(size)[:0:-1], start=1):
        pairs += _conv_layer(f"convs.{j}.conv1", f"b{res}.conv0")
        pairs += _conv_layer(f"convs.{j}.conv2", f"b{res}.conv1", down=True)
        pairs += _conv_layer(f"convs.{j}.skip", f"b{res}.skip", bias=False, down=True)
    pairs += _conv_layer("final_conv", "b4.conv")
    pairs += [(f"final_linear.{i}.{p}", f"b4.{layer}.{p}", "same")
              for i, layer in enumerate(("fc", "out")) for p in ("weight", "bias")]
    if projection:
        pairs += [(f"sim_linear.{p}", f"proj.{p}", "same") for p in ("weight", "bias")]
    return pairs


def discriminator_blur_buffers(size):
    """{name: kernel} of the fixed blur buffers in a rosinality D's state dict."""
    count = len(resolutions(size)) - 1
    return {f"convs.{j}.{layer}.0.kernel": blur_kernel(False)
            for j in range(1, count + 1) for layer in ("conv2", "skip")}


def resolutions(size):
    """[4, 8, ..., size]; raises ConversionError unless size is a power of two >= 4."""
    if size < 4 or size & (size - 1):
        raise ConversionError(f"image size {size} is not a power of two >= 4")
    return [2 ** i for i in range(2, int(size).bit_length())]


def to_reference(kind, value):
    """A rosinality value in the StyleGAN2-ADA layout of `kind`."""
    if kind == "modconv":
        return value[0]
    if kind == "const":
        return value[0]
    if kind == "noise":
        return value[0, 0]
    if kind == "scalar":
        return value.reshape(())
    if kind == "rgb_bias":
        return value.reshape(-1)
    return value


def from_reference(kind, value):
    """A StyleGAN2-ADA value in the rosinality layout of `kind` (inverse of `to_reference`)."""
    if kind in ("modconv", "const"):
        return value[None]
    if kind == "noise":
        return value[None, None]
    if kind == "scalar":
        return value.reshape(1)
    if kind == "rgb_bias":
        return value.reshape(1, -1, 1, 1)
    return value


def rename(state, pairs, blur_buffers, what):
    """{StyleGAN2-ADA name: value} of a rosinality state dict.

    Raises:
        ConversionError: listing parameters the layout does not have, missing ones and blur
            buffers that are not the [1, 3, 3, 1] kernel.
    """
    state = {name: np.asarray(value) for name, value in state.items()}
    unknown = sorted(set(state) - {p[0] for p in pairs} - set(blur_buffers))
    missing = sorted({p[0] for p in pairs} - set(state))
    bad_blur = sorted(name for name, kernel in blur_buffers.items()
                      if name in state and not (state[name].shape == kernel.shape and
                                                np.allclose(state[name], kernel, atol=1e-6)))
    report_problems(f"{what} (a rosinality StyleGAN2 network)",
                    {"unknown parameters": unknown, "missing parameters": missing,
                     "blur kernels other than [1, 3, 3, 1]": bad_blur})
    return {ref: to_reference(kind, state[ros]) for ros, ref, kind in pairs}
