"""--augpipe presets against the reference's `augpipe_specs` (NVlabs stylegan2-ada-pytorch
train.py), transcribed here."""

import pytest

from tfgan_fs.augment import AUGPIPE_SPECS, AugmentPipe, augpipe_kwargs

_B = ["xflip", "rotate90", "xint"]
_G = ["scale", "rotate", "aniso", "xfrac"]
_C = ["brightness", "contrast", "lumaflip", "hue", "saturation"]
REFERENCE_SPECS = {
    "blit": _B,
    "geom": _G,
    "color": _C,
    "filter": ["imgfilter"],
    "noise": ["noise"],
    "cutout": ["cutout"],
    "bg": _B + _G,
    "bgc": _B + _G + _C,
    "bgcf": _B + _G + _C + ["imgfilter"],
    "bgcfn": _B + _G + _C + ["imgfilter", "noise"],
    "bgcfnc": _B + _G + _C + ["imgfilter", "noise", "cutout"],
}
MULTIPLIERS = _B + _G + _C + ["imgfilter", "noise", "cutout"]


def test_same_preset_names():
    assert set(AUGPIPE_SPECS) == set(REFERENCE_SPECS)


@pytest.mark.parametrize("name", sorted(REFERENCE_SPECS))
def test_preset_enables_exactly_the_reference_transforms(name):
    kwargs = augpipe_kwargs(name)
    assert kwargs == {k: 1 for k in REFERENCE_SPECS[name]}
    pipe = AugmentPipe(**kwargs)
    enabled = {k for k in MULTIPLIERS if pipe.config[k] > 0}
    assert enabled == set(REFERENCE_SPECS[name])
    assert all(pipe.config[k] == 1.0 for k in enabled)
    # Strengths stay at the reference defaults.
    assert pipe.config["xint_max"] == 0.125 and pipe.config["scale_std"] == 0.2
    assert pipe.config["rotate_max"] == 1 and pipe.config["aniso_std"] == 0.2
    assert pipe.config["xfrac_std"] == 0.125 and pipe.config["brightness_std"] == 0.2
    assert pipe.config["contrast_std"] == 0.5 and pipe.config["hue_max"] == 1
    assert pipe.config["saturation_std"] == 1 and pipe.config["imgfilter_std"] == 1
    assert pipe.config["imgfilter_bands"] == [1, 1, 1, 1]
    assert pipe.config["noise_std"] == 0.1 and pipe.config["cutout_size"] == 0.5


def test_augpipe_kwargs_returns_a_fresh_dict():
    kwargs = augpipe_kwargs("bgc")
    kwargs["noise"] = 1
    kwargs["xflip"] = 0
    assert augpipe_kwargs("bgc") == {k: 1 for k in REFERENCE_SPECS["bgc"]}


@pytest.mark.parametrize("name", ["BGC", "bgcfnx", "", "none", "noaug"])
def test_unknown_preset_raises(name):
    with pytest.raises(ValueError):
        augpipe_kwargs(name)


def test_negative_multiplier_rejected():
    with pytest.raises(ValueError):
        AugmentPipe(xflip=-1)


def test_config_round_trip():
    pipe = AugmentPipe(**augpipe_kwargs("bgcfnc"), imgfilter_bands=[1, 0.5, 0, 1], noise_std=0.2,
                       initial_p=0.25)
    clone = AugmentPipe.from_config(pipe.get_config())
    assert clone.config == pipe.config
    assert float(clone.p.numpy()) == 0.25
    assert not clone.p.trainable
