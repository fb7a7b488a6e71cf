"""Named metrics end to end with tiny stand-in feature networks, checked against the metric math
applied to features computed independently; the real-statistics cache; quantisation; the
few-shot set metrics (LPIPS and pixel) and a separate full real set (--metric_data)."""

import itertools
import statistics

import json

import numpy as np
import pytest
import tensorflow as tf

from tfgan_fs.data import DatasetError, open_dataset
from tfgan_fs.images import to_uint8_tensor
from tfgan_fs.metrics import (Detectors, MetricContext, MissingWeightsError, calc_metric,
                              frechet_distance, inception_score, kid, mean_pairwise_distance,
                              parse_metric, precision_recall, report_metric, softmax)
from tfgan_fs.metrics import feature_stats as fs
from tfgan_fs.metrics.detectors import require_networks
from tfgan_fs.metrics.metric_main import open_metric_data
from tfgan_fs.metrics.names import network_of, parse_metric_list
from tfgan_fs.metrics.stats_cache import StatsCache
from tfgan_fs.networks import Generator

DATA = "builtin:shapes?resolution=16&count=64"
PROJ = np.random.RandomState(0).randn(48, 8).astype(np.float32)
LOGIT_PROJ = np.random.RandomState(1).randn(8, 5).astype(np.float32)


def tiny_features(images_uint8):
    """4x4 average pooling of the pixels, projected to 8 dims (a stand-in feature network)."""
    x = tf.nn.avg_pool2d(tf.cast(images_uint8, tf.float32) / 255, 4, 4, "VALID")
    return tf.matmul(tf.reshape(x, [tf.shape(x)[0], 48]), PROJ)


class TinyInception:
    cache_key = "tiny-inception-v1"
    has_logits = True

    def __call__(self, images):
        f = tiny_features(images)
        return {"pool_3": f, "logits": tf.matmul(f, LOGIT_PROJ)}


class TinyVGG:
    cache_key = "tiny-vgg-v1"

    def __call__(self, images):
        return tiny_features(images)


def tiny_lpips(a, b):
    return tf.reduce_mean(tf.square(a - b), axis=[1, 2, 3])


@pytest.fixture(scope="module")
def setup():
    G = Generator(16, 0, 16, 16, 3, mapping_kwargs=dict(num_layers=1),
                  synthesis_kwargs=dict(channel_base=64, channel_max=8))
    data = open_dataset(DATA)
    return G, data


def context(data, cache=None, data_spec=DATA, **kwargs):
    detectors = Detectors(inception=TinyInception(), vgg16=TinyVGG(), lpips=tiny_lpips)
    return MetricContext(data=data, data_spec=data_spec, detectors=detectors,
                         cache=cache or StatsCache(None), batch_size=32, seed=7, **kwargs)


def test_metric_names():
    spec = parse_metric("fid50k_full")
    assert (spec.kind, spec.num_gen, spec.max_real) == ("fid", 50000, None)
    assert parse_metric("fid10k").max_real == 10000
    assert parse_metric("kid50k_full").max_real == 1000000
    pr = parse_metric("pr50k3_full")
    assert (pr.kind, pr.nhood_size, pr.max_real) == ("pr", 3, 200000)
    assert parse_metric("is50k").kind == "is"
    ppl = parse_metric("ppl2_wend")
    assert (ppl.space, ppl.sampling, ppl.crop, ppl.num_gen) == ("w", "end", False, 50000)
    assert parse_metric("ppl_zfull").crop and parse_metric("ppl2_wend1000").num_gen == 1000
    assert parse_metric("lpips_div").num_gen == 100 and parse_metric("intra_lpips").num_gen == 1000
    assert parse_metric("lpips_div20").num_gen == 20
    for name, kind, distance, num_gen, runs, network in [
            ("lpips_div", "div", "lpips", 100, 5, "lpips"),
            ("pix_div20", "div", "pix", 20, 5, None),
            ("nn_lpips", "nn", "lpips", 1000, 1, "lpips"), ("nn_pix50", "nn", "pix", 50, 1, None),
            ("intra_lpips", "intra", "lpips", 1000, 1, "lpips"),
            ("intra_pix30", "intra", "pix", 30, 1, None)]:
        spec = parse_metric(name)
        assert (spec.kind, spec.distance, spec.num_gen, spec.num_runs) == (
            kind, distance, num_gen, runs), name
        assert network_of(spec) == network
    assert network_of(parse_metric("fid5k")) == "inception"
    for bad in ("nn_lpips1", "pix_div1", "nn_alex", "pix_intra"):
        with pytest.raises(ValueError):
            parse_metric(bad)
    assert parse_metric_list("none") == [] and len(parse_metric_list("fid5k, is5k")) == 2
    with pytest.raises(ValueError, match="unknown metric 'fid50'.*fid50k_full"):
        parse_metric("fid50")


