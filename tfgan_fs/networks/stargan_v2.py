"""StarGAN v2 networks (Choi et al., "StarGAN v2: Diverse Image Synthesis for Multiple Domains",
CVPR 2020), NHWC Keras 3 ports of clovaai/stargan-v2 `core/model.py`.

Every block lists its weights under the reference's state_dict keys (`torch_parameters()`:
{key: (variable, kind)}, kind 'conv' (OIHW -> HWIO), 'dense' (out,in -> in,out) or 'vector'),
so official checkpoints convert by name (`tfgan_fs.convert.stargan_v2`). Initialisation is the
reference's `he_init`: Kaiming normal, fan-in, gain sqrt(2), zero biases.

One module (~500 lines) as the reference's `core/model.py`, ported class by class and read
beside it.
"""

import math

import keras
import numpy as np
import tensorflow as tf

IN_EPS = 1e-5  # torch.nn.InstanceNorm2d default
LRELU_SLOPE = 0.2


def he_init():
    """`kaiming_normal_(mode='fan_in', nonlinearity='relu')` (untruncated)."""
    return keras.initializers.VarianceScaling(2.0, "fan_in", "untruncated_normal")


def conv(filters, kernel, name, bias=True, padding=None):
    """Conv2D as torch's `Conv2d(k, stride 1, padding (k-1)//2 or 0)`."""
    return keras.layers.Conv2D(filters, kernel, padding=padding or ("same" if kernel > 1 else
                                                                    "valid"),
                               use_bias=bias, kernel_initializer=he_init(), name=name)


def dense(units, name):
    return keras.layers.Dense(units, kernel_initializer=he_init(), name=name)


def lrelu(x):
    return tf.nn.leaky_relu(x, LRELU_SLOPE)


def instance_norm(x, eps=IN_EPS):
    """torch InstanceNorm2d without affine: per sample and channel, biased variance."""
    mean, var = tf.nn.moments(x, axes=[1, 2], keepdims=True)
    return (x - mean) * tf.math.rsqrt(var + eps)


def avg_pool2(x):
    return tf.nn.avg_pool2d(x, 2, 2, "VALID")


def upsample2(x):
    """`F.interpolate(scale_factor=2, mode='nearest')`."""
    return tf.repeat(tf.repeat(x, 2, axis=1), 2, axis=2)


def _conv_params(layer, key):
    out = {f"{key}.weight": (layer.kernel, "conv")}
    if layer.use_bias:
        out[f"{key}.bias"] = (layer.bias, "vector")
    return out


def _dense_params(layer, key):
    return {f"{key}.weight": (layer.kernel, "dense"), f"{key}.bias": (layer.bias, "vector")}


def _prefixed(params, prefix):
    return {f"{prefix}.{k}": v for k, v in params.items()}


def _set_layers(owner, layers):
    """Sets each layer as an attribute named by its name and returns the names: named
    attributes, not lists, because tf.train.Checkpoint does not see Keras' lists."""
    for layer in layers:
        setattr(owner, layer.name, layer)
    return tuple(layer.name for layer in layers)


def _get_layers(owner, names):
    return [getattr(owner, name) for name in names]


def select_domain(out, y):
    """out[range(N), y] for out of shape (N, num_domains, ...)."""
    return tf.gather(out, tf.cast(y, tf.int32), axis=1, batch_dims=1)


@keras.saving.register_keras_serializable(package="tfgan_fs.stargan_v2")
class InstanceNorm(keras.layers.Layer):
    """`nn.InstanceNorm2d(C, affine)` in NHWC (eps 1e-5, biased variance, no running stats)."""

    def __init__(self, affine=True, **kwargs):
        super().__init__(**kwargs)
        self.affine = affine

    def build(self, input_shape):
        if self.affine:
            c = input_shape[-1]
            self.gamma = self.add_weight(name="weight", shape=(c,), initializer="ones")
            self.beta = self.add_weight(name="bias", shape=(c,), initializer="zeros")

    def call(self, x):
        x = instance_norm(x)
        return x * self.gamma + self.beta if self.affine else x

    def torch_parameters(self):
        return {"weight": (self.gamma, "vector"), "bias": (self.beta, "vector")}

    def get_config(self):
        return {**super().get_config(), "affine": self.affine}


