"""StyleGAN-NADA's CLIP losses, templates and preprocessing against the reference's outputs
(fixtures/README.md: rinongal/StyleGAN-nada dc8406a `CLIPLoss` run on the CPU with a stub CLIP)."""

import pathlib

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from tfgan_fs.clip import (CLIP_MEAN, CLIP_STD, IMAGENET_TEMPLATES, bicubic_matrix,
                           center_crop_offset, clip_preprocess, compose, preprocess_pil,
                           resized_shape)
from tfgan_fs.losses.clip import (clip_directional_loss, clip_global_loss, image_direction,
                                  text_direction)

FIXTURE = pathlib.Path(__file__).parent / "fixtures" / "clip_loss.npz"
EMB_DIM = 64
PROJ_SEED = {224: 1224, 32: 1032}  # make_fixtures.projection
# Largest |ours - reference| of the preprocessed pixels measured: 3.9e-6 (64x80 -> 224),
# 2.8e-6 (256 -> 224), 2.0e-6 (71x50 -> 32), 1.2e-6 (36x31 -> 32); pixel values up to 2.9.
PREPROCESS_ATOL = 2e-5


@pytest.fixture(scope="module")
def ref():
    return dict(np.load(FIXTURE))


def u8_to_gan(u8):
    return u8.astype(np.float32) / np.float32(127.5) - np.float32(1.0)


def nhwc(x):
    return np.transpose(x, (0, 2, 3, 1))


def stub_encode_image(pre_nhwc, n_px):
    """The fixture's stub image encoder: NCHW-flattened pixels @ a fixed random projection."""
    n = 3 * n_px * n_px
    proj = np.random.default_rng(PROJ_SEED[n_px]).standard_normal((n, EMB_DIM), dtype=np.float32)
    proj /= np.float32(np.sqrt(n))
    flat = np.transpose(np.asarray(pre_nhwc), (0, 3, 1, 2)).reshape(len(pre_nhwc), -1)
    return flat @ proj


# ---------------------------------------------------------------------------- templates

def test_templates_are_the_reference_79(ref):
    assert len(IMAGENET_TEMPLATES) == 79
    assert list(IMAGENET_TEMPLATES) == list(ref["imagenet_templates"])


def test_compose_gives_79_strings_with_the_class(ref):
    texts = compose("photo")
    assert len(texts) == 79 and all("photo" in t for t in texts)
    assert texts == list(ref["text_source_strings"])
    assert compose("sketch") == list(ref["text_target_strings"])
    assert compose("dog", ["a {}.", "the {} in a video game."]) == [
        "a dog.", "the dog in a video game."]


# ---------------------------------------------------------------------------- losses

def test_text_direction(ref):
    got = text_direction(ref["text_source_emb"], ref["text_target_emb"]).numpy()
    assert got.shape == (1, EMB_DIM)
    np.testing.assert_allclose(got, ref["text_direction"], atol=1e-6)


def test_directional_loss(ref):
    calls = []
    loss = clip_directional_loss(ref["dir_emb_trainable"], ref["dir_emb_frozen"],
                                 ref["text_direction"],
                                 emb_trainable_shifted=lambda: calls.append(1))
    assert float(loss) == pytest.approx(float(ref["dir_loss"]), abs=1e-5)
    assert not calls  # the edit direction is not zero: no re-encoding


def test_directional_loss_identical_images_branch(ref):
    """Identical images: the reference re-encodes the trainable image + 1e-6."""
    calls = []

    def shifted():
        calls.append(1)
        return tf.constant(ref["same_emb_shifted"])

    emb = ref["same_emb"]
    loss = clip_directional_loss(emb, emb.copy(), ref["text_direction"],
                                 emb_trainable_shifted=shifted)
    assert len(calls) == 1
    assert float(loss) == pytest.approx(float(ref["same_loss"]), abs=1e-5)
    in_graph = tf.function(lambda a, b: clip_directional_loss(
        a, b, ref["text_direction"], emb_trainable_shifted=lambda: ref["same_emb_shifted"]))
    assert float(in_graph(emb, emb)) == pytest.approx(float(ref["same_loss"]), abs=1e-5)


