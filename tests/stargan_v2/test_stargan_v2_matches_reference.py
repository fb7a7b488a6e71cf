"""Converted StarGAN v2 networks reproduce clovaai/stargan-v2 `core/model.py` (fixtures made by
fixtures/make_fixtures.py with the reference, random init, non-trivial instance-norm affines)."""

import os

import numpy as np
import pytest

from tfgan_fs.convert.stargan_v2 import convert_checkpoint

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures")
ATOL = 1e-4


def nhwc(a):
    return np.transpose(a, (0, 2, 3, 1))


@pytest.fixture(scope="module")
def ref():
    return dict(np.load(os.path.join(FIXTURES, "outputs.npz")))


@pytest.fixture(scope="module")
def nets():
    return convert_checkpoint(os.path.join(FIXTURES, "nets.ckpt")).networks


@pytest.fixture(scope="module")
def nets_hpf():
    return convert_checkpoint(os.path.join(FIXTURES, "nets_ema_hpf.ckpt")).networks


def test_mapping_network_style_codes(nets, ref):
    s = nets["mapping_network"](ref["z"], ref["y"]).numpy()
    np.testing.assert_allclose(s, ref["s_latent"], atol=ATOL)


def test_style_encoder_style_codes(nets, ref):
    s = nets["style_encoder"](nhwc(ref["x_ref"]), ref["y"]).numpy()
    np.testing.assert_allclose(s, ref["s_ref"], atol=ATOL)


@pytest.mark.parametrize("mode", ["latent", "ref"])
def test_generator_translations(nets, ref, mode):
    s = ref["s_latent"] if mode == "latent" else ref["s_ref"]
    fake = nets["generator"](nhwc(ref["x"]), s).numpy()
    np.testing.assert_allclose(fake, nhwc(ref[f"fake_{mode}"]), atol=ATOL)


def test_discriminator_logits(nets, ref):
    np.testing.assert_allclose(nets["discriminator"](nhwc(ref["x"]), ref["y_src"]).numpy(),
                               ref["d_real"], atol=ATOL)
    np.testing.assert_allclose(nets["discriminator"](nhwc(ref["fake_latent"]), ref["y"]).numpy(),
                               ref["d_fake"], atol=ATOL)


def test_generator_high_pass_with_given_masks(nets_hpf, ref):
    G = nets_hpf["generator"]
    assert G.w_hpf == 1 and len(G.encode) == 5  # one extra down-sampling block
    masks = [nhwc(ref["mask0"]), nhwc(ref["mask1"])]
    fake = G(nhwc(ref["x"]), ref["s_latent"], masks).numpy()
    np.testing.assert_allclose(fake, nhwc(ref["fake_hpf"]), atol=ATOL)
    # w_hpf > 0 and no masks: decoder blocks without shortcut, no high-pass connections
    fake = G(nhwc(ref["x"]), ref["s_ref"]).numpy()
    np.testing.assert_allclose(fake, nhwc(ref["fake_hpf_nomask"]), atol=ATOL)
