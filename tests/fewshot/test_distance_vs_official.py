"""The MixDL and CDC distance losses against the official code's outputs (fixtures/README.md:
reyllama/mixdl 668d158 and utkarshojha/few-shot-gan-adaptation 5617920, run on the CPU)."""

import pathlib

import numpy as np
import pytest

from tfgan_fs.losses import distance_kl, layer_row_similarities, pairwise_cosine

FIXTURE = pathlib.Path(__file__).parent / "fixtures" / "distance.npz"
KL_WT = 1000.0  # MixDL --kl_wt and CDC --kl_wt


@pytest.fixture(scope="module")
def ref():
    return dict(np.load(FIXTURE))


def rows_per_layer(ref, prefix_a, prefix_b, layer_of_row):
    """layer_row_similarities on the references' feature lists: the fixtures hold layers 1-3 of
    each list (both references draw feat_ind in [1, L - 2]); layer 0 is never drawn and stands
    as zeros here."""
    layers_a = [ref[f"{prefix_a}_{l}"] for l in (1, 2, 3)]
    layers_b = [ref[f"{prefix_b}_{l}"] for l in (1, 2, 3)]
    return layer_row_similarities([np.zeros_like(layers_a[0])] + layers_a,
                                  [np.zeros_like(layers_b[0])] + layers_b,
                                  np.asarray(layer_of_row)).numpy()


def test_kl_is_klDivLoss_mean_not_batchmean(ref):
    got = float(distance_kl(ref["kl_target_logits"], ref["kl_sims"]))
    assert got == pytest.approx(float(ref["kl_mean"]), rel=1e-5)
    assert got != pytest.approx(float(ref["kl_batchmean"]), rel=0.1)  # 4x apart here


def test_mixdl_generator_distance_one_layer(ref):
    sims = pairwise_cosine(ref["feat_mix"], ref["feat_w"]).numpy()
    np.testing.assert_allclose(sims, ref["mixdl_g_sims"], atol=1e-6)
    loss = KL_WT * float(distance_kl(ref["alpha"], sims))
    assert loss == pytest.approx(float(ref["mixdl_g_loss"]), rel=1e-4)


def test_mixdl_generator_distance_random_layer_per_row(ref):
    sims = rows_per_layer(ref, "mixdl_feat_mix", "mixdl_feat_w", ref["mixdl_feat_ind"])
    np.testing.assert_allclose(sims, ref["mixdl_g_sims_layers"], atol=1e-6)
    loss = KL_WT * float(distance_kl(ref["alpha"], sims))
    assert loss == pytest.approx(float(ref["mixdl_g_loss_layers"]), rel=1e-4)


def test_mixdl_discriminator_distance(ref):
    # Rows are the mixed samples, columns the anchors; d_kl_wt = 1.
    sims = pairwise_cosine(ref["pre_out_mix"], ref["pre_out_anchor"]).numpy()
    np.testing.assert_allclose(sims, ref["mixdl_d_sims"], atol=1e-6)
    loss = float(distance_kl(ref["alpha"], sims))
    assert loss == pytest.approx(float(ref["mixdl_d_loss"]), rel=1e-4)


def test_cdc_distance_consistency(ref):
    src = rows_per_layer(ref, "cdc_src_feat", "cdc_src_feat", ref["cdc_feat_ind"])
    tgt = rows_per_layer(ref, "cdc_tgt_feat", "cdc_tgt_feat", ref["cdc_feat_ind"])
    off = ~np.eye(4, dtype=bool)
    np.testing.assert_allclose(src[off].reshape(4, 3), ref["cdc_src_sim"], atol=1e-6)
    np.testing.assert_allclose(tgt[off].reshape(4, 3), ref["cdc_tgt_sim"], atol=1e-6)
    loss = KL_WT * float(distance_kl(src, tgt, exclude_self=True))
    assert loss == pytest.approx(float(ref["cdc_loss"]), rel=1e-4)
