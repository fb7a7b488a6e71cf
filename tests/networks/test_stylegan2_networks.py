"""StyleGAN2 generator/discriminator structure, mapping behaviour and serialization."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from tfgan_fs.networks import Discriminator, Generator, MappingNetwork

TINY_SYN = dict(channel_base=256, channel_max=16)


def tiny_G(res=16, c_dim=0, channels=3, **syn):
    return Generator(64, c_dim, 32, res, channels, mapping_kwargs=dict(num_layers=2),
                     synthesis_kwargs={**TINY_SYN, **syn})


def tiny_D(res=16, c_dim=0, channels=3, **kwargs):
    return Discriminator(c_dim, res, channels, **{**TINY_SYN, **kwargs})


@pytest.mark.parametrize("res,channels", [(8, 3), (16, 1), (32, 3)])
def test_generator_shapes_and_num_ws(res, channels):
    G = tiny_G(res, channels=channels)
    assert G.num_ws == 2 * int(np.log2(res)) - 2  # one conv at 4x4, two per block, last to-RGB
    img = G(tf.random.normal([2, 64]))
    assert img.shape == (2, res, res, channels)
    assert img.dtype == tf.float32


def test_channels_follow_channel_base_and_max():
    G = Generator(8, 0, 8, 64, 3, synthesis_kwargs=dict(channel_base=512, channel_max=64))
    assert G.synthesis.channels == {4: 64, 8: 64, 16: 32, 32: 16, 64: 8}
    D = Discriminator(0, 64, 3, channel_base=512, channel_max=64)
    assert D.blocks[0].conv0.weight.shape == (3, 3, 8, 8)      # 64x64 block: 512/64 channels
    assert D.b4.conv.weight.shape == (3, 3, 64 + 1, 64)        # + minibatch-std channel


def test_mapping_normalises_z_and_tracks_w_avg():
    mapping = MappingNetwork(16, 0, 8, num_ws=3, num_layers=2, w_avg_beta=0.995)
    z = tf.random.normal([5, 16])
    # z is normalised to unit second moment, so a scaled z maps to the same w.
    np.testing.assert_allclose(mapping(z).numpy(), mapping(3.0 * z).numpy(), rtol=1e-5, atol=1e-6)
    ws = mapping(z, update_w_avg=True).numpy()
    assert ws.shape == (5, 3, 8)
    np.testing.assert_allclose(ws[:, 0], ws[:, 2])  # broadcast to num_ws
    # w_avg <- lerp(mean(w), w_avg, beta) from w_avg = 0.
    np.testing.assert_allclose(mapping.w_avg.numpy(), 0.005 * ws[:, 0].mean(0), rtol=1e-5,
                               atol=1e-7)
    before = mapping.w_avg.numpy()
    mapping(z)  # no update unless asked
    np.testing.assert_array_equal(mapping.w_avg.numpy(), before)


def test_truncation_and_cutoff():
    mapping = MappingNetwork(16, 0, 8, num_ws=4, num_layers=2)
    mapping.w_avg.assign(np.arange(8, dtype=np.float32))
    z = tf.random.normal([3, 16])
    w = mapping(z).numpy()
    np.testing.assert_allclose(mapping(z, truncation_psi=0.0).numpy(),
                               np.broadcast_to(np.arange(8.0), (3, 4, 8)), atol=1e-6)
    half = mapping(z, truncation_psi=0.5).numpy()
    np.testing.assert_allclose(half, np.arange(8.0) + (w - np.arange(8.0)) * 0.5, rtol=1e-5,
                               atol=1e-5)
    cut = mapping(z, truncation_psi=0.5, truncation_cutoff=2).numpy()
    np.testing.assert_allclose(cut[:, :2], half[:, :2], atol=1e-6)
    np.testing.assert_allclose(cut[:, 2:], w[:, 2:], atol=1e-6)


def test_conditional_mapping_requires_labels():
    G = tiny_G(c_dim=3)
    z = tf.random.normal([2, 64])
    with pytest.raises(ValueError, match="conditional"):
        G(z)
    a = G(z, tf.one_hot([0, 1], 3), noise_mode="const").numpy()
    b = G(z, tf.one_hot([2, 2], 3), noise_mode="const").numpy()
    assert not np.allclose(a, b)


def test_mapping_and_synthesis_compose_to_generator():
    G = tiny_G()
    z = tf.random.normal([2, 64])
    ws = G.mapping(z, truncation_psi=0.7)
    np.testing.assert_allclose(G(z, truncation_psi=0.7, noise_mode="const").numpy(),
                               G.synthesis(ws, noise_mode="const").numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("architecture", ["orig", "skip", "resnet"])
def test_architectures_run(architecture):
    G = tiny_G(architecture=architecture)
    D = tiny_D(architecture=architecture)
    img = G(tf.random.normal([4, 64]))
    assert D(img).shape == (4, 1)
    has_torgb = [b.torgb is not None for b in G.synthesis.blocks]
    assert has_torgb[-1] and all(has_torgb) == (architecture == "skip")


def test_features_on_request():
    G = tiny_G(res=16)
    img, feats = G(tf.random.normal([2, 64]), return_features=True)
    assert {k: tuple(v.shape) for k, v in feats.items()} == {
        4: (2, 4, 4, 16), 8: (2, 8, 8, 16), 16: (2, 16, 16, 16)}
    D = tiny_D(res=16)
    out = D(img, return_features=True)
    logits, dfeats = out["logits"], out["features"]
    assert logits.shape == (2, 1)
    assert {k: tuple(v.shape) for k, v in dfeats.items()} == {8: (2, 8, 8, 16),
                                                              4: (2, 4, 4, 16)}


def test_projection_discriminator_uses_labels():
    D = tiny_D(c_dim=4)
    assert D.cmap_dim == 16 and len(D.mapping.fcs) == 8  # reference default label mapping
    img = tf.random.normal([4, 16, 16, 3])
    a = D(img, tf.one_hot([0, 1, 2, 3], 4)).numpy()
    b = D(img, tf.one_hot([1, 1, 1, 1], 4)).numpy()
    assert a.shape == (4, 1) and not np.allclose(a, b)


def test_freeze_d_counts_layers_from_the_top():
    D = tiny_D(res=16, block_kwargs=dict(freeze_layers=5), name="D")
    trainable = {v.path for v in D.trainable_variables}
    frozen = {v.path for v in D.weights} - trainable
    # b16: fromrgb, conv0, conv1, skip (layers 0-3); b8: conv0 (layer 4) frozen, rest trainable.
    assert {p.rsplit("/", 1)[0] for p in frozen} == {
        "D/b16/fromrgb", "D/b16/conv0", "D/b16/conv1", "D/b16/skip", "D/b8/conv0"}
    assert "D/b8/conv1/weight" in trainable and "D/b4/out/weight" in trainable


def test_float16_blocks_match_float32():
    G = tiny_G(res=16, num_fp16_res=2, conv_clamp=256)
    assert [b.use_fp16 for b in G.synthesis.blocks] == [False, True, True]
    z = tf.random.normal([2, 64])
    half = G(z, noise_mode="const").numpy()
    full = G(z, noise_mode="const", force_fp32=True).numpy()
    assert half.dtype == np.float32
    np.testing.assert_allclose(half, full, atol=0.05)
    D = tiny_D(res=16, num_fp16_res=2, conv_clamp=256)
    np.testing.assert_allclose(D(full).numpy(), D(full, force_fp32=True).numpy(), atol=0.05)


def test_generator_config_round_trip_and_weight_copy():
    G = tiny_G(c_dim=2)
    clone = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(G))
    assert isinstance(clone, Generator) and clone.get_config() == G.get_config()
    for dst, src in zip(clone.weights, G.weights):
        assert dst.path == src.path and dst.shape == src.shape
        dst.assign(src)
    z, c = tf.random.normal([2, 64]), tf.one_hot([0, 1], 2)
    np.testing.assert_allclose(clone(z, c, noise_mode="const").numpy(),
                               G(z, c, noise_mode="const").numpy())
    D = tiny_D(c_dim=2, block_kwargs=dict(freeze_layers=2))
    D2 = Discriminator.from_config(D.get_config())
    assert [v.path for v in D2.trainable_variables] == [v.path for v in D.trainable_variables]


def test_bad_arguments_are_reported():
    with pytest.raises(ValueError, match="power of two"):
        tiny_G(res=24)
    with pytest.raises(ValueError, match="architecture"):
        tiny_D(architecture="dense")
