"""Network taps of the few-shot methods: G's per-layer features, D's patch candidates, patch
heads (against MixDL's own ConvLayer, fixtures/README.md) and the projection head."""

import pathlib

import keras
import numpy as np
import pytest
import tensorflow as tf

from tfgan_fs.layers import EqualizedConv2D
from tfgan_fs.methods import DOutput
from tfgan_fs.networks import Discriminator, Generator, default_patch_res, patch_candidates

FIXTURE = pathlib.Path(__file__).parent / "fixtures" / "distance.npz"


def small_generator(res=16):
    keras.utils.set_random_seed(0)
    return Generator(z_dim=8, c_dim=0, w_dim=8, img_resolution=res, img_channels=3,
                     mapping_kwargs=dict(num_layers=1),
                     synthesis_kwargs=dict(channel_base=64, channel_max=8))


def test_generator_layers_are_every_conv_in_order_and_last_is_the_block_output():
    G = small_generator(16)
    z = tf.random.stateless_normal([3, 8], [1, 2])
    img, features, layers = G(z, noise_mode="const", return_features=True, return_layers=True)
    # 4x4 conv, then conv0 and conv1 of the 8x8 and 16x16 blocks: 1 + 2 * (log2(16) - 2).
    assert G.synthesis.num_layers == 5 == len(layers)
    assert [t.shape[1] for t in layers] == [4, 8, 8, 16, 16]
    for res, index in ((4, 0), (8, 2), (16, 4)):  # the block output is its last conv's output
        np.testing.assert_allclose(layers[index], features[res], rtol=0, atol=0)
    np.testing.assert_allclose(img, G(z, noise_mode="const"), atol=1e-6)


def test_patch_candidates_at_256_are_the_references_four():
    res = [256, 128, 64, 32, 16, 8]
    channels = {r: 512 for r in res + [4]}
    found = patch_candidates(res, channels, default_patch_res(256))
    assert default_patch_res(256) == (32, 16)
    assert [(r, name) for r, name, _ in found] == [(64, "conv1"), (32, "conv0"), (32, "conv1"),
                                                  (16, "conv0")]
    assert default_patch_res(32) == (8, 4) and default_patch_res(128) == (16, 8)


def test_discriminator_patch_logits_shapes_and_unchanged_image_logits():
    keras.utils.set_random_seed(3)
    kwargs = dict(c_dim=0, img_resolution=32, img_channels=3, channel_base=128, channel_max=8)
    D = Discriminator(**kwargs, patch_res=default_patch_res(32), patch_heads=3,
                      projection_dim=8)
    img = tf.random.stateless_uniform([4, 32, 32, 3], [5, 6], -1, 1)
    out = D(img, return_patches=True, return_embedding=True)
    assert sorted(out) == ["embedding", "logits", "patches"]
    logits, patches, embedding = out["logits"], out["patches"], out["embedding"]
    assert [tuple(p.shape) for p in patches] == [(4, 8, 8, 1), (4, 8, 8, 1), (4, 4, 4, 1)]
    assert embedding.shape == (4, 8)
    np.testing.assert_allclose(logits, D(img), atol=1e-6)
    with pytest.raises(ValueError, match="patch_heads=4"):
        Discriminator(**kwargs, patch_res=(8, 4), patch_heads=4)


def test_patch_head_is_mixdl_convlayer_with_its_leaky_relu():
    ref = np.load(FIXTURE)
    layer = EqualizedConv2D(8, 1, kernel_size=3, activation="lrelu")
    layer(tf.zeros([1, 4, 4, 8]))
    layer.weight.assign(np.transpose(ref["patch_weight"], (2, 3, 1, 0)))
    layer.bias.assign(ref["patch_bias"])
    np.testing.assert_allclose(layer(ref["patch_in"]), ref["patch_out"], atol=1e-5)


def test_per_image_mean_over_the_drawn_heads_patches():
    rs = np.random.RandomState(0)
    patches = [rs.randn(3, 4, 4, 1).astype(np.float32), rs.randn(3, 2, 2, 1).astype(np.float32)]
    softplus = lambda x: np.log1p(np.exp(x))  # noqa: E731
    for index in (0, 1):
        out = DOutput(logits=tf.zeros([3, 1]), patches=[tf.constant(p) for p in patches],
                      patch_index=tf.constant(index))
        want = softplus(patches[index]).reshape(3, -1).mean(1)
        np.testing.assert_allclose(out.per_image(tf.nn.softplus), want, rtol=1e-5)
    image = DOutput(logits=tf.constant([[1.0], [-2.0]]))
    np.testing.assert_allclose(image.per_image(tf.nn.softplus), softplus(np.array([1.0, -2.0])),
                               rtol=1e-5)
