"""AugmentPipe with debug percentiles against the independent NumPy reference (np_ada_reference).

Images are uniform in [-1, 1]. Tolerances are absolute: geometric transforms go through float32
resampling (bilinear sampling of a 2x-upsampled image at float32 coordinates), colour and filter
transforms through float32 arithmetic.
"""

import np_ada_reference as ref
import numpy as np
import pytest
import tensorflow as tf

from tfgan_fs.augment import AugmentPipe, augpipe_kwargs

SEED = tf.constant([3, 5], tf.int64)
GEOM_ATOL = 2e-5
COLOR_ATOL = 1e-5


def _images(shape, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, shape).astype(np.float32)


def _run(kwargs, x, q, features=None):
    pipe = AugmentPipe(**kwargs, initial_p=0.0)  # debug_percentile ignores p
    return pipe(tf.constant(x), seed=SEED, debug_percentile=q, features=features)


def _check(kwargs, x, q, atol):
    out = _run(kwargs, x, q).numpy()
    expected = ref.pipe(x, q, **kwargs)
    assert out.shape == x.shape and out.dtype == np.float32
    np.testing.assert_allclose(out, expected, rtol=0, atol=atol)
    return out, expected


# -- General geometric transforms -------------------------------------------------------------

@pytest.mark.parametrize("name", ["scale", "rotate", "aniso", "xfrac"])
@pytest.mark.parametrize("q", [0.12, 0.4, 0.83])
@pytest.mark.parametrize("channels", [3, 1])
def test_geometric_transform_alone(name, q, channels):
    x = _images([2, 12, 16, channels])  # non-square: catches x/y mix-ups
    out, _ = _check({name: 1}, x, q, GEOM_ATOL)
    assert np.abs(out - x).max() > 1e-2  # the transform did something


@pytest.mark.parametrize("kwargs,q", [
    (dict(xflip=1, scale=1), 0.7),
    (dict(rotate90=1, scale=1), 0.3),
    (dict(rotate90=1, scale=1), 0.6),
    (dict(rotate90=1, scale=1), 0.9),
    (dict(xint=1, scale=1), 0.9),
    (dict(xint=1, scale=1), 0.05),
    (dict(xflip=1, rotate90=1, xint=1, xfrac=1), 0.85),
])
def test_blit_transforms_through_general_path(kwargs, q):
    size = 16 if kwargs.get("rotate90") else None
    x = _images([2, size or 12, size or 20, 3])
    _check(kwargs, x, q, GEOM_ATOL)


def test_geometric_nonstandard_strengths():
    x = _images([1, 12, 12, 3])
    _check(dict(scale=1, scale_std=0.5, rotate=1, rotate_max=0.25, xfrac=1, xfrac_std=0.05),
           x, 0.7, GEOM_ATOL)


def test_geometric_identity_percentile_is_identity():
    # q = 0.5: s = 2^0 = 1, theta = 0, t = 0: the resampling round trip is the identity
    # (orthogonal sym6 filter), up to float32 rounding.
    x = _images([2, 12, 16, 3])
    out = _run(augpipe_kwargs("geom"), x, 0.5).numpy()
    np.testing.assert_allclose(out, x, rtol=0, atol=GEOM_ATOL)


# -- Colour transforms ------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["brightness", "contrast", "lumaflip", "hue", "saturation"])
@pytest.mark.parametrize("q", [0.15, 0.55, 0.9])
def test_color_transform_alone_rgb(name, q):
    x = _images([2, 8, 8, 3])
    _check({name: 1}, x, q, COLOR_ATOL)


@pytest.mark.parametrize("name", ["brightness", "contrast", "lumaflip"])
@pytest.mark.parametrize("q", [0.15, 0.9])
def test_color_transform_alone_grey(name, q):
    x = _images([2, 8, 8, 1])
    out, _ = _check({name: 1}, x, q, COLOR_ATOL)
    if not (name == "lumaflip" and q < 0.5):  # floor(2q) = 0: no flip
        assert np.abs(out - x).max() > 1e-2


@pytest.mark.parametrize("name", ["hue", "saturation"])
def test_hue_saturation_skipped_for_grey(name):
    x = _images([2, 8, 8, 1])
    out = _run({name: 1}, x, 0.9).numpy()
    np.testing.assert_array_equal(out, x)  # the reference leaves C = I and skips the colour op


def test_color_all_with_nonstandard_strengths_grey_and_rgb():
    kwargs = dict(augpipe_kwargs("color"), brightness_std=0.5, contrast_std=0.25, hue_max=0.5,
                  saturation_std=0.5)
    for channels in (1, 3):
        _check(kwargs, _images([2, 8, 8, channels]), 0.8, COLOR_ATOL)


# -- Image-space filtering --------------------------------------------------------------------

def test_filter_bank_matches_reference_construction():
    from tfgan_fs.augment.wavelets import imgfilter_bank
    bank = imgfilter_bank(4)
    assert bank.shape == (4, 43)
    np.testing.assert_allclose(bank, ref.imgfilter_bank(), rtol=0, atol=1e-15)


@pytest.mark.parametrize("band", [0, 1, 2, 3])
@pytest.mark.parametrize("q", [0.2, 0.85])
def test_imgfilter_single_band(band, q):
    bands = [0, 0, 0, 0]
    bands[band] = 1
    x = _images([2, 32, 32, 3])  # reflect padding by 21 needs >= 22 pixels
    out, _ = _check(dict(imgfilter=1, imgfilter_bands=bands), x, q, COLOR_ATOL)
    assert np.abs(out - x).max() > 1e-2


