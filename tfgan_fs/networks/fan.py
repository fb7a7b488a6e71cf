"""The FAN face-landmark network of StarGAN v2's CelebA-HQ model, an NHWC Keras 3 port of
clovaai/stargan-v2 `core/wing.py` (a Face Alignment Network hourglass, Bulat & Tzimiropoulos 2017,
with CoordConv layers and 98 WFLW landmarks, as in AdaptiveWingLoss, Wang et al. 2019).

StarGAN v2 (Choi et al., CVPR 2020) with w_hpf > 0 turns the FAN's heatmaps of the source image
into two face masks (`preprocess`); the generator adds HighPass(mask * encoder feature) at its
32/64/128 decoder outputs (`tfgan_fs.networks.stargan_v2.Generator`). The reference computes them
with `nets.fan.get_heatmap(x)` under `torch.no_grad()` and keeps the FAN in eval mode: it is never
trained, its BatchNorm layers use their running statistics, and no gradient flows through the
masks (here: non-trainable weights and `tf.stop_gradient`).

Architecture (`FAN(num_modules=1, end_relu=False, num_landmarks=98)`, widths c = 64 officially):
CoordConv(x01 ++ [row, col, r] coords; 7x7, stride 2, pad 3, c) -> BN -> ReLU -> ConvBlock(c, 2c)
-> avgpool 2 -> ConvBlock(2c, 2c) -> ConvBlock(2c, 4c) -> hourglass (CoordConv 1x1 on x ++ 64x64
coords, then 4 levels of ConvBlocks, avgpool 2 down, nearest x2 up) -> ConvBlock -> conv1x1 -> BN
-> ReLU -> conv1x1 to num_landmarks + 1 heatmaps at 64 x 64 (the last channel is dropped).
ConvBlock(a, b) = concat(conv3x3(relu(bn(x))) to b/2, then b/4, then b/4) + residual (a BN-ReLU-
conv1x1 projection when a != b). The input is always resized to 256 x 256.

Every weight and BatchNorm buffer is listed under the reference's state_dict key
(`torch_parameters()`), so `wing.ckpt` converts by name (`tfgan_fs.convert.stargan_v2`).
Stock TF ops only (the masks go into exported SavedModels).

One module (~540 lines) as the reference's `core/wing.py`, ported class by class and read
beside it.
"""

import keras
import numpy as np
import tensorflow as tf

from tfgan_fs.networks.stargan_v2 import avg_pool2, upsample2

BN_EPS = 1e-5  # torch.nn.BatchNorm2d default
INPUT_SIZE = 256  # get_heatmap resizes every input to 256 x 256
HEATMAP_SIZE = 64  # the FAN's output resolution at its 256 input
HOURGLASS_DEPTH = 4
MASK_THRESHOLD = 0.1  # `truncate(x, thres=0.1)`
NORMALIZE_EPS = 1e-6  # `normalize(x, eps=1e-6)`
PACKAGE = "tfgan_fs.fan"


def coord_channels(height, width, with_r=True):
    """The reference's AddCoordsTh channels (H, W, 2 or 3), float32 as torch computes them:
    the row index and the column index scaled to [-1, 1], and r = sqrt(row^2 + col^2) / max."""
    rows = np.arange(height, dtype=np.float32)[:, None] * np.ones((1, width), np.float32)
    cols = np.ones((height, 1), np.float32) * np.arange(width, dtype=np.float32)[None, :]
    rows = rows / np.float32(height - 1) * np.float32(2) - np.float32(1)
    cols = cols / np.float32(width - 1) * np.float32(2) - np.float32(1)
    channels = [rows, cols]
    if with_r:
        rr = np.sqrt(rows * rows + cols * cols)
        channels.append(rr / rr.max())
    return np.stack(channels, axis=-1).astype(np.float32)


def _conv(filters, kernel, name, bias=True, strides=1):
    """Conv2D as torch's Conv2d with padding (k - 1) // 2 for stride 1 (odd k)."""
    return keras.layers.Conv2D(filters, kernel, strides=strides,
                               padding="same" if strides == 1 else "valid", use_bias=bias,
                               name=name, trainable=False)