@keras.saving.register_keras_serializable(package="tfgan_fs.stargan_v2")
class ResBlk(keras.layers.Layer):
    """Pre-activation residual block: [IN] LReLU conv3x3 [avgpool] [IN] LReLU conv3x3, plus a
    shortcut (1x1 conv without bias when dims differ, avgpool), divided by sqrt(2)."""

    def __init__(self, dim_in, dim_out, normalize=False, downsample=False, **kwargs):
        super().__init__(**kwargs)
        self.dim_in, self.dim_out = dim_in, dim_out
        self.normalize, self.downsample = normalize, downsample
        self.learned_sc = dim_in != dim_out
        self.conv1 = conv(dim_in, 3, "conv1")
        self.conv2 = conv(dim_out, 3, "conv2")
        if normalize:
            self.norm1 = InstanceNorm(name="norm1")
            self.norm2 = InstanceNorm(name="norm2")
        if self.learned_sc:
            self.conv1x1 = conv(dim_out, 1, "conv1x1", bias=False)

    def call(self, x):
        sc = self.conv1x1(x) if self.learned_sc else x
        if self.downsample:
            sc = avg_pool2(sc)
        h = self.norm1(x) if self.normalize else x
        h = self.conv1(lrelu(h))
        if self.downsample:
            h = avg_pool2(h)
        if self.normalize:
            h = self.norm2(h)
        h = self.conv2(lrelu(h))
        return (sc + h) / math.sqrt(2)

    def torch_parameters(self):
        p = {**_conv_params(self.conv1, "conv1"), **_conv_params(self.conv2, "conv2")}
        if self.normalize:
            p.update(_prefixed(self.norm1.torch_parameters(), "norm1"))
            p.update(_prefixed(self.norm2.torch_parameters(), "norm2"))
        if self.learned_sc:
            p.update(_conv_params(self.conv1x1, "conv1x1"))
        return p

    def get_config(self):
        return {**super().get_config(), "dim_in": self.dim_in, "dim_out": self.dim_out,
                "normalize": self.normalize, "downsample": self.downsample}


@keras.saving.register_keras_serializable(package="tfgan_fs.stargan_v2")
class AdaIN(keras.layers.Layer):
    """Adaptive instance norm: fc(s) -> (gamma, beta); (1 + gamma) * IN(x) + beta."""

    def __init__(self, num_features, **kwargs):
        super().__init__(**kwargs)
        self.num_features = num_features
        self.fc = dense(2 * num_features, "fc")

    def call(self, x, s):
        h = self.fc(s)[:, None, None, :]
        gamma, beta = tf.split(h, 2, axis=-1)
        return (1.0 + gamma) * instance_norm(x) + beta

    def torch_parameters(self):
        return _dense_params(self.fc, "fc")

    def get_config(self):
        return {**super().get_config(), "num_features": self.num_features}


@keras.saving.register_keras_serializable(package="tfgan_fs.stargan_v2")
class AdainResBlk(keras.layers.Layer):
    """AdaIN LReLU [up x2] conv3x3 AdaIN LReLU conv3x3; the shortcut (nearest x2, 1x1 conv
    without bias when dims differ) and /sqrt(2) only when w_hpf == 0, as the reference."""

    def __init__(self, dim_in, dim_out, w_hpf=0, upsample=False, **kwargs):
        super().__init__(**kwargs)
        self.dim_in, self.dim_out = dim_in, dim_out
        self.w_hpf, self.upsample = w_hpf, upsample
        self.learned_sc = dim_in != dim_out
        self.conv1 = conv(dim_out, 3, "conv1")
        self.conv2 = conv(dim_out, 3, "conv2")
        self.norm1 = AdaIN(dim_in, name="norm1")
        self.norm2 = AdaIN(dim_out, name="norm2")
        if self.learned_sc:
            self.conv1x1 = conv(dim_out, 1, "conv1x1", bias=False)
            if w_hpf != 0:  # unused without the shortcut, but in the reference's state_dict
                self.conv1x1.build((None, None, None, dim_in))

    def call(self, x, s):
        h = lrelu(self.norm1(x, s))
        if self.upsample:
            h = upsample2(h)
        h = self.conv1(h)
        h = self.conv2(lrelu(self.norm2(h, s)))
        if self.w_hpf == 0:
            sc = upsample2(x) if self.upsample else x
            if self.learned_sc:
                sc = self.conv1x1(sc)
            h = (h + sc) / math.sqrt(2)
        return h

    def torch_parameters(self):
        p = {**_conv_params(self.conv1, "conv1"), **_conv_params(self.conv2, "conv2"),
             **_prefixed(self.norm1.torch_parameters(), "norm1"),
             **_prefixed(self.norm2.torch_parameters(), "norm2")}
        if self.learned_sc:
            p.update(_conv_params(self.conv1x1, "conv1x1"))
        return p

    def get_config(self):
        return {**super().get_config(), "dim_in": self.dim_in, "dim_out": self.dim_out,
                "w_hpf": self.w_hpf, "upsample": self.upsample}


