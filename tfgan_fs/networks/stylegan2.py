"""StyleGAN2 generator and discriminator (Karras et al., CVPR 2020), as used by StyleGAN2-ADA.

Architecture and defaults follow NVlabs/stylegan2-ada-pytorch `training/networks.py`; tensors are
NHWC and convolution weights HWIO. Per-block float16 (`num_fp16_res`) works like the reference:
weights stay float32, activations of the top resolutions are cast to float16 and clamped to
+-conv_clamp.

Both networks can return intermediate features (`return_features=True`): a dict keyed by the
feature map's resolution, as GGDR's `get_feat=True` (Lee et al. 2022): for G, `64` is the output
of the 64x64 block after both convolutions (independent of to-RGB); for D, `32` is the output of
the block that consumes 64x64 inputs. The discriminator can carry GGDR's U-Net decoder
(`decoder_res`), which predicts G's feature maps from D's features (`return_decoder=True`).

One module of ~800 lines, as NVlabs' `training/networks.py`: G and D share their block
helpers, and the file is read side by side with the reference it ports class by class.
"""

import numpy as np
import keras
import tensorflow as tf

from tfgan_fs import distribute
from tfgan_fs import ops
from tfgan_fs import rng
from tfgan_fs.layers import EqualizedConv2D, EqualizedDense, MinibatchStd, SynthesisLayer, ToRGB

ARCHITECTURES = ("orig", "skip", "resnet")
SQRT_HALF = float(np.sqrt(0.5))  # residual branches: the sum of two keeps unit variance


def normalize_2nd_moment(x, axis=1, eps=1e-8):
    """x / sqrt(mean(x^2) + eps) along `axis` (StyleGAN's pixel norm of z)."""
    return x * tf.math.rsqrt(tf.reduce_mean(tf.square(x), axis=axis, keepdims=True) + eps)


def _check_resolution(resolution):
    if resolution < 4 or resolution & (resolution - 1):
        raise ValueError(f"resolution must be a power of two >= 4, got {resolution}")


def _check_architecture(architecture):
    if architecture not in ARCHITECTURES:
        raise ValueError(f"architecture must be one of {ARCHITECTURES}, got {architecture!r}")