@pytest.mark.parametrize("q", [0.3, 0.75])
def test_imgfilter_all_bands(q):
    _check(dict(imgfilter=1), _images([2, 24, 32, 1]), q, COLOR_ATOL)


def test_imgfilter_unit_gain_is_identity():
    x = _images([1, 24, 24, 3])
    out = _run(dict(imgfilter=1), x, 0.5).numpy()  # every band gain 2^0 = 1
    np.testing.assert_allclose(out, x, rtol=0, atol=COLOR_ATOL)


# -- Cutout -----------------------------------------------------------------------------------

@pytest.mark.parametrize("q", [0.3, 0.55, 0.8])
@pytest.mark.parametrize("size", [0.5, 0.25])
def test_cutout(q, size):
    x = _images([2, 16, 12, 3])
    out = _run(dict(cutout=1, cutout_size=size), x, q).numpy()
    expected = x * ref.cutout_mask(16, 12, q, size)[None, :, :, None].astype(np.float32)
    np.testing.assert_array_equal(out, expected)
    assert (out == 0).any() and (out != 0).any()


# -- Composition ------------------------------------------------------------------------------

@pytest.mark.parametrize("q", [0.85, 0.3])
def test_bgc_composition(q):
    x = _images([2, 16, 16, 3])
    _check(augpipe_kwargs("bgc"), x, q, GEOM_ATOL)


def test_bgcfc_composition():
    kwargs = dict(augpipe_kwargs("bgcf"), cutout=1)
    _check(kwargs, _images([1, 24, 24, 3]), 0.65, GEOM_ATOL)


# -- Features ---------------------------------------------------------------------------------

GEOM_FEATURE_PIPE = dict(scale=1, rotate=1, aniso=1, xfrac=1, xflip=1)


@pytest.mark.parametrize("q", [0.35, 0.8])
def test_features_same_resolution_follow_image_up_to_filter(q):
    # A map aligned with the image gets the image's transform; only the upsampling filter
    # differs (bilinear for features, sym6 for images), so the two agree up to a blur.
    x = _images([2, 16, 16, 3])
    out, feats = _run(GEOM_FEATURE_PIPE, x, q, features=[tf.constant(x)])
    G = ref.geom_matrix(ref.full_config(**GEOM_FEATURE_PIPE), q, 16, 16)
    np.testing.assert_allclose(feats[0].numpy(), ref.geometric_feature(x, G), rtol=0,
                               atol=GEOM_ATOL)


@pytest.mark.parametrize("q", [0.2, 0.35, 0.8])
def test_smooth_aligned_feature_equals_transformed_image(q):
    # An image-aligned synthetic "feature map" (here: the image itself, smooth) resampled with
    # the image equals the resampled image up to the filter difference (bilinear vs sym6).
    yy, xx = np.meshgrid(np.linspace(-1, 1, 32), np.linspace(-1, 1, 32), indexing="ij")
    x = np.stack([np.sin(2 * xx + yy), np.cos(3 * yy - xx), xx * yy], -1)[None]
    x = np.concatenate([x, x[:, ::-1]]).astype(np.float32)
    out, feats = _run(GEOM_FEATURE_PIPE, x, q, features=[tf.constant(x)])
    # Bilinear upsampling blurs more than sym6: measured mean |diff| 0.017, max 0.08, while the
    # transform itself moves pixels by 0.5-0.8 on average.
    diff = np.abs(feats[0].numpy() - out.numpy())
    assert diff.mean() < 0.03 and diff.max() < 0.15
    assert np.abs(out.numpy() - x).mean() > 0.3  # the transform is far from the identity


@pytest.mark.parametrize("q", [0.35, 0.8])
def test_features_half_resolution_own_pixel_units(q):
    # Translations are in the map's own pixels (AugmentPipeGFeat), the rest is shared.
    x = _images([2, 16, 16, 3])
    f = _images([2, 8, 8, 5], seed=3)
    out, feats = _run(GEOM_FEATURE_PIPE, x, q, features={"half": tf.constant(f)})
    assert feats["half"].shape == f.shape
    cfg = ref.full_config(**GEOM_FEATURE_PIPE)
    expected = ref.geometric_feature(f, ref.geom_matrix(cfg, q, 8, 8))
    np.testing.assert_allclose(feats["half"].numpy(), expected, rtol=0, atol=GEOM_ATOL)
    np.testing.assert_allclose(out.numpy(), ref.geometric(x, ref.geom_matrix(cfg, q, 16, 16)),
                               rtol=0, atol=GEOM_ATOL)


def test_features_follow_blit_only_translation():
    # Blit-only pipe: the image is blitted exactly; features are resampled as AugmentPipeGFeat
    # does, with the integer shift rounded at the feature resolution.
    x = _images([2, 16, 16, 3])
    f = _images([2, 8, 8, 2], seed=4)
    q = 0.95
    out, feats = _run(dict(xint=1), x, q, features=[tf.constant(f)])
    cfg = ref.full_config(xint=1)
    np.testing.assert_allclose(out.numpy(), ref.geometric(x, ref.geom_matrix(cfg, q, 16, 16)),
                               rtol=0, atol=GEOM_ATOL)
    np.testing.assert_allclose(feats[0].numpy(),
                               ref.geometric_feature(f, ref.geom_matrix(cfg, q, 8, 8)),
                               rtol=0, atol=GEOM_ATOL)


def test_features_colour_transforms_do_not_touch_features():
    x = _images([1, 8, 8, 3])
    f = _images([1, 8, 8, 4], seed=5)
    out, feats = _run(augpipe_kwargs("color"), x, 0.9, features=[tf.constant(f)])
    assert np.array_equal(feats[0].numpy(), f)
    assert not np.allclose(out.numpy(), x)