def high_pass(x, w_hpf):
    """The reference's HighPass: depthwise 3x3 Laplacian [[-1]*3, [-1, 8, -1], [-1]*3] / w_hpf."""
    k = np.full((3, 3), -1.0, np.float32)
    k[1, 1] = 8.0
    k = tf.constant(k / float(w_hpf))[:, :, None, None]
    k = tf.tile(k, [1, 1, tf.shape(x)[-1], 1])
    return tf.nn.depthwise_conv2d(x, k, [1, 1, 1, 1], "SAME")


def default_dim_in(img_size):
    """The reference's first channel count, 2**14 // img_size."""
    return 2 ** 14 // img_size


def encoder_repeat(img_size, w_hpf):
    """Down-sampling blocks of the generator: log2(img_size) - 4, plus one when w_hpf > 0."""
    return int(np.log2(img_size)) - 4 + (1 if w_hpf > 0 else 0)


HPF_RESOLUTIONS = (32, 64, 128)


@keras.saving.register_keras_serializable(package="tfgan_fs.stargan_v2")
class Generator(keras.Model):
    """G(x, s[, masks]): from_rgb, ResBlk encoder (IN, downsample), 2 bottleneck ResBlks, the
    mirrored AdainResBlk decoder, to_rgb (IN affine, LReLU, 1x1 conv).

    With masks (two NHWC (N, H, W, 1) tensors, the FAN's face masks) and w_hpf > 0, decoder
    outputs at 32/64/128 add HighPass(mask * encoder feature of that size); masks[0] at 32,
    masks[1] above, bilinearly resized (half-pixel centres as torch's align_corners=False).

    Args:
        img_size, style_dim, max_conv_dim, w_hpf: as the reference.
        dim_in: first channel count (default the reference's 2**14 // img_size).
    """

    def __init__(self, img_size=256, style_dim=64, max_conv_dim=512, w_hpf=1, dim_in=None,
                 **kwargs):
        super().__init__(**kwargs)
        self.img_size, self.style_dim = img_size, style_dim
        self.max_conv_dim, self.w_hpf = max_conv_dim, w_hpf
        self.dim_in = dim_in or default_dim_in(img_size)
        d = self.dim_in
        self.from_rgb = conv(d, 3, "from_rgb")
        encode, decode = [], []
        for _ in range(encoder_repeat(img_size, w_hpf)):
            d_out = min(d * 2, max_conv_dim)
            encode.append((d, d_out, True))
            decode.insert(0, (d_out, d, True))
            d = d_out
        for _ in range(2):
            encode.append((d, d, False))
            decode.insert(0, (d, d, False))
        self._encode = _set_layers(self, [
            ResBlk(a, b, normalize=True, downsample=down, name=f"encode_{i}")
            for i, (a, b, down) in enumerate(encode)])
        self._decode = _set_layers(self, [
            AdainResBlk(a, b, w_hpf=w_hpf, upsample=up, name=f"decode_{i}")
            for i, (a, b, up) in enumerate(decode)])
        self.to_rgb_norm = InstanceNorm(name="to_rgb_0")
        self.to_rgb_conv = conv(3, 1, "to_rgb_2")

    @property
    def encode(self):
        return _get_layers(self, self._encode)

    @property
    def decode(self):
        return _get_layers(self, self._decode)

    def call(self, x, s, masks=None):
        if masks is not None and x.shape[1] is None:
            raise ValueError("Generator: with masks the image size must be static (the "
                             "high-pass connections are chosen by resolution)")
        x = self.from_rgb(x)
        cache = {}
        for block in self.encode:
            if masks is not None and x.shape[1] in HPF_RESOLUTIONS:
                cache[x.shape[1]] = x
            x = block(x)
        for block in self.decode:
            x = block(x, s)
            res = x.shape[1]
            if masks is not None and res in HPF_RESOLUTIONS:
                if self.w_hpf <= 0:
                    raise ValueError("Generator: masks need w_hpf > 0 (the high-pass filter "
                                     "divides by w_hpf)")
                mask = masks[0] if res == 32 else masks[1]
                mask = tf.image.resize(tf.cast(mask, x.dtype), [res, res], "bilinear")
                x = x + high_pass(mask * cache[res], self.w_hpf)
        return self.to_rgb_conv(lrelu(self.to_rgb_norm(x)))

    def build_for_size(self):
        """Creates the weights with a dummy call."""
        self(tf.zeros([1, self.img_size, self.img_size, 3]), tf.zeros([1, self.style_dim]))
        return self

    def torch_parameters(self):
        p = _conv_params(self.from_rgb, "from_rgb")
        for i, block in enumerate(self.encode):
            p.update(_prefixed(block.torch_parameters(), f"encode.{i}"))
        for i, block in enumerate(self.decode):
            p.update(_prefixed(block.torch_parameters(), f"decode.{i}"))
        p.update(_prefixed(self.to_rgb_norm.torch_parameters(), "to_rgb.0"))
        p.update(_conv_params(self.to_rgb_conv, "to_rgb.2"))
        return p

    def get_config(self):
        return {"img_size": self.img_size, "style_dim": self.style_dim,
                "max_conv_dim": self.max_conv_dim, "w_hpf": self.w_hpf, "dim_in": self.dim_in,
                "name": self.name}


