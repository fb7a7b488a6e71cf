"""LPIPS perceptual distance (Zhang et al. 2018, "The Unreasonable Effectiveness of Deep Features
as a Perceptual Metric"), version 0.1, with a VGG16 or AlexNet backbone.

Same computation as the official `lpips` package (github richzhang/PerceptualSimilarity,
`lpips.LPIPS(net=..., version='0.1')` in eval mode, `spatial=False`):

1. Inputs in [-1, 1] are scaled per RGB channel: (x - shift) / scale with
   shift = [-.030, -.088, -.188], scale = [.458, .448, .450].
2. The torchvision backbone's `features` run up to five taps (every conv is followed by ReLU):
   VGG16 relu1_2, relu2_2, relu3_3, relu4_3, relu5_3 (features 0-3, 4-8, 9-15, 16-22, 23-29;
   3x3 convs with padding 1, 2x2/2 max-pools between stages; 64, 128, 256, 512, 512 channels);
   AlexNet relu1..relu5 (conv 11x11/4 pad 2, max-pool 3/2, conv 5x5 pad 2, max-pool 3/2, three
   3x3 pad 1 convs; 64, 192, 384, 256, 256 channels). Pools use floor rounding (VALID).
3. Each tapped feature is unit-normalised over channels: f / (sqrt(sum_c f^2) + 1e-10).
4. The squared difference of the two images' normalised features is weighted per channel by the
   non-negative calibration ("lin") weights (a 1x1 conv without bias; its dropout is inactive at
   evaluation), averaged over H and W, and summed over the five taps.

Images are NOT resized: both inputs must have the same size, and the value depends on it (the
StyleGAN2-ADA PPL metric box-downsamples images to 256x256 first, and uses the VGG variant).
Gradients are finite even where a tapped feature vector is all zero (the forward value is the
reference's).

Weights come from ONE .npz written by `tools/convert_lpips.py` (see `convert_torch_state_dicts`):
    net        'vgg' or 'alex' (0-d string array)
    version    '0.1'
    features.<i>.kernel  HWIO conv kernel of torchvision's `features.<i>.weight` (OIHW)
    features.<i>.bias    its bias [out]
    lin<k>     calibration weights of tap k, [C_k] (from `lin<k>.model.1.weight` [1, C_k, 1, 1])
"""

import re

import numpy as np
import tensorflow as tf

from tfgan_fs.metrics.weights import bad_weights_error, check_exists

SHIFT = (-0.030, -0.088, -0.188)
SCALE = (0.458, 0.448, 0.450)
EPS = 1e-10
FORMAT_VERSION = "0.1"

# Backbones, as torchvision `features` indices. `convs`: index -> (in, out, kernel, stride, pad).
# `stages`: ops between taps; ("conv", i) is conv i + ReLU, ("pool", k, s) a max-pool.
ARCHITECTURES = {
    "vgg": {
        "convs": {0: (3, 64, 3, 1, 1), 2: (64, 64, 3, 1, 1),
                  5: (64, 128, 3, 1, 1), 7: (128, 128, 3, 1, 1),
                  10: (128, 256, 3, 1, 1), 12: (256, 256, 3, 1, 1), 14: (256, 256, 3, 1, 1),
                  17: (256, 512, 3, 1, 1), 19: (512, 512, 3, 1, 1), 21: (512, 512, 3, 1, 1),
                  24: (512, 512, 3, 1, 1), 26: (512, 512, 3, 1, 1), 28: (512, 512, 3, 1, 1)},
        "stages": [[("conv", 0), ("conv", 2)],
                   [("pool", 2, 2), ("conv", 5), ("conv", 7)],
                   [("pool", 2, 2), ("conv", 10), ("conv", 12), ("conv", 14)],
                   [("pool", 2, 2), ("conv", 17), ("conv", 19), ("conv", 21)],
                   [("pool", 2, 2), ("conv", 24), ("conv", 26), ("conv", 28)]],
        "taps": ("relu1_2", "relu2_2", "relu3_3", "relu4_3", "relu5_3"),
    },
    "alex": {
        "convs": {0: (3, 64, 11, 4, 2), 3: (64, 192, 5, 1, 2), 6: (192, 384, 3, 1, 1),
                  8: (384, 256, 3, 1, 1), 10: (256, 256, 3, 1, 1)},
        "stages": [[("conv", 0)],
                   [("pool", 3, 2), ("conv", 3)],
                   [("pool", 3, 2), ("conv", 6)],
                   [("conv", 8)],
                   [("conv", 10)]],
        "taps": ("relu1", "relu2", "relu3", "relu4", "relu5"),
    },
}
NUM_TAPS = 5