def test_quantisation_matches_saved_images():
    x = tf.constant([-1.5, -1.0, 0.0, 0.99, 1.0, 2.0])
    # clip(x * 127.5 + 128, 0, 255), truncated: -1 -> 0.5 -> 0; 0.99 -> 254.2 -> 254.
    np.testing.assert_array_equal(to_uint8_tensor(x).numpy(), [0, 0, 128, 254, 255, 255])


def test_dataset_features_match_a_direct_computation(setup):
    _, data = setup
    stats = fs.dataset_features(data, tiny_features, max_items=50, batch_size=16,
                                capture_all=True, capture_mean_cov=True)
    images, _ = data.load_images(50)
    direct = tiny_features(images).numpy()
    np.testing.assert_allclose(stats.all(), direct, rtol=1e-5, atol=1e-6)
    mean, cov = stats.mean_cov()
    np.testing.assert_allclose(mean, direct.mean(0), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(cov, np.cov(direct, rowvar=False), rtol=1e-4, atol=1e-6)


def test_generated_samples_are_reproducible_and_consistent(setup):
    G, _ = setup
    a = fs.generate_images(G, 40, batch_size=16, seed=3)
    b = fs.generate_images(G, 40, batch_size=16, seed=3)
    c = fs.generate_images(G, 40, batch_size=16, seed=4)
    assert a.dtype == np.uint8 and a.shape == (40, 16, 16, 3)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    feats = fs.generator_features(G, tiny_features, 40, batch_size=16, seed=3, capture_all=True)
    np.testing.assert_allclose(feats.all(), tiny_features(a).numpy(), rtol=1e-5, atol=1e-6)


def test_inception_metrics_equal_the_math_on_independent_features(setup):
    G, data = setup
    ctx = context(data)
    fakes = tiny_features(fs.generate_images(G, 1000, batch_size=32, seed=7)).numpy()
    reals = tiny_features(data.load_images(64)[0]).numpy()
    fid = calc_metric("fid1k", G, ctx)
    assert fid["metric"] == "fid1k" and fid["num_replicas"] == 1
    expected = frechet_distance(fakes.mean(0), np.cov(fakes, rowvar=False), reals.mean(0),
                                np.cov(reals, rowvar=False))
    assert fid["results"]["fid1k"] == pytest.approx(expected, rel=1e-4)
    result = calc_metric("kid1k", G, ctx)["results"]["kid1k"]
    assert result == pytest.approx(kid(fakes, reals, seed=7), rel=1e-4, abs=1e-7)
    mean, std = inception_score(softmax(fakes @ LOGIT_PROJ))
    results = calc_metric("is1k", G, ctx)["results"]
    assert results["is1k_mean"] == pytest.approx(mean, rel=1e-4)
    assert results["is1k_std"] == pytest.approx(std, rel=1e-3, abs=1e-6)
    pr = calc_metric("pr1k3", G, ctx)["results"]
    # The metric computes the float32 features in other batches; a rounding difference could
    # move one probe across a ball's boundary, i.e. change a fraction by one probe (1/1000 of
    # the precision, 1/64 of the recall).
    precision, recall = precision_recall(reals, fakes, nhood_size=3)
    assert pr["pr1k3_precision"] == pytest.approx(precision, abs=1.5 / 1000)
    assert pr["pr1k3_recall"] == pytest.approx(recall, abs=1.5 / 64)


def _brute_pairwise(images):
    return np.mean([np.mean((images[i].astype(np.float64) - images[j]) ** 2)
                    for i, j in itertools.combinations(range(len(images)), 2)])


def test_lpips_metrics(setup):
    G, data = setup
    ctx = context(data, max_images=4)
    # tiny_lpips is the mean squared difference, computed here by brute force.
    images = fs.generate_images(G, 60, batch_size=32, seed=7).astype(np.float32) / 127.5 - 1
    runs = [_brute_pairwise(images[12 * r:12 * (r + 1)]) for r in range(5)]
    div = calc_metric("lpips_div12", G, ctx)["results"]
    assert set(div) == {"lpips_div12", "lpips_div12_std"}
    assert div["lpips_div12"] == pytest.approx(statistics.mean(runs), rel=1e-5)
    assert div["lpips_div12_std"] == pytest.approx(statistics.stdev(runs), rel=1e-4)
    assert runs[0] == pytest.approx(mean_pairwise_distance(images[:12], tiny_lpips), rel=1e-5)

    samples = images[:40]
    centers = data.load_images(4)[0].astype(np.float64) / 127.5 - 1
    dist = np.array([[np.mean((s - c) ** 2) for c in centers] for s in samples])
    nn = calc_metric("nn_lpips40", G, ctx)["results"]
    assert nn == {"nn_lpips40": pytest.approx(dist.min(axis=1).mean(), rel=1e-5)}
    # Intra-cluster: 40 samples, so no cluster is subsampled (at most 50 members).
    per_cluster = [_brute_pairwise(samples[dist.argmin(axis=1) == k]) for k in range(4)
                   if np.sum(dist.argmin(axis=1) == k) >= 2]
    intra = calc_metric("intra_lpips40", G, ctx)["results"]
    assert intra["intra_lpips40"] == pytest.approx(np.mean(per_cluster), rel=1e-5)
    if len(per_cluster) >= 2:
        assert intra["intra_lpips40_std"] == pytest.approx(statistics.stdev(per_cluster),
                                                           rel=1e-4)
    many = open_dataset("builtin:shapes?resolution=16&count=128")
    for name in ("intra_lpips40", "nn_lpips40"):
        with pytest.raises(ValueError, match="few-shot.*--max_images"):
            calc_metric(name, G, context(many))
    ppl = calc_metric("ppl2_wend200", G, ctx)["results"]["ppl2_wend200"]
    assert np.isfinite(ppl) and ppl >= 0


def test_pixel_metrics_need_no_network_and_equal_the_msd_stand_in(setup):
    G, data = setup
    ctx = context(data, max_images=4)
    ctx.detectors = Detectors(inception=None, vgg16=None, lpips=None)
    names = ["pix_div12", "nn_pix40", "intra_pix40"]
    require_networks(names, ctx.detectors)            # nothing to load
    with pytest.raises(MissingWeightsError, match="--lpips"):
        require_networks(["nn_lpips40"], ctx.detectors)
    # The pixel distance is the stand-in LPIPS (mean squared difference), in float64.
    with_lpips = context(data, max_images=4)
    for name in names:
        pix = calc_metric(name, G, ctx)["results"]
        lpips = calc_metric(name.replace("pix", "lpips"), G, with_lpips)["results"]
        assert list(pix) == [k.replace("lpips", "pix") for k in lpips]
        for key, value in lpips.items():
            assert pix[key.replace("lpips", "pix")] == pytest.approx(value, rel=1e-5)


def test_real_statistics_are_cached_and_invalidated(setup, tmp_path, monkeypatch):
    G, data = setup
    cache = StatsCache(tmp_path)
    first = calc_metric("fid1k", G, context(data, cache))["results"]["fid1k"]
    assert len(list(tmp_path.glob("*.npz"))) == 1

    def no_recompute(*args, **kwargs):
        raise AssertionError("real statistics recomputed despite a cache hit")

    monkeypatch.setattr(fs, "dataset_features", no_recompute)
    assert calc_metric("fid1k", G, context(data, cache))["results"]["fid1k"] == first
    # Another feature network, or other settings, must not reuse the entry.
    other = context(data, cache)
    other.detectors = Detectors(inception=type("Other", (TinyInception,),
                                               {"cache_key": "tiny-v2"})())
    with pytest.raises(AssertionError, match="recomputed"):
        calc_metric("fid1k", G, other)
    with pytest.raises(AssertionError, match="recomputed"):
        calc_metric("kid1k", G, context(data, cache))  # all features, not mean/cov


def test_metric_data_replaces_the_real_set_of_fid_kid_pr(setup, tmp_path, monkeypatch):
    G, data = setup
    full_spec = "builtin:shapes?resolution=16&count=96"
    full = open_dataset(full_spec)
    cache = StatsCache(tmp_path)
    ctx = context(data, cache, max_images=4, metric_data=full, metric_data_spec=full_spec)
    fid = calc_metric("fid1k_full", G, ctx)["results"]["fid1k_full"]
    fakes = tiny_features(fs.generate_images(G, 1000, batch_size=32, seed=7)).numpy()
    reals = tiny_features(full.load_images(96)[0]).numpy()
    assert fid == pytest.approx(frechet_distance(
        fakes.mean(0), np.cov(fakes, rowvar=False), reals.mean(0), np.cov(reals, rowvar=False)),
        rel=1e-4)
    # The few-shot metrics keep the run's training images.
    assert calc_metric("nn_pix40", G, ctx)["results"] == calc_metric(
        "nn_pix40", G, context(data, max_images=4))["results"]

    def no_recompute(*args, **kwargs):
        raise AssertionError("real statistics recomputed despite a cache hit")

    # The cache key is the real set's: the full set's statistics serve a run on the full set,
    # not the training data's.
    monkeypatch.setattr(fs, "dataset_features", no_recompute)
    assert calc_metric("fid1k_full", G, context(full, cache, full_spec))["results"][
        "fid1k_full"] == fid
    with pytest.raises(AssertionError, match="recomputed"):
        calc_metric("fid1k_full", G, context(data, cache))


def test_open_metric_data_errors_name_the_flag(setup):
    _, data = setup
    assert open_metric_data(None) is None
    with pytest.raises(DatasetError, match="--metric_data: .*/missing/babies"):
        open_metric_data("/missing/babies", data.info)
    with pytest.raises(DatasetError, match="--metric_data=.* 32x32x3 images.* 16x16x3"):
        open_metric_data("builtin:shapes?resolution=32&count=8", data.info)
    assert open_metric_data("builtin:shapes?resolution=16&count=8", data.info).info.count == 8


def test_report_metric_appends_json_lines(tmp_path):
    result = {"results": {"fid50k_full": 3.5}, "metric": "fid50k_full", "total_time": 1.0}
    report_metric(result, run_dir=tmp_path, network="run/ckpt")
    report_metric(result, run_dir=tmp_path, network="run/ckpt")
    lines = (tmp_path / "metric-fid50k_full.jsonl").read_text().splitlines()
    assert len(lines) == 2 and json.loads(lines[0])["results"]["fid50k_full"] == 3.5


def test_missing_feature_network_is_named():
    with pytest.raises(MissingWeightsError, match="--inception"):
        Detectors(inception=None).require("inception", "fid50k_full")
    with pytest.raises(MissingWeightsError, match="/nope.pb"):
        Detectors(inception="/nope.pb").require("inception", "fid50k_full")


def test_ppl_is_zero_when_the_image_does_not_depend_on_w(setup):
    # With every style affine weight at zero, ws have no effect on the image: both ends of each
    # pair must then give identical images (they share their noise), so PPL is exactly 0.
    G, data = setup
    frozen = Generator.from_config(G.get_config())
    for v in frozen.weights:
        if "affine/weight" in v.path:
            v.assign(tf.zeros_like(v))
        if "noise_strength" in v.path:
            v.assign(tf.ones_like(v))  # the noise matters, w does not
    ppl = calc_metric("ppl2_wend100", frozen, context(data))["results"]["ppl2_wend100"]
    assert ppl == 0.0
    assert calc_metric("ppl2_wend100", G, context(data))["results"]["ppl2_wend100"] > 0


def test_hf_ratio_compares_samples_with_the_training_images(setup):
    G, data = setup
    ctx = context(data, max_images=10)
    ctx.detectors = Detectors(inception=None, vgg16=None, lpips=None)
    require_networks(["hf_ratio30"], ctx.detectors)  # needs no network
    result = calc_metric("hf_ratio30", G, ctx)["results"]["hf_ratio30"]
    samples = fs.generate_images(G, 30, batch_size=32, seed=7).astype(np.float64) / 127.5 - 1
    real = data.load_images(10)[0].astype(np.float64) / 127.5 - 1

    def energy(x):
        lap = (4 * x[:, 1:-1, 1:-1] - x[:, :-2, 1:-1] - x[:, 2:, 1:-1] - x[:, 1:-1, :-2]
               - x[:, 1:-1, 2:])
        return np.mean(lap ** 2)

    assert result == pytest.approx(energy(samples) / energy(real), rel=1e-6)