@keras.saving.register_keras_serializable(package="tfgan_fs.stargan_v2")
class MappingNetwork(keras.Model):
    """F(z, y): shared 4 x (Linear + ReLU), one head per domain 3 x (Linear + ReLU) + Linear to
    style_dim; the head of domain y. hidden_dim is 512 in the reference."""

    def __init__(self, latent_dim=16, style_dim=64, num_domains=2, hidden_dim=512, **kwargs):
        super().__init__(**kwargs)
        self.latent_dim, self.style_dim = latent_dim, style_dim
        self.num_domains, self.hidden_dim = num_domains, hidden_dim
        self._shared = _set_layers(self, [dense(hidden_dim, f"shared_{2 * i}")
                                          for i in range(4)])
        self._unshared = [_set_layers(self, [dense(hidden_dim, f"unshared_{d}_{2 * i}")
                                             for i in range(3)]
                                      + [dense(style_dim, f"unshared_{d}_6")])
                          for d in range(num_domains)]

    @property
    def shared(self):
        return _get_layers(self, self._shared)

    @property
    def unshared(self):
        return [_get_layers(self, names) for names in self._unshared]

    def call(self, z, y):
        h = z
        for layer in self.shared:
            h = tf.nn.relu(layer(h))
        out = []
        for head in self.unshared:
            o = h
            for layer in head[:-1]:
                o = tf.nn.relu(layer(o))
            out.append(head[-1](o))
        return select_domain(tf.stack(out, axis=1), y)

    def build_for_size(self):
        self(tf.zeros([1, self.latent_dim]), tf.zeros([1], tf.int32))
        return self

    def torch_parameters(self):
        p = {}
        for i, layer in enumerate(self.shared):
            p.update(_dense_params(layer, f"shared.{2 * i}"))
        for d, head in enumerate(self.unshared):
            for i, layer in enumerate(head):
                p.update(_dense_params(layer, f"unshared.{d}.{2 * i}"))
        return p

    def get_config(self):
        return {"latent_dim": self.latent_dim, "style_dim": self.style_dim,
                "num_domains": self.num_domains, "hidden_dim": self.hidden_dim,
                "name": self.name}