def tap_conv_indices(net):
    """Index of the last conv of each stage (its channels are the tap's channels)."""
    stages = ARCHITECTURES[net]["stages"]
    return [[op[1] for op in stage if op[0] == "conv"][-1] for stage in stages]


def tap_channels(net):
    """Channels of the five taps of `net` ('vgg' -> 64, 128, 256, 512, 512)."""
    convs = ARCHITECTURES[net]["convs"]
    return [convs[i][1] for i in tap_conv_indices(net)]


def _expected_shapes(net):
    shapes = {"net": (), "version": ()}
    for i, (cin, cout, k, _, _) in ARCHITECTURES[net]["convs"].items():
        shapes[f"features.{i}.kernel"] = (k, k, cin, cout)
        shapes[f"features.{i}.bias"] = (cout,)
    for k, channels in enumerate(tap_channels(net)):
        shapes[f"lin{k}"] = (channels,)
    return shapes


class LPIPS(tf.Module):
    """LPIPS v0.1 distance; build with `LPIPS.load(path)`, call `lpips(img0, img1)` -> [N].

    Weights are non-trainable tf.Variables: load inside `strategy.scope()` to get one copy per
    replica under tf.distribute.

    Attributes:
        net: 'vgg' or 'alex'.
        source: The path loaded from (None when built from arrays).
    """

    def __init__(self, arrays, source=None):
        """Builds from a dict of arrays in the .npz format (validated); prefer `load`."""
        super().__init__(name=None)
        net = str(np.asarray(arrays.get("net", "")))
        if net not in ARCHITECTURES:
            raise ValueError(f"'net' must be one of {sorted(ARCHITECTURES)}, got {net!r}")
        version = str(np.asarray(arrays.get("version", "")))
        if version != FORMAT_VERSION:
            raise ValueError(f"'version' must be {FORMAT_VERSION!r}, got {version!r}")
        expected = _expected_shapes(net)
        missing = sorted(set(expected) - set(arrays))
        unknown = sorted(set(arrays) - set(expected))
        if missing or unknown:
            raise ValueError(f"{net} LPIPS weights: missing arrays {missing}, unknown arrays "
                             f"{unknown}")
        wrong = [f"{key}: {tuple(np.shape(arrays[key]))} (expected {shape})"
                 for key, shape in expected.items()
                 if key not in ("net", "version") and tuple(np.shape(arrays[key])) != shape]
        if wrong:
            raise ValueError(f"{net} LPIPS weights with wrong shapes: {'; '.join(wrong)}")
        lins = [np.asarray(arrays[f"lin{k}"], np.float32) for k in range(NUM_TAPS)]
        if any(np.any(lin < 0) for lin in lins):
            raise ValueError("LPIPS lin weights must be non-negative (the official training clamps "
                             "them at 0)")

        self.net = net
        self.source = source
        self._convs = {}
        for i, (_, _, _, stride, pad) in ARCHITECTURES[net]["convs"].items():
            kernel = tf.Variable(np.asarray(arrays[f"features.{i}.kernel"], np.float32),
                                 trainable=False, name=f"features_{i}_kernel")
            bias = tf.Variable(np.asarray(arrays[f"features.{i}.bias"], np.float32),
                               trainable=False, name=f"features_{i}_bias")
            self._convs[i] = (kernel, bias, stride, pad)
        self._lins = [tf.Variable(lin, trainable=False, name=f"lin{k}")
                      for k, lin in enumerate(lins)]

    @classmethod
    def load(cls, path, flag=None):
        """Loads an .npz written by tools/convert_lpips.py.

        Args:
            path: Path of the .npz.
            flag: Optional flag/argument name to cite in the MissingWeightsError message.

        Raises:
            MissingWeightsError: `path` is None or does not exist.
            ValueError: The file is not a converted LPIPS .npz (names the file and the problem).
        """
        path = check_exists("lpips", path, flag)
        try:
            with np.load(path, allow_pickle=False) as data:
                arrays = {key: data[key] for key in data.files}
        except Exception as err:
            raise bad_weights_error("lpips", path, f"not a readable .npz ({err})") from err
        try:
            return cls(arrays, source=path)
        except ValueError as err:
            raise bad_weights_error("lpips", path, str(err)) from err

    def _conv(self, x, index):
        kernel, bias, stride, pad = self._convs[index]
        if stride == 1 and 2 * pad == kernel.shape[0] - 1:
            padding = "SAME"  # the same zero padding; TF's CPU backward is much faster with it
        else:
            padding = [[0, 0], [pad, pad], [pad, pad], [0, 0]]
        x = tf.nn.conv2d(x, kernel, strides=stride, padding=padding)
        return tf.nn.relu(tf.nn.bias_add(x, bias))

    def __call__(self, img0, img1):
        """LPIPS distances between two batches of NHWC RGB images in [-1, 1] (same shape).

        Returns:
            [N] float32 distances (the official package's [N, 1, 1, 1] output, flattened).
        """
        x0 = tf.convert_to_tensor(img0)
        x1 = tf.convert_to_tensor(img1)
        x0 = tf.cast(x0, tf.float32) if x0.dtype != tf.float32 else x0
        x1 = tf.cast(x1, tf.float32) if x1.dtype != tf.float32 else x1
        if x0.shape.rank != 4 or x0.shape[-1] != 3:
            raise ValueError(f"images must be [N, H, W, 3], got shape {x0.shape}")
        if not x0.shape.is_compatible_with(x1.shape):
            raise ValueError(f"both image batches must have the same shape (LPIPS does not "
                             f"resize): {x0.shape} vs {x1.shape}")
        n = tf.shape(x0)[0]
        x = tf.concat([x0, x1], axis=0)
        x = (x - tf.constant(SHIFT, tf.float32)) / tf.constant(SCALE, tf.float32)
        total = tf.zeros([n], tf.float32)
        for stage, lin in zip(ARCHITECTURES[self.net]["stages"], self._lins):
            for op in stage:
                if op[0] == "conv":
                    x = self._conv(x, op[1])
                else:
                    x = tf.nn.max_pool2d(x, ksize=op[1], strides=op[2], padding="VALID")
            f = _normalize(x)
            diff = tf.square(f[:n] - f[n:])
            total += tf.reduce_mean(tf.reduce_sum(diff * lin, axis=-1), axis=[1, 2])
        return total