@pytest.mark.parametrize("n", [1, 3])
def test_global_loss(ref, n):
    loss = clip_global_loss(ref["global_emb_images"], ref[f"global_text_emb_{n}"])
    assert float(loss) == pytest.approx(float(ref[f"global_loss_{n}"]), abs=1e-5)


@pytest.mark.parametrize("prefix", ["i2i", "i2i32"])
def test_image_direction(ref, prefix):
    got = image_direction(ref[f"{prefix}_emb_generated"], ref[f"{prefix}_emb_style"]).numpy()
    np.testing.assert_allclose(got, ref[f"{prefix}_direction"], atol=1e-6)


def test_losses_end_to_end_through_our_preprocessing(ref):
    """Our clip_preprocess + the fixture's stub encoder give the reference's embeddings/losses."""
    frozen = stub_encode_image(clip_preprocess(nhwc(u8_to_gan(ref["dir_img_frozen_u8"]))), 224)
    trainable = stub_encode_image(
        clip_preprocess(nhwc(u8_to_gan(ref["dir_img_trainable_u8"]))), 224)
    # measured: max |emb diff| 3.0e-5 for embeddings of norm 7-9, nearly all of it from the
    # float32 sum over 150528 pixels (NumPy vs torch: 2.8e-5 on the reference's own input);
    # the losses then agree to 5e-7
    np.testing.assert_allclose(frozen, ref["dir_emb_frozen"], atol=1e-4)
    np.testing.assert_allclose(trainable, ref["dir_emb_trainable"], atol=1e-4)
    loss = clip_directional_loss(trainable, frozen, ref["text_direction"])
    assert float(loss) == pytest.approx(float(ref["dir_loss"]), abs=1e-5)
    glob = clip_global_loss(trainable, ref["global_text_emb_3"])
    assert float(glob) == pytest.approx(float(ref["global_loss_3"]), abs=1e-5)


# ---------------------------------------------------------------------------- preprocessing

@pytest.mark.parametrize("case", ["sq", "wide", "same", "same_shifted", "down32"])
def test_clip_preprocess_matches_reference(ref, case):
    img, pre, size = {
        "sq": (u8_to_gan(ref["img_sq_u8"]), ref["pre_sq"], 224),                  # 256x256
        "wide": (u8_to_gan(ref["dir_img_frozen_u8"][:1]), ref["pre_wide"], 224),  # 64x80
        "same": (ref["same_img"], ref["same_pre"], 32),                           # 36x31
        "same_shifted": (ref["same_img"] + np.float32(1e-6), ref["same_pre_shifted"], 32),
        "down32": (u8_to_gan(ref["img_down32_u8"]), ref["pre_down32"], 32),       # 71x50
    }[case]
    got = clip_preprocess(nhwc(img), size=size).numpy()
    assert got.shape == (img.shape[0], size, size, 3) and got.dtype == np.float32
    np.testing.assert_allclose(got, nhwc(pre), rtol=0, atol=PREPROCESS_ATOL)


def test_resize_and_crop_rules():
    assert resized_shape(64, 80, 224) == (224, 280)
    assert resized_shape(256, 256, 224) == (224, 224)
    assert resized_shape(36, 31, 32) == (37, 32)      # int(32 * 36 / 31) = int(37.16)
    assert resized_shape(56, 40, 224) == (313, 224)   # int(313.6)
    assert center_crop_offset(37, 32) == 2            # round(2.5) = 2 (half to even)
    assert center_crop_offset(45, 32) == 6            # round(6.5) = 6
    assert center_crop_offset(313, 224) == 44         # round(44.5) = 44
    assert center_crop_offset(283, 224) == 30         # round(29.5) = 30
    with pytest.raises(ValueError):
        center_crop_offset(10, 32)