class _Trunk(keras.Model):
    """conv3x3, log2(img_size) - 2 down-ResBlks without norm, LReLU, conv4x4 (valid), LReLU:
    the shared trunk of the style encoder and the discriminator."""

    def _build_trunk(self, img_size, max_conv_dim, dim_in):
        d = dim_in or default_dim_in(img_size)
        self.dim_in = d
        self.conv_in = conv(d, 3, "conv_in")
        blocks = []
        for i in range(int(np.log2(img_size)) - 2):
            d_out = min(d * 2, max_conv_dim)
            blocks.append(ResBlk(d, d_out, downsample=True, name=f"block_{i}"))
            d = d_out
        self._blocks = _set_layers(self, blocks)
        self.conv_out = conv(d, 4, "conv_out", padding="valid")
        return d

    @property
    def blocks(self):
        return _get_layers(self, self._blocks)

    def trunk(self, x):
        x = self.conv_in(x)
        for block in self.blocks:
            x = block(x)
        return lrelu(self.conv_out(lrelu(x)))

    def trunk_parameters(self, prefix):
        p = _conv_params(self.conv_in, f"{prefix}.0")
        for i, block in enumerate(self.blocks):
            p.update(_prefixed(block.torch_parameters(), f"{prefix}.{i + 1}"))
        p.update(_conv_params(self.conv_out, f"{prefix}.{len(self.blocks) + 2}"))
        return p


@keras.saving.register_keras_serializable(package="tfgan_fs.stargan_v2")
class StyleEncoder(_Trunk):
    """E(x, y): the shared trunk, then one Linear(C, style_dim) per domain; the one of y."""

    def __init__(self, img_size=256, style_dim=64, num_domains=2, max_conv_dim=512,
                 dim_in=None, **kwargs):
        super().__init__(**kwargs)
        self.img_size, self.style_dim = img_size, style_dim
        self.num_domains, self.max_conv_dim = num_domains, max_conv_dim
        self._build_trunk(img_size, max_conv_dim, dim_in)
        self._unshared = _set_layers(self, [dense(style_dim, f"unshared_{d}")
                                            for d in range(num_domains)])

    @property
    def unshared(self):
        return _get_layers(self, self._unshared)

    def call(self, x, y):
        h = tf.reshape(self.trunk(x), [tf.shape(x)[0], -1])
        return select_domain(tf.stack([layer(h) for layer in self.unshared], axis=1), y)

    def build_for_size(self):
        self(tf.zeros([1, self.img_size, self.img_size, 3]), tf.zeros([1], tf.int32))
        return self

    def torch_parameters(self):
        p = self.trunk_parameters("shared")
        for d, layer in enumerate(self.unshared):
            p.update(_dense_params(layer, f"unshared.{d}"))
        return p

    def get_config(self):
        return {"img_size": self.img_size, "style_dim": self.style_dim,
                "num_domains": self.num_domains, "max_conv_dim": self.max_conv_dim,
                "dim_in": self.dim_in, "name": self.name}


@keras.saving.register_keras_serializable(package="tfgan_fs.stargan_v2")
class Discriminator(_Trunk):
    """D(x, y): the shared trunk, then conv1x1 to num_domains logits; the logit of domain y."""

    def __init__(self, img_size=256, num_domains=2, max_conv_dim=512, dim_in=None, **kwargs):
        super().__init__(**kwargs)
        self.img_size, self.num_domains, self.max_conv_dim = img_size, num_domains, max_conv_dim
        self._build_trunk(img_size, max_conv_dim, dim_in)
        self.conv_logits = conv(num_domains, 1, "conv_logits")

    def call(self, x, y):
        out = tf.reshape(self.conv_logits(self.trunk(x)), [tf.shape(x)[0], self.num_domains])
        return select_domain(out, y)

    def build_for_size(self):
        self(tf.zeros([1, self.img_size, self.img_size, 3]), tf.zeros([1], tf.int32))
        return self

    def torch_parameters(self):
        p = self.trunk_parameters("main")
        p.update(_conv_params(self.conv_logits, f"main.{len(self.blocks) + 4}"))
        return p

    def get_config(self):
        return {"img_size": self.img_size, "num_domains": self.num_domains,
                "max_conv_dim": self.max_conv_dim, "dim_in": self.dim_in, "name": self.name}


# The four networks by their key in the reference's checkpoints (and in ours).
NETWORK_CLASSES = {"generator": Generator, "mapping_network": MappingNetwork,
                   "style_encoder": StyleEncoder, "discriminator": Discriminator}