def _conv_params(layer, key):
    out = {f"{key}.weight": (layer.kernel, "conv")}
    if layer.use_bias:
        out[f"{key}.bias"] = (layer.bias, "vector")
    return out


def _channels(c):
    return (None, None, None, c)


def _prefixed(params, prefix):
    return {f"{prefix}.{k}": v for k, v in params.items()}


@keras.saving.register_keras_serializable(package=PACKAGE)
class BatchNorm(keras.layers.Layer):
    """`nn.BatchNorm2d` in eval mode (NHWC): (x - running_mean) / sqrt(running_var + eps) *
    weight + bias. The FAN is never trained, so there is no training mode."""

    def __init__(self, epsilon=BN_EPS, **kwargs):
        super().__init__(**kwargs)
        self.epsilon = epsilon

    def build(self, input_shape):
        c = input_shape[-1]
        self.gamma = self.add_weight(name="weight", shape=(c,), initializer="ones",
                                     trainable=False)
        self.beta = self.add_weight(name="bias", shape=(c,), initializer="zeros",
                                    trainable=False)
        self.moving_mean = self.add_weight(name="running_mean", shape=(c,),
                                           initializer="zeros", trainable=False)
        self.moving_variance = self.add_weight(name="running_var", shape=(c,),
                                               initializer="ones", trainable=False)

    def call(self, x):
        scale = self.gamma * tf.math.rsqrt(self.moving_variance + self.epsilon)
        return (x - self.moving_mean) * scale + self.beta

    def torch_parameters(self):
        return {"weight": (self.gamma, "vector"), "bias": (self.beta, "vector"),
                "running_mean": (self.moving_mean, "vector"),
                "running_var": (self.moving_variance, "vector")}

    def get_config(self):
        return {**super().get_config(), "epsilon": self.epsilon}