def _normalize(x):
    """x / (sqrt(sum_c x^2) + 1e-10), with a finite gradient where the sum is 0."""
    sq = tf.reduce_sum(tf.square(x), axis=-1, keepdims=True)
    positive = sq > 0
    norm = tf.where(positive, tf.sqrt(tf.where(positive, sq, tf.ones_like(sq))),
                    tf.zeros_like(sq))
    return x / (norm + EPS)


# --------------------------------------------------------------------------------------------
# Conversion from the PyTorch checkpoints (used by tools/convert_lpips.py; torch-free).

_LIN_PATTERNS = (re.compile(r"^lin(\d+)\.model\.1\.weight$"),
                 re.compile(r"^lins\.(\d+)\.model\.1\.weight$"))
_FEATURE_PATTERNS = (re.compile(r"^features\.(\d+)\.(weight|bias)$"),
                     re.compile(r"^net\.slice\d+\.(\d+)\.(weight|bias)$"))
_IGNORED_BACKBONE = re.compile(r"^classifier\.\d+\.(weight|bias)$")
_SCALING = {"scaling_layer.shift": SHIFT, "scaling_layer.scale": SCALE}


def convert_torch_state_dicts(net, backbone, lin):
    """Maps PyTorch state dicts (as NumPy arrays) to the LPIPS .npz arrays.

    Args:
        net: 'vgg' or 'alex'.
        backbone: torchvision VGG16 / AlexNet state dict: `features.<i>.weight` [O, I, kH, kW] and
            `features.<i>.bias` [O] for the convs of `ARCHITECTURES[net]` (`classifier.*` is
            ignored). The lpips package's own module keys `net.slice<k>.<i>.weight|bias` are
            accepted too.
        lin: lpips calibration state dict: `lin<k>.model.1.weight` [1, C_k, 1, 1] for k = 0..4,
            or the newer `lins.<k>.model.1.weight` style. `scaling_layer.shift|scale` are accepted
            if they hold the standard constants.

    Channel counts are checked for consistency (each conv's input = the previous conv's output,
    3 for the first, lin k = tap k's channels) but not against the standard sizes;
    `LPIPS` checks those when it loads the result.

    Returns:
        Dict of NumPy arrays: net, version, features.<i>.kernel (HWIO), features.<i>.bias, lin<k>.

    Raises:
        ValueError: unknown net, missing or unknown keys (all listed), or inconsistent shapes.
    """
    if net not in ARCHITECTURES:
        raise ValueError(f"net must be one of {sorted(ARCHITECTURES)}, got {net!r}")
    convs = ARCHITECTURES[net]["convs"]
    problems = []

    found = {}
    unknown = []
    for key, value in backbone.items():
        match = next((m for m in (p.match(key) for p in _FEATURE_PATTERNS) if m), None)
        if match and int(match.group(1)) in convs:
            name = f"features.{int(match.group(1))}.{match.group(2)}"
            if name in found:
                problems.append(f"backbone has {name} twice (under different key styles)")
            found[name] = np.asarray(value, np.float32)
        elif not _IGNORED_BACKBONE.match(key):
            unknown.append(key)
    missing = [f"features.{i}.{kind}" for i in convs for kind in ("weight", "bias")
               if f"features.{i}.{kind}" not in found]
    if missing or unknown:
        problems.append(f"{net} backbone: missing keys {missing}, unknown keys {sorted(unknown)}")

    lins = {}
    lin_unknown = []
    for key, value in lin.items():
        match = next((m for m in (p.match(key) for p in _LIN_PATTERNS) if m), None)
        if match and int(match.group(1)) < NUM_TAPS:
            k = int(match.group(1))
            if k in lins:
                problems.append(f"lin weights have lin{k} twice (under different key styles)")
            lins[k] = np.asarray(value, np.float32)
        elif key in _SCALING:
            value = np.asarray(value, np.float32).reshape(-1)
            if value.shape != (3,) or not np.allclose(value, _SCALING[key], atol=1e-6):
                problems.append(f"{key} = {value.tolist()} differs from the LPIPS v0.1 constants "
                                f"{list(_SCALING[key])}")
        else:
            lin_unknown.append(key)
    lin_missing = [f"lin{k}.model.1.weight (or lins.{k}.model.1.weight)"
                   for k in range(NUM_TAPS) if k not in lins]
    if lin_missing or lin_unknown:
        problems.append(f"lin weights: missing keys {lin_missing}, unknown keys "
                        f"{sorted(lin_unknown)}")
    if problems:
        raise ValueError("; ".join(problems))

    out = {"net": np.array(net), "version": np.array(FORMAT_VERSION)}
    channels = 3
    for i, (_, _, k, _, _) in convs.items():
        weight, bias = found[f"features.{i}.weight"], found[f"features.{i}.bias"]
        if weight.ndim != 4 or weight.shape[1] != channels or weight.shape[2:] != (k, k):
            problems.append(f"features.{i}.weight has shape {weight.shape}, expected "
                            f"[out, {channels}, {k}, {k}]")
            break
        if bias.shape != weight.shape[:1]:
            problems.append(f"features.{i}.bias has shape {bias.shape}, expected "
                            f"[{weight.shape[0]}]")
            break
        out[f"features.{i}.kernel"] = np.ascontiguousarray(weight.transpose(2, 3, 1, 0))
        out[f"features.{i}.bias"] = bias
        channels = weight.shape[0]
    if not problems:
        for k, index in enumerate(tap_conv_indices(net)):
            expected = found[f"features.{index}.weight"].shape[0]
            if lins[k].shape != (1, expected, 1, 1):
                problems.append(f"lin{k} has shape {lins[k].shape}, expected [1, {expected}, 1, 1]")
            else:
                out[f"lin{k}"] = lins[k].reshape(expected)
    if problems:
        raise ValueError("; ".join(problems))
    return out