def test_bicubic_matrix_properties():
    for n_in, n_out in [(64, 224), (256, 224), (5, 3), (3, 7)]:
        m = bicubic_matrix(n_in, n_out)
        assert m.shape == (n_out, n_in) and m.dtype == np.float32
        np.testing.assert_allclose(m.sum(axis=1), 1.0, atol=1e-6)
    np.testing.assert_array_equal(bicubic_matrix(7, 7), np.eye(7, dtype=np.float32))


def test_clip_preprocess_gradient():
    """d/dx sum(g * preprocess(x)) = 0.5 R^T (g / std) C per channel (R, C the cropped
    resampling matrices), and a central finite difference agrees."""
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (2, 5, 7, 3)).astype(np.float32)   # -> resize 4 x 5, crop left 0
    g = rng.standard_normal((2, 4, 4, 3)).astype(np.float32)
    x_t = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(x_t)
        y = tf.reduce_sum(clip_preprocess(x_t, size=4) * g)
    grad = tape.gradient(y, x_t).numpy()
    rows = bicubic_matrix(5, 4)[0:4]
    cols = bicubic_matrix(7, 5)[center_crop_offset(5, 4):][:4]
    want = 0.5 * np.einsum("oh,bopc,pw->bhwc", rows, g / np.asarray(CLIP_STD, np.float32), cols)
    np.testing.assert_allclose(grad, want, atol=1e-6)

    def f(v):
        return float(tf.reduce_sum(clip_preprocess(tf.constant(v[None]), size=4)[0] * g[0]))

    eps = np.float32(0.05)
    for (i, j, c) in [(0, 0, 0), (2, 3, 1), (4, 6, 2)]:
        plus, minus = x[0].copy(), x[0].copy()
        plus[i, j, c] += eps
        minus[i, j, c] -= eps
        fd = (f(plus) - f(minus)) / (2 * eps)
        assert fd == pytest.approx(grad[0, i, j, c], abs=2e-4)


def test_clip_preprocess_needs_static_spatial_shape():
    fn = tf.function(clip_preprocess, input_signature=[
        tf.TensorSpec([None, None, None, 3], tf.float32)])
    with pytest.raises(ValueError, match="static"):
        fn.get_concrete_function()
    with pytest.raises(ValueError, match="channels"):
        clip_preprocess(np.zeros((1, 8, 8, 4), np.float32), size=4)


def test_preprocess_constants():
    assert CLIP_MEAN == (0.48145466, 0.4578275, 0.40821073)
    assert CLIP_STD == (0.26862954, 0.26130258, 0.27577711)


# ---------------------------------------------------------------------------- PIL path

@pytest.mark.parametrize("key,pre,size", [("style_rgb", "pil_pre_rgb", 224),
                                          ("style_gray", "pil_pre_gray32", 32),
                                          ("style_rgba", "pil_pre_rgba32", 32)])
def test_preprocess_pil_matches_reference(ref, tmp_path, key, pre, size):
    """Measured: identical (max |diff| 0) with Pillow 13.0.0 on both sides."""
    path = tmp_path / f"{key}.png"
    Image.fromarray(ref[f"{key}_u8"]).save(path)
    with Image.open(path) as im:
        assert im.mode == str(ref[f"{key}_mode"])
        from_pil = preprocess_pil(im, size)
    got = preprocess_pil(path, size)
    assert got.shape == (size, size, 3) and got.dtype == np.float32
    np.testing.assert_allclose(got, nhwc(ref[pre])[0], rtol=0, atol=1e-6)
    np.testing.assert_array_equal(from_pil, got)


def test_preprocess_pil_bad_file_names_it(tmp_path):
    bad = tmp_path / "not_an_image.png"
    bad.write_text("hello")
    with pytest.raises(ValueError, match="not_an_image.png"):
        preprocess_pil(bad)