@keras.saving.register_keras_serializable(package=PACKAGE)
class ConvBlock(keras.layers.Layer):
    """The reference's ConvBlock(in_planes, out_planes): three pre-activation (BN, ReLU) 3x3
    convolutions without bias to out/2, out/4, out/4 channels, concatenated, plus the input
    (through BN, ReLU, conv1x1 without bias when in_planes != out_planes)."""

    def __init__(self, in_planes, out_planes, **kwargs):
        super().__init__(**kwargs)
        if out_planes % 4:
            raise ValueError(f"ConvBlock: out_planes {out_planes} is not a multiple of 4")
        self.in_planes, self.out_planes = in_planes, out_planes
        self.bn1 = BatchNorm(name="bn1")
        self.conv1 = _conv(out_planes // 2, 3, "conv1", bias=False)
        self.bn2 = BatchNorm(name="bn2")
        self.conv2 = _conv(out_planes // 4, 3, "conv2", bias=False)
        self.bn3 = BatchNorm(name="bn3")
        self.conv3 = _conv(out_planes // 4, 3, "conv3", bias=False)
        self.has_downsample = in_planes != out_planes
        if self.has_downsample:
            self.downsample_bn = BatchNorm(name="downsample_0")
            self.downsample_conv = _conv(out_planes, 1, "downsample_2", bias=False)

    def build(self, input_shape):
        """Builds the sublayers from the channel counts (no symbolic run of `call`)."""
        half, quarter = self.out_planes // 2, self.out_planes // 4
        for bn, conv, c in ((self.bn1, self.conv1, self.in_planes), (self.bn2, self.conv2, half),
                            (self.bn3, self.conv3, quarter)):
            bn.build(_channels(c))
            conv.build(_channels(c))
        if self.has_downsample:
            self.downsample_bn.build(_channels(self.in_planes))
            self.downsample_conv.build(_channels(self.in_planes))
        self.built = True

    def call(self, x):
        out1 = self.conv1(tf.nn.relu(self.bn1(x)))
        out2 = self.conv2(tf.nn.relu(self.bn2(out1)))
        out3 = self.conv3(tf.nn.relu(self.bn3(out2)))
        residual = x
        if self.has_downsample:
            residual = self.downsample_conv(tf.nn.relu(self.downsample_bn(x)))
        return tf.concat([out1, out2, out3], axis=-1) + residual

    def torch_parameters(self):
        p = {}
        for i in (1, 2, 3):
            p.update(_prefixed(getattr(self, f"bn{i}").torch_parameters(), f"bn{i}"))
            p.update(_conv_params(getattr(self, f"conv{i}"), f"conv{i}"))
        if self.has_downsample:
            p.update(_prefixed(self.downsample_bn.torch_parameters(), "downsample.0"))
            p.update(_conv_params(self.downsample_conv, "downsample.2"))
        return p

    def get_config(self):
        return {**super().get_config(), "in_planes": self.in_planes,
                "out_planes": self.out_planes}


@keras.saving.register_keras_serializable(package=PACKAGE)
class CoordConv(keras.layers.Layer):
    """The reference's CoordConvTh without boundary channels (the FAN's only use: its
    hourglass gets `heatmap=None`): concat(x, row, col, r coordinates of a fixed size), then
    a convolution with bias (torch padding `padding`, stride `strides`)."""

    def __init__(self, size, filters, kernel, strides=1, padding=0, **kwargs):
        super().__init__(**kwargs)
        self.size, self.filters, self.kernel = size, filters, kernel
        self.strides, self.padding = strides, padding
        self.conv = keras.layers.Conv2D(filters, kernel, strides=strides, padding="valid",
                                        name="conv", trainable=False)
        self.coords = tf.constant(coord_channels(size, size)[None])

    def build(self, input_shape):
        self.conv.build(_channels(input_shape[-1] + self.coords.shape[-1]))
        self.built = True

    def call(self, x):
        if x.shape[1] is not None and (x.shape[1], x.shape[2]) != (self.size, self.size):
            raise ValueError(f"CoordConv {self.name}: expected {self.size}x{self.size} "
                             f"inputs (fixed coordinate maps), got {x.shape[1]}x{x.shape[2]}")
        coords = tf.tile(tf.cast(self.coords, x.dtype), [tf.shape(x)[0], 1, 1, 1])
        x = tf.concat([x, coords], axis=-1)
        if self.padding:
            p = self.padding
            x = tf.pad(x, [[0, 0], [p, p], [p, p], [0, 0]])
        return self.conv(x)

    def torch_parameters(self):
        return _conv_params(self.conv, "conv")

    def get_config(self):
        return {**super().get_config(), "size": self.size, "filters": self.filters,
                "kernel": self.kernel, "strides": self.strides, "padding": self.padding}


@keras.saving.register_keras_serializable(package=PACKAGE)
class HourGlass(keras.layers.Layer):
    """The reference's HourGlass(num_modules=1, depth, first_one=True): a 1x1 CoordConv
    (64 x 64 coordinates), then recursively up = b1(x), low = b2(avgpool(x)), the next level
    (or b2_plus at level 1), b3, nearest x2; out = up + upsampled low."""

    def __init__(self, features, depth=HOURGLASS_DEPTH, size=HEATMAP_SIZE, **kwargs):
        super().__init__(**kwargs)
        self.features, self.depth, self.size = features, depth, size
        self.coordconv = CoordConv(size, features, 1, name="coordconv")
        for level in range(depth, 0, -1):
            for name in [f"b1_{level}", f"b2_{level}"] + (
                    [f"b2_plus_{level}"] if level == 1 else []) + [f"b3_{level}"]:
                setattr(self, name, ConvBlock(features, features, name=name))

    def build(self, input_shape):
        self.coordconv.build(_channels(input_shape[-1]))
        for name in self.block_names()[1:]:
            getattr(self, name).build(_channels(self.features))
        self.built = True

    def _forward(self, level, x):
        up1 = getattr(self, f"b1_{level}")(x)
        low1 = getattr(self, f"b2_{level}")(avg_pool2(x))
        if level > 1:
            low2 = self._forward(level - 1, low1)
        else:
            low2 = getattr(self, f"b2_plus_{level}")(low1)
        low3 = getattr(self, f"b3_{level}")(low2)
        return up1 + upsample2(low3)

    def call(self, x):
        return self._forward(self.depth, self.coordconv(x))

    def block_names(self):
        names = ["coordconv"]
        for level in range(self.depth, 0, -1):
            names += [f"b1_{level}", f"b2_{level}"] + (
                [f"b2_plus_{level}"] if level == 1 else []) + [f"b3_{level}"]
        return names

    def torch_parameters(self):
        p = {}
        for name in self.block_names():
            p.update(_prefixed(getattr(self, name).torch_parameters(), name))
        return p

    def get_config(self):
        return {**super().get_config(), "features": self.features, "depth": self.depth,
                "size": self.size}


# ---------------------------------------------------------------------------------------------
# Masks: the reference's `preprocess` (core/wing.py "Mask related functions").

# `index_map`: landmark index ranges [start, end) of the 98 WFLW landmarks.
INDEX_MAP = dict(chin=(0 + 8, 33 - 8), eyebrows=(33, 51), eyebrowsedges=(33, 46), nose=(51, 55),
                 nostrils=(55, 60), eyes=(60, 76), lipedges=(76, 82), lipupper=(77, 82),
                 liplower=(83, 88), lipinner=(88, 96))
# `operations` of preprocess: part -> (shift in pixels at 256 (times sw = H // 256), power).
PART_OPERATIONS = (("chin", 0, 3), ("eyebrows", -7, 2), ("nostrils", 8, 4), ("lipupper", -8, 4),
                   ("liplower", 8, 4), ("lipinner", -2, 3))


def _mask_plan(num_channels=98, sw=1):
    """Follows the reference's preprocess step by step on symbolic channels and returns
    (plan1, plan2): for each mask, {(roll, power): [channels]}, the mask being
    sum over (roll, power) of roll_H(sum over channels of n_c ** power, roll), with n_c the
    truncated, min-max normalised heatmap c.

    A channel is a list of terms (roll, power) = roll_H(n_c, roll) ** power. The reference's
    shift(x, N) is roll_H(x, -N) (circular: up by N >= 0, down by -N); resize(x, p) = x ** p
    (a power of a single term, as the reference only raises single terms); rolls and powers
    commute.
    """
    channels = [[(0, 1)] for _ in range(num_channels)]

    def shift(idx, n):
        for c in idx:
            channels[c] = [(r - n, p) for r, p in channels[c]]

    def resize(idx, power):
        for c in idx:
            if len(channels[c]) > 1:
                raise AssertionError("power of a sum")  # not in the reference's steps
            channels[c] = [(r, p * power) for r, p in channels[c]]

    for part, n, power in PART_OPERATIONS:  # x[:, s:e] = resize(shift(x[:, s:e], n), p)
        start, end = INDEX_MAP[part]
        shift(range(start, end), n * sw)
        resize(range(start, end), power)
    zero_out = (list(range(0, INDEX_MAP["chin"][0])) + list(range(INDEX_MAP["chin"][1], 33))
                + [INDEX_MAP["eyebrowsedges"][0], INDEX_MAP["eyebrowsedges"][1],
                   INDEX_MAP["lipedges"][0], INDEX_MAP["lipedges"][1]])
    for c in zero_out:
        channels[c] = []
    start, end = INDEX_MAP["nose"]
    shift(range(start + 1, end), 4 * sw)
    resize(range(start, end), 1)
    start, end = INDEX_MAP["eyes"]
    resize(range(start, end), 1)
    for c in range(start, end):  # resize(shift(x, -8), 3) + shift(x, -24): not scaled by sw
        (r, p), = channels[c]
        channels[c] = [(r + 8, p * 3), (r + 24, p)]
    channels2 = list(channels)  # second-level mask: no face line, mouth, eyebrows
    for part in ("chin", ("lipedges", "lipinner"), "eyebrows"):
        first, last = (part, part) if isinstance(part, str) else part
        for c in range(INDEX_MAP[first][0], INDEX_MAP[last][1]):
            channels2[c] = []

    def group(chs):
        plan = {}
        for c, terms in enumerate(chs):
            for term in terms:
                plan.setdefault(term, []).append(c)
        return dict(sorted(plan.items()))

    return group(channels), group(channels2)


def truncate_normalize(heatmaps, threshold=MASK_THRESHOLD, eps=NORMALIZE_EPS):
    """`normalize(truncate(x))`: values below `threshold` set to 0, then min-max normalised per
    image and channel: (x - min) / (max - min + eps). heatmaps: NHWC."""
    x = tf.where(heatmaps < threshold, tf.zeros_like(heatmaps), heatmaps)
    lo = tf.reduce_min(x, axis=[1, 2], keepdims=True)
    hi = tf.reduce_max(x, axis=[1, 2], keepdims=True)
    return (x - lo) / (hi - lo + eps)


def _int_power(x, power):
    out = x
    for _ in range(power - 1):
        out = out * x
    return out


def preprocess(heatmaps, threshold=MASK_THRESHOLD):
    """The reference's `preprocess`: two face masks from 98 landmark heatmaps.

    Heatmaps below `threshold` are zeroed and each channel is min-max normalised; the parts are
    shifted vertically (circularly, `torch` index permutations) and raised to powers: chin ** 3,
    eyebrows up 7 ** 2, nostrils down 8 ** 4, upper lip up 8 ** 4, lower lip down 8 ** 4, inner
    lip up 2 ** 3; the face line's ends (0-7, 25-32), eyebrow and lip edges (33, 46, 76, 82) are
    dropped; the nose tip is moved down 4; eyes become (up 8) ** 3 + (up 24). Mask 1 is the sum
    of all channels, mask 2 the sum without face line, mouth (76-95) and eyebrows; both are
    clipped to [0, 1] (NaNs, which the min-max eps rules out for finite input, become 0; the
    reference zeroes them in mask 1 only). Shifts are scaled by H // 256 as the reference's.

    Args:
        heatmaps: [N, H, W, 98] float32 (the FAN's heatmaps upsampled to the image size).
        threshold: the truncation threshold (the reference's 0.1).

    Returns:
        (mask, mask2), each [N, H, W, 1] in [0, 1].
    """
    heatmaps = tf.convert_to_tensor(heatmaps, tf.float32)
    if heatmaps.shape[-1] != 98:
        raise ValueError(f"preprocess: expected 98 landmark heatmaps, got shape "
                         f"{heatmaps.shape}")
    height = heatmaps.shape[1]
    if height is None:
        raise ValueError("preprocess: the heatmap height must be static (the part shifts "
                         "depend on it)")
    n = truncate_normalize(heatmaps, threshold)
    masks = []
    for plan in _mask_plan(98, max(height // 256, 0)):
        total = tf.zeros_like(n[..., :1])
        for (roll, power), idx in plan.items():
            part = tf.reduce_sum(_int_power(tf.gather(n, idx, axis=-1), power), axis=-1,
                                 keepdims=True)
            total = total + (tf.roll(part, roll, axis=1) if roll % height else part)
        total = tf.where(tf.math.is_nan(total), tf.zeros_like(total), total)
        masks.append(tf.clip_by_value(total, 0.0, 1.0))
    return tuple(masks)


def resize_bilinear_align_corners(x, size):
    """`F.interpolate(x, size, mode='bilinear', align_corners=True)` (NHWC)."""
    return tf.raw_ops.ResizeBilinear(images=x, size=size, align_corners=True,
                                     half_pixel_centers=False)


def landmarks_from_heatmaps(heatmaps):
    """The reference's `get_preds_fromhm`: per channel the arg-max (x, y) in heatmap pixels,
    moved by 0.25 towards the larger neighbour in x and in y where the peak is not on the border
    (0 < p < 63), minus 0.5.

    Args:
        heatmaps: [N, 64, 64, C].

    Returns:
        [N, C, 2] float32 (x, y).
    """
    hm = tf.transpose(tf.convert_to_tensor(heatmaps, tf.float32), [0, 3, 1, 2])  # N, C, H, W
    height, width = hm.shape[2], hm.shape[3]
    flat = tf.reshape(hm, [tf.shape(hm)[0], tf.shape(hm)[1], height * width])
    idx = tf.argmax(flat, axis=-1, output_type=tf.int32)
    px, py = idx % width, idx // height  # the reference divides by H for y, as here
    inside = (px > 0) & (px < HEATMAP_SIZE - 1) & (py > 0) & (py < HEATMAP_SIZE - 1)
    pxc = tf.clip_by_value(px, 1, width - 2)
    pyc = tf.clip_by_value(py, 1, height - 2)

    def at(y, x):
        return tf.gather(flat, y * width + x, axis=-1, batch_dims=2)

    dx = at(pyc, pxc + 1) - at(pyc, pxc - 1)
    dy = at(pyc + 1, pxc) - at(pyc - 1, pxc)
    adjust = tf.where(inside[..., None], 0.25 * tf.sign(tf.stack([dx, dy], axis=-1)), 0.0)
    preds = tf.cast(tf.stack([px, py], axis=-1), tf.float32) + 1.0 + adjust
    return preds - 0.5


@keras.saving.register_keras_serializable(package=PACKAGE)
class FAN(keras.Model):
    """The reference's FAN (core/wing.py) in NHWC; weights frozen (eval mode, as the reference).

    `call(x01)` is the reference's `forward(x)[0][-1]`: x01 [N, 256, 256, 3] in [0, 1] ->
    [N, 64, 64, num_landmarks + 1] (ReLU'd when end_relu). `get_heatmap`, `get_landmark` and
    `get_masks` take images in [-1, 1] of any size, as the reference's.

    Args:
        num_landmarks: 98 (the reference's; `preprocess` needs 98).
        end_relu: the reference's `end_relu` (False in StarGAN v2: `FAN(fname_pretrained=...)`).
        num_modules: 1 (the reference builds one hourglass whatever num_modules says).
        width: the first channel count c (64 in the reference: c, 2c, 4c = 64, 128, 256);
            small widths are for tests.
    """

    def __init__(self, num_landmarks=98, end_relu=False, num_modules=1, width=64, **kwargs):
        kwargs.setdefault("name", "fan")
        super().__init__(**kwargs)
        if num_modules != 1:
            raise ValueError(f"FAN: num_modules={num_modules}; the StarGAN v2 reference builds "
                             "one hourglass (num_modules=1)")
        if width % 4:
            raise ValueError(f"FAN: width {width} is not a multiple of 4")
        self.num_landmarks, self.end_relu = num_landmarks, end_relu
        self.num_modules, self.width = num_modules, width
        c = width
        self.conv1 = CoordConv(INPUT_SIZE, c, 7, strides=2, padding=3, name="conv1")
        self.bn1 = BatchNorm(name="bn1")
        self.conv2 = ConvBlock(c, 2 * c, name="conv2")
        self.conv3 = ConvBlock(2 * c, 2 * c, name="conv3")
        self.conv4 = ConvBlock(2 * c, 4 * c, name="conv4")
        self.m0 = HourGlass(4 * c, name="m0")
        self.top_m_0 = ConvBlock(4 * c, 4 * c, name="top_m_0")
        self.conv_last0 = _conv(4 * c, 1, "conv_last0")
        self.bn_end0 = BatchNorm(name="bn_end0")
        self.l0 = _conv(num_landmarks + 1, 1, "l0")
        self.trainable = False

    def build(self, input_shape=None):
        """Creates every weight from the channel counts (no forward pass)."""
        c = self.width
        self.conv1.build(_channels(3))
        for layer, channels in ((self.bn1, c), (self.conv2, c), (self.conv3, 2 * c),
                                (self.conv4, 2 * c), (self.m0, 4 * c), (self.top_m_0, 4 * c),
                                (self.conv_last0, 4 * c), (self.bn_end0, 4 * c),
                                (self.l0, 4 * c)):
            layer.build(_channels(channels))
        self.built = True

    def call(self, x01):
        x = tf.nn.relu(self.bn1(self.conv1(x01)))
        x = avg_pool2(self.conv2(x))
        x = self.conv4(self.conv3(x))
        ll = self.top_m_0(self.m0(x))
        ll = tf.nn.relu(self.bn_end0(self.conv_last0(ll)))
        out = self.l0(ll)
        return tf.nn.relu(out) if self.end_relu else out

    def build_for_size(self):
        """Creates the weights (the FAN's input is always 256 x 256 x 3)."""
        self.build((None, INPUT_SIZE, INPUT_SIZE, 3))
        return self

    def get_heatmap(self, x, b_preprocess=True):
        """The reference's `get_heatmap` (no gradient).

        x [N, H, W, 3] in [-1, 1] is resized to 256 x 256 (bilinear, half-pixel centres, no
        antialiasing: torch's `F.interpolate(x, size=256, mode='bilinear')`) and mapped to
        [0, 1]; the heatmaps are the FAN's first num_landmarks channels at 64 x 64. With
        `b_preprocess` they are upsampled x4 to 256 (bilinear, align_corners=True) and turned
        into the two face masks (`preprocess`).

        Returns:
            [N, 64, 64, num_landmarks], or with b_preprocess the masks
            ([N, 256, 256, 1], [N, 256, 256, 1]).
        """
        x = tf.cast(x, tf.float32)
        if x.shape[1] != INPUT_SIZE or x.shape[2] != INPUT_SIZE:
            x = tf.image.resize(x, [INPUT_SIZE, INPUT_SIZE], "bilinear", antialias=False)
        heatmaps = tf.stop_gradient(self(x * 0.5 + 0.5)[..., :-1])
        if not b_preprocess:
            return heatmaps
        scale = INPUT_SIZE // heatmaps.shape[1]
        size = [heatmaps.shape[1] * scale, heatmaps.shape[2] * scale]
        return tuple(tf.stop_gradient(m) for m in
                     preprocess(resize_bilinear_align_corners(heatmaps, size)))

    def get_masks(self, x):
        """The generator's two masks (masks[0] at 32, masks[1] at 64/128) of x [N, H, W, 3] in
        [-1, 1]: `get_heatmap(x)`, NHWC [N, 256, 256, 1] each whatever H, W (the generator
        resizes them, as the reference's `Generator.forward`)."""
        return self.get_heatmap(x, b_preprocess=True)

    def get_landmark(self, x):
        """The reference's `get_landmark`: [N, num_landmarks, 2] (x, y) landmark positions in
        pixels of x [N, H, W, 3] ([-1, 1]), i.e. heatmap positions times H // 64."""
        heatmaps = self.get_heatmap(x, b_preprocess=False)
        scale = tf.shape(x)[1] // heatmaps.shape[1]
        return landmarks_from_heatmaps(heatmaps) * tf.cast(scale, tf.float32)

    def torch_parameters(self):
        """{reference state_dict key: (variable, kind)}: every parameter and BatchNorm running
        statistic ('num_batches_tracked' is not used in eval mode and has no variable)."""
        p = {}
        p.update(_prefixed(self.conv1.torch_parameters(), "conv1"))
        p.update(_prefixed(self.bn1.torch_parameters(), "bn1"))
        for name in ("conv2", "conv3", "conv4", "m0", "top_m_0"):
            p.update(_prefixed(getattr(self, name).torch_parameters(), name))
        p.update(_conv_params(self.conv_last0, "conv_last0"))
        p.update(_prefixed(self.bn_end0.torch_parameters(), "bn_end0"))
        p.update(_conv_params(self.l0, "l0"))
        return p

    def get_config(self):
        return {"num_landmarks": self.num_landmarks, "end_relu": self.end_relu,
                "num_modules": self.num_modules, "width": self.width, "name": self.name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)