def _channels_per_resolution(resolutions, channel_base, channel_max):
    return {res: min(channel_base // res, channel_max) for res in resolutions}


def _fp16_resolution(resolution_log2, num_fp16_res):
    return max(2 ** (resolution_log2 + 1 - num_fp16_res), 8)


@keras.saving.register_keras_serializable(package="tfgan_fs")
class MappingNetwork(keras.layers.Layer):
    """Maps z (and a label c) to the intermediate latent w (StyleGAN, Karras et al. 2019, 2).

    z and the embedded label are each normalised to unit second moment and concatenated, then
    passed through `num_layers` lrelu EqualizedDense layers with lr multiplier 0.01. While
    training (`update_w_avg=True`) it tracks w_avg <- lerp(mean_batch(w), w_avg, w_avg_beta),
    averaged over all replicas. Truncation: w' = lerp(w_avg, w, psi) for the first
    `truncation_cutoff` ws (all when None).

    Args:
        z_dim: Latent dimensionality (0 = no latent, e.g. D's label mapping).
        c_dim: Label dimensionality (0 = unconditional).
        w_dim: Output dimensionality.
        num_ws: Number of ws to broadcast to, None = return [N, w_dim].
        num_layers: Number of dense layers.
        embed_features: Label embedding size (default w_dim).
        layer_features: Hidden size (default w_dim).
        activation: Activation name.
        lr_multiplier: Learning-rate multiplier of the dense layers.
        w_avg_beta: Decay of the w_avg tracker, None = do not track.
        impl: Op implementation for every layer: 'auto', 'ref' (stock TF ops only) or 'custom'.
    """

    def __init__(self, z_dim, c_dim, w_dim, num_ws, num_layers=8, embed_features=None,
                 layer_features=None, activation="lrelu", lr_multiplier=0.01, w_avg_beta=0.995,
                 impl="auto", **kwargs):
        kwargs.setdefault("autocast", False)
        super().__init__(**kwargs)
        self.z_dim = int(z_dim)
        self.c_dim = int(c_dim)
        self.w_dim = int(w_dim)
        self.num_ws = None if num_ws is None else int(num_ws)
        self.num_layers = int(num_layers)
        self.embed_features = embed_features
        self.layer_features = layer_features
        self.activation = activation
        self.lr_multiplier = float(lr_multiplier)
        self.w_avg_beta = None if w_avg_beta is None else float(w_avg_beta)
        self.impl = ops.check_impl(impl)
        if self.z_dim + self.c_dim == 0:
            raise ValueError("MappingNetwork needs z_dim > 0 or c_dim > 0")

        embed = self.w_dim if embed_features is None else int(embed_features)
        if self.c_dim == 0:
            embed = 0
        hidden = self.w_dim if layer_features is None else int(layer_features)
        features = [self.z_dim + embed] + [hidden] * (self.num_layers - 1) + [self.w_dim]
        with keras.name_scope(self.name):
            self.embed = (EqualizedDense(self.c_dim, embed, impl=self.impl, name="embed")
                          if self.c_dim else None)
            # Named attributes, not a list: tf.train.Checkpoint does not see Keras' lists.
            for i in range(self.num_layers):
                setattr(self, f"fc{i}", EqualizedDense(
                    features[i], features[i + 1], activation=activation,
                    lr_multiplier=self.lr_multiplier, impl=self.impl, name=f"fc{i}"))
        self.build()

    @property
    def fcs(self):
        return [getattr(self, f"fc{i}") for i in range(self.num_layers)]

    def build(self, input_shape=None):
        self.w_avg = None
        if self.num_ws is not None and self.w_avg_beta is not None:
            self.w_avg = self.add_weight(name="w_avg", shape=(self.w_dim,), initializer="zeros",
                                         trainable=False, aggregation="only_first_replica")

    def call(self, z, c=None, truncation_psi=1.0, truncation_cutoff=None, update_w_avg=False):
        x = None
        if self.z_dim > 0:
            x = normalize_2nd_moment(tf.cast(z, self.compute_dtype))
        if self.c_dim > 0:
            if c is None:
                raise ValueError(f"this mapping network is conditional (c_dim={self.c_dim}): "
                                 "pass labels c of shape [N, c_dim]")
            y = normalize_2nd_moment(self.embed(tf.cast(c, self.compute_dtype)))
            x = y if x is None else tf.concat([x, y], axis=1)
        for fc in self.fcs:
            x = fc(x)

        if update_w_avg and self.w_avg is not None:
            batch_mean = distribute.cross_replica_mean(tf.reduce_mean(x, axis=0))
            self.w_avg.assign(batch_mean + (self.w_avg - batch_mean) * self.w_avg_beta)

        if self.num_ws is not None:
            x = tf.tile(x[:, tf.newaxis, :], [1, self.num_ws, 1])

        if not (isinstance(truncation_psi, (int, float)) and truncation_psi == 1):
            if self.w_avg is None:
                raise ValueError("truncation needs w_avg tracking (num_ws and w_avg_beta set)")
            psi = tf.cast(truncation_psi, x.dtype)
            truncated = self.w_avg + (x - self.w_avg) * psi
            if truncation_cutoff is None:
                x = truncated
            else:
                keep = tf.range(self.num_ws) < truncation_cutoff
                x = tf.where(keep[tf.newaxis, :, tf.newaxis], truncated, x)
        return x

    def get_config(self):
        return {**super().get_config(), "z_dim": self.z_dim, "c_dim": self.c_dim,
                "w_dim": self.w_dim, "num_ws": self.num_ws, "num_layers": self.num_layers,
                "embed_features": self.embed_features, "layer_features": self.layer_features,
                "activation": self.activation, "lr_multiplier": self.lr_multiplier,
                "w_avg_beta": self.w_avg_beta, "impl": self.impl}


@keras.saving.register_keras_serializable(package="tfgan_fs")
def patch_candidates(block_resolutions, channels, patch_res):
    """[(block resolution, conv name, channels)] of the patch-level D's candidate maps: the
    discriminator blocks' conv outputs whose resolution is in `patch_res`, in forward order."""
    found = []
    for res in block_resolutions:
        for name, out_res, ch in (("conv0", res, channels[res]),
                                  ("conv1", res // 2, channels[res // 2])):
            if out_res in patch_res:
                found.append((res, name, ch))
    return found


def default_patch_res(img_resolution):
    """(img_res / 8, img_res / 16), at least (8, 4): (32, 16) at 256x256 as the references."""
    return (max(img_resolution // 8, 8), max(img_resolution // 16, 4))


class SynthesisBlock(keras.layers.Layer):
    """One resolution of the synthesis network: [const |] conv0 (up 2), conv1, [to-RGB].

    Args:
        in_channels: Input channels, 0 for the first (4x4, learned constant) block.
        out_channels: Output channels.
        w_dim: Dimensionality of w.
        resolution: Resolution of this block.
        img_channels: Image channels.
        is_last: Whether this is the last block (always has to-RGB).
        architecture: 'orig', 'skip' (default) or 'resnet'.
        resample_filter: Resampling filter taps.
        conv_clamp: Activation clamp, None = off.
        use_fp16: Run this block in float16.
        use_noise: Per-layer noise inputs.
        impl: Op implementation for every layer: 'auto', 'ref' (stock TF ops only) or 'custom'.
    """

    def __init__(self, in_channels, out_channels, w_dim, resolution, img_channels, is_last,
                 architecture="skip", resample_filter=(1, 3, 3, 1), conv_clamp=None,
                 use_fp16=False, use_noise=True, impl="auto", **kwargs):
        kwargs.setdefault("autocast", False)
        super().__init__(**kwargs)
        _check_architecture(architecture)
        self.in_channels = int(in_channels)
        self.out_channels = int(out_channels)
        self.w_dim = int(w_dim)
        self.resolution = int(resolution)
        self.img_channels = int(img_channels)
        self.is_last = bool(is_last)
        self.architecture = architecture
        self.resample_filter = [float(t) for t in resample_filter]
        self.conv_clamp = None if conv_clamp is None else float(conv_clamp)
        self.use_fp16 = bool(use_fp16)
        self.use_noise = bool(use_noise)
        self.impl = ops.check_impl(impl)
        self._filter = ops.setup_filter(self.resample_filter).numpy()

        layer_kwargs = dict(w_dim=self.w_dim, resolution=self.resolution,
                            resample_filter=self.resample_filter, conv_clamp=self.conv_clamp,
                            use_noise=self.use_noise, impl=self.impl)
        with keras.name_scope(self.name):
            self.conv0 = None
            if self.in_channels != 0:
                self.conv0 = SynthesisLayer(self.in_channels, self.out_channels, up=2,
                                            name="conv0", **layer_kwargs)
            self.conv1 = SynthesisLayer(self.out_channels, self.out_channels, name="conv1",
                                        **layer_kwargs)
            self.torgb = None
            if self.is_last or architecture == "skip":
                self.torgb = ToRGB(self.out_channels, self.img_channels, w_dim=self.w_dim,
                                   conv_clamp=self.conv_clamp, impl=self.impl, name="torgb")
            self.skip = None
            if self.in_channels != 0 and architecture == "resnet":
                self.skip = EqualizedConv2D(self.in_channels, self.out_channels, kernel_size=1,
                                            use_bias=False, up=2, impl=self.impl,
                                            resample_filter=self.resample_filter, name="skip")
        self.num_conv = 1 if self.in_channels == 0 else 2
        self.num_torgb = 0 if self.torgb is None else 1
        self.build()

    def build(self, input_shape=None):
        self.const = None
        if self.in_channels == 0:
            self.const = self.add_weight(
                name="const", shape=(self.resolution, self.resolution, self.out_channels),
                initializer=keras.initializers.RandomNormal(stddev=1.0))

    def call(self, x, img, ws, noise_mode="random", noise_seed=None, force_fp32=False,
             return_layers=False):
        """(x, img), and with `return_layers` the list of its conv layers' outputs."""
        dtype = tf.float16 if self.use_fp16 and not force_fp32 else self.compute_dtype
        w_iter = iter(tf.unstack(ws, axis=1))
        layers = []
        record = layers.append
        seeds = iter([None] * 3 if noise_seed is None else
                     [rng.fold(noise_seed, self.resolution, i) for i in range(3)])
        layer_args = dict(noise_mode=noise_mode)

        if self.in_channels == 0:
            x = tf.tile(tf.cast(self.const, dtype)[tf.newaxis], [tf.shape(ws)[0], 1, 1, 1])
            x = self.conv1(x, next(w_iter), noise_seed=next(seeds), **layer_args)
            record(x)
        elif self.architecture == "resnet":
            x = tf.cast(x, dtype)
            y = self.skip(x, gain=SQRT_HALF)
            x = self.conv0(x, next(w_iter), noise_seed=next(seeds), **layer_args)
            record(x)
            x = self.conv1(x, next(w_iter), noise_seed=next(seeds), gain=SQRT_HALF,
                           **layer_args)
            record(x)
            x = y + x
        else:
            x = tf.cast(x, dtype)
            x = self.conv0(x, next(w_iter), noise_seed=next(seeds), **layer_args)
            record(x)
            x = self.conv1(x, next(w_iter), noise_seed=next(seeds), **layer_args)
            record(x)

        if img is not None:
            img = ops.upsample2d(img, self._filter, impl=self.impl)
        if self.torgb is not None:
            y = tf.cast(self.torgb(x, next(w_iter)), self.compute_dtype)
            img = y if img is None else img + y
        return (x, img, layers) if return_layers else (x, img)

    def get_config(self):
        return {**super().get_config(), "in_channels": self.in_channels,
                "out_channels": self.out_channels, "w_dim": self.w_dim,
                "resolution": self.resolution, "img_channels": self.img_channels,
                "is_last": self.is_last, "architecture": self.architecture,
                "resample_filter": self.resample_filter, "conv_clamp": self.conv_clamp,
                "use_fp16": self.use_fp16, "use_noise": self.use_noise, "impl": self.impl}


@keras.saving.register_keras_serializable(package="tfgan_fs")
class SynthesisNetwork(keras.layers.Layer):
    """Maps ws [N, num_ws, w_dim] to images [N, R, R, C] in [-1, 1] (approximately).

    Channels per block: min(channel_base // res, channel_max). `num_ws` = sum of convs + 1.

    Args:
        w_dim: Dimensionality of w.
        img_resolution: Output resolution (power of two >= 4).
        img_channels: Output channels.
        channel_base: Overall channel multiplier (32768 in the reference).
        channel_max: Maximum channels of any block.
        num_fp16_res: Run the N highest resolutions in float16.
        architecture: 'orig', 'skip' (default) or 'resnet'.
        resample_filter, conv_clamp, use_noise: Passed to every block.
        impl: Op implementation for every layer: 'auto', 'ref' (stock TF ops only) or 'custom'.
    """

    def __init__(self, w_dim, img_resolution, img_channels, channel_base=32768, channel_max=512,
                 num_fp16_res=0, architecture="skip", resample_filter=(1, 3, 3, 1),
                 conv_clamp=None, use_noise=True, impl="auto", **kwargs):
        kwargs.setdefault("autocast", False)
        super().__init__(**kwargs)
        _check_resolution(img_resolution)
        self.w_dim = int(w_dim)
        self.img_resolution = int(img_resolution)
        self.img_channels = int(img_channels)
        self.channel_base = int(channel_base)
        self.channel_max = int(channel_max)
        self.num_fp16_res = int(num_fp16_res)
        self.architecture = architecture
        self.resample_filter = [float(t) for t in resample_filter]
        self.conv_clamp = None if conv_clamp is None else float(conv_clamp)
        self.use_noise = bool(use_noise)
        self.impl = ops.check_impl(impl)

        log2 = int(np.log2(self.img_resolution))
        self.block_resolutions = [2 ** i for i in range(2, log2 + 1)]
        channels = _channels_per_resolution(self.block_resolutions, self.channel_base,
                                            self.channel_max)
        fp16_resolution = _fp16_resolution(log2, self.num_fp16_res)
        with keras.name_scope(self.name):
            self.num_ws = 0
            for res in self.block_resolutions:
                block = SynthesisBlock(
                    channels[res // 2] if res > 4 else 0, channels[res], w_dim=self.w_dim,
                    resolution=res, img_channels=self.img_channels,
                    is_last=(res == self.img_resolution), architecture=architecture,
                    resample_filter=self.resample_filter, conv_clamp=self.conv_clamp,
                    use_fp16=(res >= fp16_resolution), use_noise=self.use_noise, impl=self.impl,
                    name=f"b{res}")
                setattr(self, block.name, block)  # not a list: see MappingNetwork
                self.num_ws += block.num_conv
        self.num_ws += block.num_torgb
        self.channels = channels
        self.built = True

    @property
    def blocks(self):
        return [getattr(self, f"b{res}") for res in self.block_resolutions]

    @property
    def num_layers(self):
        """Number of modulated conv layers (1 + 2 per block above 4x4; 13 at 256x256)."""
        return sum(block.num_conv for block in self.blocks)

    def call(self, ws, noise_mode="random", noise_seed=None, force_fp32=False,
             return_features=False, return_layers=False):
        """Images; with `return_features` also {resolution: block output} (GGDR); with
        `return_layers` also the list of every conv layer's output (after noise and activation,
        before to-RGB, 4x4 conv first; float32), as MixDL's and CDC's `return_feats=True`."""
        ws = tf.cast(ws, self.compute_dtype)
        x = img = None
        features = {}
        layers = []
        w_idx = 0
        for block in self.blocks:
            block_ws = ws[:, w_idx:w_idx + block.num_conv + block.num_torgb]
            w_idx += block.num_conv
            out = block(x, img, block_ws, noise_mode=noise_mode, noise_seed=noise_seed,
                        force_fp32=force_fp32, return_layers=return_layers)
            x, img = out[:2]
            if return_layers:
                layers += out[2]
            if return_features:
                features[block.resolution] = tf.cast(x, tf.float32)  # as GGDR's x.float()
        outputs = [img]
        if return_features:
            outputs.append(features)
        if return_layers:
            outputs.append([tf.cast(t, tf.float32) for t in layers])
        return tuple(outputs) if len(outputs) > 1 else img

    def get_config(self):
        return {**super().get_config(), "w_dim": self.w_dim,
                "img_resolution": self.img_resolution, "img_channels": self.img_channels,
                "channel_base": self.channel_base, "channel_max": self.channel_max,
                "num_fp16_res": self.num_fp16_res, "architecture": self.architecture,
                "resample_filter": self.resample_filter, "conv_clamp": self.conv_clamp,
                "use_noise": self.use_noise, "impl": self.impl}


@keras.saving.register_keras_serializable(package="tfgan_fs")
class Generator(keras.Model):
    """StyleGAN2 generator: `mapping` (z, c -> ws) followed by `synthesis` (ws -> image).

    Both parts stay callable on their own (`G.mapping(z, c)`, `G.synthesis(ws)`), which style
    mixing, projection, path-length regularisation and export need.

    Args:
        z_dim: Latent dimensionality (512).
        c_dim: Label dimensionality (0 = unconditional).
        w_dim: Intermediate latent dimensionality (512).
        img_resolution: Output resolution.
        img_channels: Output channels.
        mapping_kwargs: Extra arguments of `MappingNetwork` (num_layers, lr_multiplier, ...).
        synthesis_kwargs: Extra arguments of `SynthesisNetwork` (channel_base, ...).
        impl: Op implementation for every layer: 'auto', 'ref' (stock TF ops only) or 'custom'.
    """

    def __init__(self, z_dim, c_dim, w_dim, img_resolution, img_channels, mapping_kwargs=None,
                 synthesis_kwargs=None, impl="auto", **kwargs):
        kwargs.setdefault("autocast", False)
        super().__init__(**kwargs)
        self.z_dim = int(z_dim)
        self.c_dim = int(c_dim)
        self.w_dim = int(w_dim)
        self.img_resolution = int(img_resolution)
        self.img_channels = int(img_channels)
        self.mapping_kwargs = dict(mapping_kwargs or {})
        self.synthesis_kwargs = dict(synthesis_kwargs or {})
        self.impl = ops.check_impl(impl)
        with keras.name_scope(self.name):
            self.synthesis = SynthesisNetwork(self.w_dim, self.img_resolution, self.img_channels,
                                              name="synthesis", impl=self.impl,
                                              **self.synthesis_kwargs)
            self.num_ws = self.synthesis.num_ws
            self.mapping = MappingNetwork(self.z_dim, self.c_dim, self.w_dim, self.num_ws,
                                          name="mapping", impl=self.impl,
                                          **self.mapping_kwargs)
        self.built = True

    def call(self, z, c=None, truncation_psi=1.0, truncation_cutoff=None, noise_mode="random",
             noise_seed=None, force_fp32=False, return_features=False, return_layers=False,
             update_w_avg=False):
        ws = self.mapping(z, c, truncation_psi=truncation_psi,
                          truncation_cutoff=truncation_cutoff, update_w_avg=update_w_avg)
        return self.synthesis(ws, noise_mode=noise_mode, noise_seed=noise_seed,
                              force_fp32=force_fp32, return_features=return_features,
                              return_layers=return_layers)

    def get_config(self):
        return {"name": self.name, "z_dim": self.z_dim, "c_dim": self.c_dim, "w_dim": self.w_dim,
                "img_resolution": self.img_resolution, "img_channels": self.img_channels,
                "mapping_kwargs": self.mapping_kwargs, "synthesis_kwargs": self.synthesis_kwargs,
                "impl": self.impl}


@keras.saving.register_keras_serializable(package="tfgan_fs")
class DiscriminatorBlock(keras.layers.Layer):
    """One resolution of the discriminator: [from-RGB], conv0, conv1 (down 2), [residual skip].

    Layers are numbered from the highest resolution down; those with index < `freeze_layers`
    are frozen (Freeze-D, Mo et al. 2020).

    Args:
        in_channels: Input feature channels, 0 for the first block (which reads the image).
        tmp_channels: Channels of conv0.
        out_channels: Output channels.
        resolution: Input resolution of the block.
        img_channels: Image channels.
        first_layer_idx: Index of this block's first layer (for Freeze-D).
        architecture: 'orig', 'skip' or 'resnet' (default).
        activation: Activation name.
        resample_filter, conv_clamp, use_fp16: As in the generator.
        freeze_layers: Freeze-D: number of leading layers that are not trained.
        impl: Op implementation for every layer: 'auto', 'ref' (stock TF ops only) or 'custom'.
    """

    def __init__(self, in_channels, tmp_channels, out_channels, resolution, img_channels,
                 first_layer_idx, architecture="resnet", activation="lrelu",
                 resample_filter=(1, 3, 3, 1), conv_clamp=None, use_fp16=False, freeze_layers=0,
                 impl="auto", **kwargs):
        kwargs.setdefault("autocast", False)
        super().__init__(**kwargs)
        _check_architecture(architecture)
        if in_channels not in (0, tmp_channels):
            raise ValueError("in_channels must be 0 or tmp_channels")
        self.in_channels = int(in_channels)
        self.tmp_channels = int(tmp_channels)
        self.out_channels = int(out_channels)
        self.resolution = int(resolution)
        self.img_channels = int(img_channels)
        self.first_layer_idx = int(first_layer_idx)
        self.architecture = architecture
        self.activation = activation
        self.resample_filter = [float(t) for t in resample_filter]
        self.conv_clamp = None if conv_clamp is None else float(conv_clamp)
        self.use_fp16 = bool(use_fp16)
        self.freeze_layers = int(freeze_layers)
        self.impl = ops.check_impl(impl)
        self._filter = ops.setup_filter(self.resample_filter).numpy()

        self.num_layers = 0

        def next_trainable():
            trainable = self.first_layer_idx + self.num_layers >= self.freeze_layers
            self.num_layers += 1
            return trainable

        common = dict(activation=activation, conv_clamp=self.conv_clamp, impl=self.impl)
        with keras.name_scope(self.name):
            self.fromrgb = None
            if self.in_channels == 0 or architecture == "skip":
                self.fromrgb = EqualizedConv2D(self.img_channels, self.tmp_channels, kernel_size=1,
                                               trainable=next_trainable(), name="fromrgb", **common)
            self.conv0 = EqualizedConv2D(self.tmp_channels, self.tmp_channels, kernel_size=3,
                                         trainable=next_trainable(), name="conv0", **common)
            self.conv1 = EqualizedConv2D(self.tmp_channels, self.out_channels, kernel_size=3,
                                         down=2, resample_filter=self.resample_filter,
                                         trainable=next_trainable(), name="conv1", **common)
            self.skip = None
            if architecture == "resnet":
                self.skip = EqualizedConv2D(self.tmp_channels, self.out_channels, kernel_size=1,
                                            use_bias=False, down=2, impl=self.impl,
                                            resample_filter=self.resample_filter,
                                            trainable=next_trainable(), name="skip")
        self.built = True

    def call(self, x, img, force_fp32=False, return_convs=False):
        """(x, img), and with `return_convs` [(resolution, conv0 output), (resolution / 2,
        conv1 output)], conv1's before the residual's sqrt(1/2) gain."""
        dtype = tf.float16 if self.use_fp16 and not force_fp32 else self.compute_dtype
        if x is not None:
            x = tf.cast(x, dtype)
        if self.fromrgb is not None:
            img = tf.cast(img, dtype)
            y = self.fromrgb(img)
            x = y if x is None else x + y
            img = (ops.downsample2d(img, self._filter, impl=self.impl)
                   if self.architecture == "skip" else None)
        if self.architecture == "resnet":
            y = self.skip(x, gain=SQRT_HALF)
            x = self.conv0(x)
            h = x
            x = self.conv1(x, gain=SQRT_HALF)
            convs = [(self.resolution, h), (self.resolution // 2, x / SQRT_HALF)]
            x = y + x
        else:
            x = self.conv0(x)
            h = x
            x = self.conv1(x)
            convs = [(self.resolution, h), (self.resolution // 2, x)]
        return (x, img, convs) if return_convs else (x, img)

    def get_config(self):
        return {**super().get_config(), "in_channels": self.in_channels,
                "tmp_channels": self.tmp_channels, "out_channels": self.out_channels,
                "resolution": self.resolution, "img_channels": self.img_channels,
                "first_layer_idx": self.first_layer_idx, "architecture": self.architecture,
                "activation": self.activation, "resample_filter": self.resample_filter,
                "conv_clamp": self.conv_clamp, "use_fp16": self.use_fp16,
                "freeze_layers": self.freeze_layers, "impl": self.impl}


@keras.saving.register_keras_serializable(package="tfgan_fs")
class DiscriminatorEpilogue(keras.layers.Layer):
    """The 4x4 end of D: [from-RGB], minibatch-std, conv, fc, out, projection conditioning.

    The fc layer flattens NHWC features (order H, W, C). With labels, the output is the
    projection (Miyato & Koyama 2018) <out(x), cmap> / sqrt(cmap_dim).

    Args:
        in_channels: Feature channels.
        cmap_dim: Dimensionality of the mapped label, 0 = unconditional.
        resolution: 4.
        img_channels: Image channels.
        architecture: 'orig', 'skip' or 'resnet'.
        mbstd_group_size: Minibatch-std group size, None = whole batch.
        mbstd_num_channels: Minibatch-std channels, 0 = disable.
        activation: Activation name.
        conv_clamp: Activation clamp.
        impl: Op implementation for every layer: 'auto', 'ref' (stock TF ops only) or 'custom'.
    """

    def __init__(self, in_channels, cmap_dim, resolution, img_channels, architecture="resnet",
                 mbstd_group_size=4, mbstd_num_channels=1, activation="lrelu", conv_clamp=None,
                 impl="auto", **kwargs):
        kwargs.setdefault("autocast", False)
        super().__init__(**kwargs)
        _check_architecture(architecture)
        self.in_channels = int(in_channels)
        self.cmap_dim = int(cmap_dim)
        self.resolution = int(resolution)
        self.img_channels = int(img_channels)
        self.architecture = architecture
        self.mbstd_group_size = None if mbstd_group_size is None else int(mbstd_group_size)
        self.mbstd_num_channels = int(mbstd_num_channels)
        self.activation = activation
        self.conv_clamp = None if conv_clamp is None else float(conv_clamp)
        self.impl = ops.check_impl(impl)

        with keras.name_scope(self.name):
            self.fromrgb = None
            if architecture == "skip":
                self.fromrgb = EqualizedConv2D(self.img_channels, self.in_channels, kernel_size=1,
                                               activation=activation, impl=self.impl,
                                               name="fromrgb")
            self.mbstd = None
            if self.mbstd_num_channels > 0:
                self.mbstd = MinibatchStd(self.mbstd_group_size, self.mbstd_num_channels,
                                          name="mbstd")
            self.conv = EqualizedConv2D(self.in_channels + self.mbstd_num_channels,
                                        self.in_channels, kernel_size=3, activation=activation,
                                        conv_clamp=self.conv_clamp, impl=self.impl,
                                        name="conv")
            self.fc = EqualizedDense(self.in_channels * self.resolution ** 2, self.in_channels,
                                     activation=activation, impl=self.impl, name="fc")
            self.out = EqualizedDense(self.in_channels, 1 if self.cmap_dim == 0 else self.cmap_dim,
                                      impl=self.impl, name="out")
        self.built = True

    def call(self, x, img, cmap=None, return_fc=False):
        """Logits [N, 1]; with `return_fc` also the fc output [N, in_channels] (the input of
        the final linear layer)."""
        x = tf.cast(x, self.compute_dtype)
        if self.fromrgb is not None:
            x = x + self.fromrgb(tf.cast(img, self.compute_dtype))
        if self.mbstd is not None:
            x = self.mbstd(x)
        x = self.conv(x)
        fc = self.fc(tf.reshape(x, [-1, self.in_channels * self.resolution ** 2]))
        x = self.out(fc)
        if self.cmap_dim > 0:
            x = tf.reduce_sum(x * cmap, axis=1, keepdims=True) * (1.0 / np.sqrt(self.cmap_dim))
        return (x, fc) if return_fc else x

    def get_config(self):
        return {**super().get_config(), "in_channels": self.in_channels,
                "cmap_dim": self.cmap_dim, "resolution": self.resolution,
                "img_channels": self.img_channels, "architecture": self.architecture,
                "mbstd_group_size": self.mbstd_group_size,
                "mbstd_num_channels": self.mbstd_num_channels, "activation": self.activation,
                "conv_clamp": self.conv_clamp, "impl": self.impl}


@keras.saving.register_keras_serializable(package="tfgan_fs")
class Discriminator(keras.Model):
    """StyleGAN2 discriminator (resnet architecture by default) returning logits [N, 1].

    Args:
        c_dim: Label dimensionality (0 = unconditional; else projection conditioning).
        img_resolution: Input resolution.
        img_channels: Input channels.
        architecture: 'orig', 'skip' or 'resnet' (default).
        channel_base: Overall channel multiplier.
        channel_max: Maximum channels.
        num_fp16_res: Run the N highest resolutions in float16.
        conv_clamp: Activation clamp, None = off.
        cmap_dim: Mapped-label size, None = channels at 4x4.
        block_kwargs: Extra `DiscriminatorBlock` arguments (e.g. freeze_layers).
        mapping_kwargs: Extra `MappingNetwork` arguments of the label mapping.
        epilogue_kwargs: Extra `DiscriminatorEpilogue` arguments (e.g. mbstd_group_size).
        decoder_res: GGDR decoder (Lee et al. 2022) up to this resolution, 0 = none. Stage r
            (8, 16, ..., decoder_res), named `b{r}_dec`, is a 1x1 equalized conv with 2x FIR
            upsampling, linear, whose input is D's 4x4 features for the first stage and
            concat(previous stage, D's features at r/2) afterwards; it outputs D's channel
            count at r. Not counted by Freeze-D; always trained.
        patch_res: Resolutions of the patch-level D's candidate maps (CDC, Ojha et al. 2021;
            MixDL, Kong et al. 2022), empty = none. The candidates are the outputs of the
            blocks' convolutions at these resolutions in forward order (conv1 before the
            residual gain; the 4x4 epilogue is not a candidate). At 256x256 `(32, 16)` gives
            the references' four: b64.conv1, b32.conv0, b32.conv1, b16.conv0.
        patch_heads: Number of leading candidates that get a patch head `patch{i}`: a 3x3
            equalized conv to one channel with bias and leaky ReLU (gain sqrt 2), as the
            references' `ConvLayer(512, 1, 3)`. Not counted by Freeze-D; always trained.
        projection_dim: MixDL's projection head `proj` (linear, no activation) on the fc
            output, 0 = none.
        impl: Op implementation for every layer: 'auto', 'ref' (stock TF ops only) or 'custom'.
    """

    def __init__(self, c_dim, img_resolution, img_channels, architecture="resnet",
                 channel_base=32768, channel_max=512, num_fp16_res=0, conv_clamp=None,
                 cmap_dim=None, block_kwargs=None, mapping_kwargs=None, epilogue_kwargs=None,
                 decoder_res=0, patch_res=(), patch_heads=0, projection_dim=0, impl="auto",
                 **kwargs):
        kwargs.setdefault("autocast", False)
        super().__init__(**kwargs)
        _check_resolution(img_resolution)
        _check_architecture(architecture)
        self.c_dim = int(c_dim)
        self.img_resolution = int(img_resolution)
        self.img_channels = int(img_channels)
        self.architecture = architecture
        self.channel_base = int(channel_base)
        self.channel_max = int(channel_max)
        self.num_fp16_res = int(num_fp16_res)
        self.conv_clamp = None if conv_clamp is None else float(conv_clamp)
        self.block_kwargs = dict(block_kwargs or {})
        self.mapping_kwargs = dict(mapping_kwargs or {})
        self.epilogue_kwargs = dict(epilogue_kwargs or {})
        self.decoder_res = int(decoder_res or 0)
        self.patch_res = [int(r) for r in patch_res or ()]
        self.patch_heads = int(patch_heads or 0)
        self.projection_dim = int(projection_dim or 0)
        self.impl = ops.check_impl(impl)
        if self.decoder_res and not (8 <= self.decoder_res <= self.img_resolution
                                     and self.decoder_res & (self.decoder_res - 1) == 0):
            raise ValueError(f"decoder_res must be 0 or a power of two in [8, img_resolution="
                             f"{self.img_resolution}], got {decoder_res}")

        log2 = int(np.log2(self.img_resolution))
        self.block_resolutions = [2 ** i for i in range(log2, 2, -1)]
        channels = _channels_per_resolution(self.block_resolutions + [4], self.channel_base,
                                            self.channel_max)
        fp16_resolution = _fp16_resolution(log2, self.num_fp16_res)
        self.cmap_dim = 0 if self.c_dim == 0 else int(channels[4] if cmap_dim is None
                                                      else cmap_dim)
        self._cmap_dim_arg = cmap_dim
        common = dict(img_channels=self.img_channels, architecture=architecture,
                      conv_clamp=self.conv_clamp, impl=self.impl)
        with keras.name_scope(self.name):
            layer_idx = 0
            for res in self.block_resolutions:
                block = DiscriminatorBlock(
                    channels[res] if res < self.img_resolution else 0, channels[res],
                    channels[res // 2], resolution=res, first_layer_idx=layer_idx,
                    use_fp16=(res >= fp16_resolution), name=f"b{res}", **self.block_kwargs,
                    **common)
                setattr(self, block.name, block)  # not a list: see MappingNetwork
                layer_idx += block.num_layers
            self.mapping = None
            if self.c_dim > 0:
                self.mapping = MappingNetwork(0, self.c_dim, self.cmap_dim, num_ws=None,
                                              w_avg_beta=None, name="mapping", impl=self.impl,
                                              **self.mapping_kwargs)
            self.b4 = DiscriminatorEpilogue(channels[4], self.cmap_dim, resolution=4, name="b4",
                                            **self.epilogue_kwargs, **common)
            self.decoder_resolutions = ([2 ** i for i in range(3, int(np.log2(self.decoder_res))
                                                               + 1)] if self.decoder_res else [])
            for res in self.decoder_resolutions:
                in_channels = channels[res // 2] * (1 if res == 8 else 2)
                setattr(self, f"b{res}_dec", EqualizedConv2D(
                    in_channels, channels[res], kernel_size=1, activation="linear", up=2,
                    impl=self.impl, name=f"b{res}_dec"))
            self.patch_candidates = patch_candidates(self.block_resolutions, channels,
                                                     self.patch_res)
            if self.patch_heads > len(self.patch_candidates):
                raise ValueError(
                    f"patch_heads={self.patch_heads} but patch_res={self.patch_res} gives "
                    f"{len(self.patch_candidates)} candidate maps at {self.img_resolution}x"
                    f"{self.img_resolution}: {self.patch_candidates}")
            for i, (_, _, res_channels) in enumerate(self.patch_candidates[:self.patch_heads]):
                setattr(self, f"patch{i}", EqualizedConv2D(
                    res_channels, 1, kernel_size=3, activation="lrelu", impl=self.impl,
                    name=f"patch{i}"))
            self.proj = None
            if self.projection_dim:
                self.proj = EqualizedDense(channels[4], self.projection_dim, impl=self.impl,
                                           name="proj")
        self.built = True

    @property
    def blocks(self):
        return [getattr(self, f"b{res}") for res in self.block_resolutions]

    @property
    def decoder_blocks(self):
        return [getattr(self, f"b{res}_dec") for res in self.decoder_resolutions]

    @property
    def patch_layers(self):
        return [getattr(self, f"patch{i}") for i in range(self.patch_heads)]

    def call(self, img, c=None, force_fp32=False, return_features=False, return_decoder=False,
             return_patches=False, return_embedding=False):
        """Logits [N, 1] alone, or, when more is requested, a dict with 'logits' and:

        - 'features' (`return_features`): {resolution: D block output};
        - 'decoder' (`return_decoder`): the GGDR decoder's {resolution: predicted G features}
          (float32);
        - 'patches' (`return_patches`): the patch heads' logits, a list of [N, r, r, 1]
          (float32);
        - 'embedding' (`return_embedding`): the projection head on the fc output,
          [N, projection_dim].
        """
        if return_decoder and not self.decoder_res:
            raise ValueError("return_decoder=True needs a discriminator built with decoder_res")
        if return_patches and not self.patch_heads:
            raise ValueError("return_patches=True needs a discriminator built with patch_heads")
        if return_embedding and self.proj is None:
            raise ValueError("return_embedding=True needs a discriminator built with "
                             "projection_dim")
        x = None
        features = {}
        convs = []
        for block in self.blocks:
            out = block(x, img, force_fp32=force_fp32, return_convs=return_patches)
            x, img = out[:2]
            if return_patches:
                convs += out[2]
            features[block.resolution // 2] = x
        cmap = None
        if self.c_dim > 0:
            if c is None:
                raise ValueError(f"this discriminator is conditional (c_dim={self.c_dim}): "
                                 "pass labels c of shape [N, c_dim]")
            cmap = self.mapping(None, c)
        logits, fc = self.b4(x, img, cmap, return_fc=True)
        if not (return_features or return_decoder or return_patches or return_embedding):
            return logits
        outputs = {"logits": logits}
        if return_features:
            outputs["features"] = features
        if return_decoder:
            outputs["decoder"] = self._decode(features)
        if return_patches:
            maps = [t for r, t in convs if r in self.patch_res]
            outputs["patches"] = [tf.cast(head(m), tf.float32)
                                  for head, m in zip(self.patch_layers, maps)]
        if return_embedding:
            outputs["embedding"] = tf.cast(self.proj(fc), tf.float32)
        return outputs

    def _decode(self, features):
        """GGDR's U-Net decoder: {resolution: map} predicted from D's block features."""
        fmaps = {}
        y = None
        for res, block in zip(self.decoder_resolutions, self.decoder_blocks):
            skip = tf.cast(features[res // 2], tf.float32)
            y = block(skip if y is None else tf.concat([y, skip], axis=-1))
            fmaps[res] = y
        return fmaps

    def get_config(self):
        return {"name": self.name, "c_dim": self.c_dim, "img_resolution": self.img_resolution,
                "img_channels": self.img_channels, "architecture": self.architecture,
                "channel_base": self.channel_base, "channel_max": self.channel_max,
                "num_fp16_res": self.num_fp16_res, "conv_clamp": self.conv_clamp,
                "cmap_dim": self._cmap_dim_arg, "block_kwargs": self.block_kwargs,
                "mapping_kwargs": self.mapping_kwargs, "epilogue_kwargs": self.epilogue_kwargs,
                "decoder_res": self.decoder_res, "patch_res": self.patch_res,
                "patch_heads": self.patch_heads, "projection_dim": self.projection_dim,
                "impl": self.impl}
