"""The StarGAN v2 evaluation protocol (tfgan_fs.metrics.translation; clovaai/stargan-v2
`metrics/eval.py`) on the committed fixture networks with tiny stand-in feature networks,
checked against a NumPy re-implementation (tasks, 10 outputs per source image, the 45 pairs,
FID with scipy's sqrtm); the random draws; data errors; tools/calc_metrics.py end to end.

Tolerances: LPIPS rel 1e-4 and FID rel 1e-3 (float32 networks, batches of different sizes, and
a uint8 quantisation that a rounding difference can move by one level)."""

import itertools
import json
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest
import scipy.linalg
import tensorflow as tf
from net_fixtures import build_fid_graph_def, conv2d_np, random_lpips_arrays, write_npz
from PIL import Image

from tfgan_fs.data import DatasetError
from tfgan_fs.data.array_data import ArrayData
from tfgan_fs.data.dataset_info import DatasetInfo
from tfgan_fs.metrics import (Detectors, MetricContext, calc_metric, frechet_distance,
                              parse_metric_list)
from tfgan_fs.metrics.names import TRANSLATION_METRICS, is_translation_metric, network_of
from tfgan_fs.metrics.translation import (Task, calc_translation_metrics,
                                          check_translation_data, conditional_lpips,
                                          frechet_distance_to_features, latent_codes,
                                          reference_indices, task_metrics, translation_tasks)

# The stand-in Inception's ReLU leaves some feature dimensions at 0 for every image: scipy's
# sqrtm then warns that the covariance product is singular (its result is still accurate).
pytestmark = pytest.mark.filterwarnings("ignore::scipy.linalg.LinAlgWarning")

REPO = pathlib.Path(__file__).resolve().parents[2]
FIXTURE = REPO / "tests" / "stargan_v2" / "fixtures" / "nets_ema.ckpt"
DOMAINS = ("cat", "dog", "wild")
RES = 64
NUM_OUTS = 10
SEED = 5

# --------------------------------------------------------------------------------------------
# Stand-in feature networks (TensorFlow) and their NumPy twins.

_rng = np.random.RandomState(0)
INC_W = (_rng.randn(48, 6) * 0.8).astype(np.float32)
INC_B = (_rng.randn(6) * 0.1).astype(np.float32)
LP_K1 = (_rng.randn(3, 3, 3, 5) * 0.4).astype(np.float32)
LP_B1 = (0.4 + _rng.rand(5) * 0.2).astype(np.float32)  # keeps taps away from 0
LP_K2 = (_rng.randn(3, 3, 5, 4) * 0.3).astype(np.float32)
LP_B2 = (0.4 + _rng.rand(4) * 0.2).astype(np.float32)
LP_LIN = [(_rng.rand(5) * 0.5).astype(np.float32), (_rng.rand(4) * 0.5).astype(np.float32)]


class TinyInception:
    """uint8 [N, 64, 64, 3] -> 'pool_3' [N, 6]: 16x16 average pooling, a random dense + ReLU."""
    cache_key = None

    def __call__(self, images):
        x = tf.nn.avg_pool2d(tf.cast(images, tf.float32) / 255, 16, 16, "VALID")
        return {"pool_3": tf.nn.relu(tf.matmul(tf.reshape(x, [-1, 48]), INC_W) + INC_B)}


def inception_np(images):
    x = np.asarray(images, np.float64).reshape(-1, 4, 16, 4, 16, 3).mean(axis=(2, 4)) / 255
    return np.maximum(x.reshape(-1, 48) @ INC_W + INC_B, 0)


class TinyLPIPS:
    """LPIPS-shaped stand-in: two 3x3/2 convs + ReLU, unit-normalised taps, lin weights."""

    def _taps(self, x):
        taps = []
        for kernel, bias in ((LP_K1, LP_B1), (LP_K2, LP_B2)):
            x = tf.nn.relu(tf.nn.conv2d(tf.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]]), kernel, 2,
                                        "VALID") + bias)
            taps.append(x / (tf.sqrt(tf.reduce_sum(x * x, -1, keepdims=True)) + 1e-10))
        return taps

    def __call__(self, a, b):
        total = 0.0
        for fa, fb, lin in zip(self._taps(a), self._taps(b), LP_LIN):
            total += tf.reduce_mean(tf.reduce_sum(tf.square(fa - fb) * lin, -1), axis=[1, 2])
        return total


def lpips_taps_np(images):
    x, taps = np.asarray(images, np.float64), []
    for kernel, bias in ((LP_K1, LP_B1), (LP_K2, LP_B2)):
        x = np.maximum(conv2d_np(x, kernel, bias, 2, 1), 0)
        taps.append(x / (np.sqrt((x ** 2).sum(-1, keepdims=True)) + 1e-10))
    return taps


def lpips_from_taps_np(taps_a, taps_b):
    return sum(((fa - fb) ** 2 * lin).sum(-1).mean(axis=(-2, -1))
               for fa, fb, lin in zip(taps_a, taps_b, LP_LIN))


def fid_scipy(fake, real):
    """The reference's frechet_distance (scipy.linalg.sqrtm of the product)."""
    mu1, mu2 = fake.mean(0), real.mean(0)
    c1, c2 = np.cov(fake, rowvar=False), np.cov(real, rowvar=False)
    root = scipy.linalg.sqrtm(c1 @ c2)
    return float(np.real(((mu1 - mu2) ** 2).sum() + np.trace(c1 + c2 - 2 * root)))


# --------------------------------------------------------------------------------------------
# Data and networks.

def smooth_images(n, seed):
    """n smooth random uint8 images 64x64 (8x8 noise upsampled), varied in content."""
    rng = np.random.RandomState(seed)
    low = rng.rand(n, 8, 8, 3)
    return np.clip(np.kron(low, np.ones([1, 8, 8, 1])) * 255, 0, 255).astype(np.uint8)


def labeled_data(name, per_domain, seed, class_names=DOMAINS, resolution=RES):
    """ArrayData whose domains interleave (labels 0, 1, 2, 0, ...: not contiguous).

    `per_domain`: images per domain, an int or one count per domain.
    """
    counts = ([per_domain] * len(class_names) if isinstance(per_domain, int)
              else list(per_domain))
    labels = np.array([d for r in range(max(counts)) for d in range(len(counts))
                       if r < counts[d]])
    images = smooth_images(len(labels), seed)
    if resolution != RES:
        images = images[:, :resolution, :resolution]
    info = DatasetInfo(name=name, resolution=resolution, channels=3, count=len(labels),
                       num_classes=len(class_names), class_names=class_names,
                       label_counts=tuple(counts))
    return ArrayData(info, images, labels)


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    """A StarGAN v2 run dir converted from the committed fixture checkpoint."""
    from tfgan_fs.convert import stargan_v2 as conv
    run = tmp_path_factory.mktemp("stargan") / "run"
    conv.write_run_dir(conv.convert_checkpoint(str(FIXTURE)), run)
    return run


@pytest.fixture(scope="module")
def translator(run_dir):
    from tfgan_fs.translation.translator import load_translator
    return load_translator(run_dir)


@pytest.fixture(scope="module")
def data():
    # Validation: 3 cats (in chunks of 2, the last one padded), 2 dogs, 2 wild.
    return labeled_data("train", 12, seed=1), labeled_data("val", (3, 2, 2), seed=2)


# --------------------------------------------------------------------------------------------
# The protocol's pieces.

def test_tasks_are_all_ordered_pairs_in_the_reference_order():
    tasks = translation_tasks(DOMAINS)
    assert {(t.src, t.trg) for t in tasks} == set(itertools.permutations(range(3), 2))
    assert len(tasks) == 6
    # Target domains outer, sources inner; '{src}2{trg}'.
    assert [t.name for t in tasks] == ["dog2cat", "wild2cat", "cat2dog", "wild2dog",
                                       "cat2wild", "dog2wild"]
    assert len(translation_tasks(["a", "b"])) == 2
    with pytest.raises(ValueError, match="at least 2 domains"):
        translation_tasks(["a"])


def test_conditional_lpips_is_the_mean_over_the_45_pairs():
    outputs = list(np.random.RandomState(3).randn(NUM_OUTS, 5, 4, 4, 3))
    calls = []

    def msd(a, b):
        calls.append(1)
        return ((a - b) ** 2).mean(axis=(1, 2, 3))

    got = conditional_lpips(msd, outputs)
    pairs = list(itertools.combinations(range(NUM_OUTS), 2))
    assert len(calls) == len(pairs) == 45
    want = np.mean([((outputs[i] - outputs[j]) ** 2).mean(axis=(1, 2, 3)) for i, j in pairs],
                   axis=0)
    np.testing.assert_allclose(got, want, rtol=1e-12)
    assert got.shape == (5,)
    with pytest.raises(ValueError, match="at least 2 outputs"):
        conditional_lpips(msd, outputs[:1])


def test_latent_codes_are_per_image_and_output_and_seeded():
    task = Task(0, 2, "cat2wild")
    z = latent_codes(SEED, task, 4, NUM_OUTS, 8)
    assert z.shape == (4, NUM_OUTS, 8) and z.dtype == np.float32
    # One z per source image and output: not shared across the batch nor across the outputs.
    flat = z.reshape(-1, 8)
    assert len(np.unique(flat, axis=0)) == 40
    np.testing.assert_array_equal(z, latent_codes(SEED, task, 4, NUM_OUTS, 8))
    assert not np.allclose(z, latent_codes(SEED + 1, task, 4, NUM_OUTS, 8))
    assert not np.allclose(z, latent_codes(SEED, Task(1, 2, "dog2wild"), 4, NUM_OUTS, 8))
    assert abs(float(flat.mean())) < 0.5 and 0.6 < float(flat.std()) < 1.4
    with pytest.raises(ValueError, match="seed"):
        latent_codes(-1, task, 4, NUM_OUTS, 8)


def test_reference_draws_stream_over_the_target_images():
    counts, num_refs = [4, 7], 9
    drawn = reference_indices(SEED, 1, counts, num_refs, NUM_OUTS)
    assert [d.shape for d in drawn] == [(4, NUM_OUTS), (7, NUM_OUTS)]
    stream = np.concatenate([d.reshape(-1) for d in drawn])
    assert stream.min() >= 0 and stream.max() < num_refs
    # Consecutive passes are permutations: every target image is used equally often per pass.
    full = len(stream) // num_refs
    for p in range(full):
        assert sorted(stream[p * num_refs:(p + 1) * num_refs]) == list(range(num_refs))
    uses = np.bincount(stream, minlength=num_refs)
    assert uses.max() - uses.min() <= 1
    # With more target images than outputs, a source image's references are mostly distinct.
    many = reference_indices(SEED, 0, [6], 500, NUM_OUTS)[0]
    assert all(len(set(row)) == NUM_OUTS for row in many)
    for a, b in zip(drawn, reference_indices(SEED, 1, counts, num_refs, NUM_OUTS)):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(stream, np.concatenate(
        [d.reshape(-1) for d in reference_indices(SEED, 2, counts, num_refs, NUM_OUTS)]))


def test_fid_from_few_features_equals_the_full_computation():
    rng = np.random.RandomState(6)
    real = rng.randn(80, 64) @ rng.randn(64, 64) * 0.3
    mu2, sigma2 = real.mean(0), np.cov(real, rowvar=False)
    for n in (2, 20, 64, 100):  # n <= D: the n x n path; n > D: frechet_distance
        fake = rng.randn(n, 64) * 0.7 + 0.2
        want = frechet_distance(fake.mean(0), np.cov(fake, rowvar=False), mu2, sigma2)
        assert frechet_distance_to_features(fake, mu2, sigma2) == pytest.approx(want, rel=1e-6)
        if n >= 20:
            assert fid_scipy(fake, real) == pytest.approx(want, rel=1e-6)


def test_task_loop_equals_numpy_and_does_not_depend_on_the_batch_size():
    rng = np.random.RandomState(4)
    all_outputs = rng.rand(7, NUM_OUTS, 64, 64, 3) * 2 - 1  # [source, output, ...]
    real = rng.rand(30, 64, 64, 3) * 255
    real_f = inception_np(real)
    real_mean_cov = (real_f.mean(0), np.cov(real_f, rowvar=False))

    def feature_fn(x):
        return inception_np(np.clip(np.asarray(x) * 127.5 + 128, 0, 255).astype(np.uint8))

    def distance_fn(a, b):
        return lpips_from_taps_np(lpips_taps_np(a), lpips_taps_np(b))

    results = [task_metrics(lambda start, stop, k: all_outputs[start:stop, k], 7, NUM_OUTS,
                            batch, feature_fn, distance_fn, real_mean_cov)
               for batch in (3, 7, 100)]
    fake_f = feature_fn(all_outputs.reshape(-1, 64, 64, 3))
    want_fid = fid_scipy(fake_f, real_f)
    taps = lpips_taps_np(all_outputs.reshape(-1, 64, 64, 3))
    taps = [t.reshape((7, NUM_OUTS) + t.shape[1:]) for t in taps]
    per_source = np.mean([lpips_from_taps_np([t[:, i] for t in taps], [t[:, j] for t in taps])
                          for i, j in itertools.combinations(range(NUM_OUTS), 2)], axis=0)
    for out in results:
        assert out["fid"] == pytest.approx(want_fid, rel=1e-6)
        np.testing.assert_allclose(out["lpips_per_source"], per_source, rtol=1e-9)
        assert out["lpips"] == pytest.approx(per_source.mean(), rel=1e-9)


# --------------------------------------------------------------------------------------------
# The protocol end to end against a NumPy re-implementation.

def protocol_np(translator, train, val, mode, seed):
    """{task: (fid, lpips)}: the protocol written out directly (eager, whole tasks at once)."""
    val_x, val_y = val.load_images(val.info.count)
    train_x, train_y = train.load_images(train.info.count)
    out = {}
    for trg in range(3):
        srcs = [s for s in range(3) if s != trg]
        refs = reference_indices(seed, trg, [int(np.sum(val_y == s)) for s in srcs],
                                 int(np.sum(val_y == trg)), NUM_OUTS)
        for src, ref_index in zip(srcs, refs):
            name = f"{DOMAINS[src]}2{DOMAINS[trg]}"
            sources = val_x[val_y == src]
            n = len(sources)
            y = tf.fill([n * NUM_OUTS], trg)
            if mode == "latent":
                z = latent_codes(seed, Task(src, trg, name), n, NUM_OUTS, 8)
                s = translator.style_latent(z.reshape(-1, 8), y)
            else:
                x_ref = val_x[val_y == trg][ref_index.reshape(-1)]
                s = translator.style_reference(x_ref.astype(np.float32) / 127.5 - 1, y)
            x = np.repeat(sources, NUM_OUTS, axis=0).astype(np.float32) / 127.5 - 1
            fake = translator.translate(x, s).numpy().astype(np.float64)  # [n * 10, ...]
            taps = [t.reshape((n, NUM_OUTS) + t.shape[1:]) for t in lpips_taps_np(fake)]
            per_source = np.mean(
                [lpips_from_taps_np([t[:, i] for t in taps], [t[:, j] for t in taps])
                 for i, j in itertools.combinations(range(NUM_OUTS), 2)], axis=0)
            saved = np.clip(fake * 127.5 + 128, 0, 255).astype(np.uint8)
            fid = fid_scipy(inception_np(saved), inception_np(train_x[train_y == trg]))
            out[name] = (fid, float(per_source.mean()))
    return out


def test_protocol_equals_a_numpy_reimplementation(translator, data):
    train, val = data
    detectors = Detectors(inception=TinyInception(), lpips=TinyLPIPS())
    lines = []
    result = calc_translation_metrics(translator, list(TRANSLATION_METRICS), train, val,
                                      detectors, seed=SEED, batch_size=2, log=lines.append)
    tasks = [t.name for t in translation_tasks(DOMAINS)]
    assert result["tasks"] == tasks
    res = result["results"]
    assert set(res) == {f"{m}{suffix}" for m in TRANSLATION_METRICS
                        for suffix in [""] + [f"/{t}" for t in tasks]}
    for mode in ("latent", "reference"):
        want = protocol_np(translator, train, val, mode, SEED)
        for task, (fid, lpips) in want.items():
            assert res[f"fid_{mode}/{task}"] == pytest.approx(fid, rel=1e-3), (mode, task)
            assert res[f"lpips_{mode}/{task}"] == pytest.approx(lpips, rel=1e-4), (mode, task)
        assert res[f"fid_{mode}"] == pytest.approx(np.mean([v[0] for v in want.values()]),
                                                   rel=1e-3)
        assert res[f"lpips_{mode}"] == pytest.approx(np.mean([v[1] for v in want.values()]),
                                                     rel=1e-4)
    # The two modes differ (different style codes), and every value is a real number.
    assert res["lpips_latent"] != pytest.approx(res["lpips_reference"], rel=1e-3)
    assert all(np.isfinite(v) and v > 0 for v in res.values())
    # Progress: one line per task and mode.
    assert len(lines) == 12 and lines[0].startswith("latent 1/6 dog2cat: 2 source images x 10")
    # One calc_metric-shaped result per metric, for report_metric.
    per = {r["metric"]: r for r in result["per_metric"]}
    assert list(per) == list(TRANSLATION_METRICS)
    assert set(per["lpips_reference"]["results"]) == {"lpips_reference"} | {
        f"lpips_reference/{t}" for t in tasks}
    assert {"total_time", "total_time_str", "num_replicas"} <= set(per["fid_latent"])


class ReferenceProbe:
    """A stand-in translator whose output is a flat image of the reference's mean pixel, so the
    references actually used can be read back from the outputs."""
    num_domains, latent_dim, img_size = 3, 8, RES

    def style_latent(self, z, y):
        return z[:, :1]

    def style_reference(self, x_ref, y):
        return tf.reduce_mean(x_ref, axis=[1, 2, 3])[:, None]

    def translate(self, x, s):
        return tf.zeros_like(x) + s[:, None, None, :]


def test_reference_mode_draws_references_from_the_target_domain_only():
    val = labeled_data("val", 2, seed=2)
    # Validation image i is flat with value 10 * i + 3 (unique per image, any domain).
    n = val.info.count
    values = 10 * np.arange(n) + 3
    images = np.broadcast_to(values[:, None, None, None], (n, RES, RES, 3)).astype(np.uint8)
    labels = np.arange(n) % 3
    probe_val = ArrayData(val.info, images, labels)
    seen = {}

    def record(a, b):
        # Outputs carry the reference's pixel value; collect them per (task, output pair).
        va = np.round((np.asarray(a)[:, 0, 0, 0] + 1) * 127.5).astype(int)
        vb = np.round((np.asarray(b)[:, 0, 0, 0] + 1) * 127.5).astype(int)
        seen.setdefault("values", []).append(np.concatenate([va, vb]))
        return np.abs(va - vb).astype(np.float64)

    class Recorder:  # the distance runs eagerly through a py_function so that it can record
        def __call__(self, a, b):
            return tf.py_function(record, [a, b], tf.float64)

    # Called as the training loop does, with its MetricContext (metric_data: the --val_data).
    ctx = MetricContext(data=None, data_spec=None, detectors=Detectors(lpips=Recorder()),
                        batch_size=2, seed=SEED, metric_data=probe_val)
    result = calc_translation_metrics(ReferenceProbe(), ["lpips_reference"], ctx, log=None)
    assert result["metric"] == "lpips_reference"
    # Tasks run in translation_tasks order, one chunk (2 sources) of 45 pairs each; LPIPS alone
    # needs no training data.
    tasks = translation_tasks(DOMAINS)
    chunks = np.split(np.array(seen["values"], dtype=object), len(tasks))
    for task, calls in zip(tasks, chunks):
        used = set(np.concatenate(list(calls)).tolist())
        target_values = set(values[labels == task.trg].tolist())
        assert used <= target_values, task.name  # never a source- or third-domain image
    # And exactly the drawn ones: source image 0 of dog2cat (task 0) uses the first 10 draws.
    # Its first chunk's calls are the pairs (0, 1), (0, 2), ..., each recording 2 + 2 values.
    first = reference_indices(SEED, 0, [2, 2], 2, NUM_OUTS)[0][0]
    want = values[labels == 0][first]
    got = [chunks[0][0][0]] + [chunks[0][k][2] for k in range(NUM_OUTS - 1)]
    assert got == want.tolist()


# --------------------------------------------------------------------------------------------
# Names, errors.

def test_metric_names_and_their_networks():
    specs = parse_metric_list(",".join(TRANSLATION_METRICS))
    assert [s.name for s in specs] == list(TRANSLATION_METRICS)
    assert [(s.kind, s.mode) for s in specs] == [
        ("fid_translation", "latent"), ("lpips_translation", "latent"),
        ("fid_translation", "reference"), ("lpips_translation", "reference")]
    assert [network_of(s) for s in specs] == ["inception", "lpips", "inception", "lpips"]
    assert all(is_translation_metric(s) for s in specs)
    assert not is_translation_metric(parse_metric_list("fid50k_full")[0])
    with pytest.raises(ValueError, match="StarGAN v2 translation metric.*--val_data"):
        calc_metric("fid_latent", None, None)


def test_data_and_network_errors_are_clear(translator, data):
    train, val = data
    detectors = Detectors(inception=TinyInception(), lpips=TinyLPIPS())
    with pytest.raises(DatasetError, match="--val_data is required"):
        calc_translation_metrics(translator, "fid_latent", train, None, detectors)
    renamed = labeled_data("val2", 2, seed=2, class_names=("cat", "dog", "fox"))
    with pytest.raises(DatasetError, match=r"--val_data val2 has domains \['cat', 'dog', 'fox'\]"):
        check_translation_data(translator, train, renamed)
    two = labeled_data("val3", 2, seed=2, class_names=("cat", "dog"))
    with pytest.raises(DatasetError, match="--val_data val3 has 2 domains.*network 3"):
        check_translation_data(translator, train, two)
    small = labeled_data("train32", 2, seed=2, resolution=32)
    with pytest.raises(DatasetError, match="--data train32 has 32x32x3 images.*64x64x3"):
        check_translation_data(translator, small, val)
    with pytest.raises(ValueError, match="fid50k_full"):
        calc_translation_metrics(translator, "fid50k_full", train, val, detectors)
    with pytest.raises(ValueError, match="num_outs"):
        calc_translation_metrics(translator, "lpips_latent", None, val, detectors, num_outs=1)

    class VGGLike(TinyLPIPS):
        net = "vgg"

    with pytest.raises(ValueError, match="'vgg' variant.*AlexNet"):
        calc_translation_metrics(translator, "lpips_latent", None, val,
                                 Detectors(lpips=VGGLike()))


# --------------------------------------------------------------------------------------------
# tools/calc_metrics.py.

ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}


def run_calc(args):
    return subprocess.run([sys.executable, str(REPO / "tools" / "calc_metrics.py")] + args,
                          env=ENV, capture_output=True, text=True, timeout=300)


def write_domain_folders(root, per_domain, seed):
    """A plain image folder with one sub-folder per domain (as afhq/train/{cat,dog,wild})."""
    for i, image in enumerate(smooth_images(per_domain * 3, seed)):
        folder = root / DOMAINS[i % 3]
        folder.mkdir(parents=True, exist_ok=True)
        Image.fromarray(image).save(folder / f"{i:03d}.png")
    return str(root)


def test_calc_metrics_on_a_stargan_v2_run(run_dir, tmp_path):
    run = run_dir
    graph, _ = build_fid_graph_def()
    (tmp_path / "classify_image_graph_def.pb").write_bytes(graph)
    alex = write_npz(tmp_path / "lpips_alex.npz", random_lpips_arrays("alex"))
    nets = [f"--inception={tmp_path / 'classify_image_graph_def.pb'}", f"--lpips={alex}"]

    # Without --metrics a StarGAN v2 run gets the four protocol metrics; they need --val_data.
    missing = run_calc([f"--network={run}", "--data=unused"] + nets)
    assert missing.returncode == 1
    assert ("error: --val_data is required for fid_latent, lpips_latent, fid_reference, "
            "lpips_reference") in missing.stderr

    train = write_domain_folders(tmp_path / "train", 3, seed=1)
    val = write_domain_folders(tmp_path / "val", 2, seed=2)
    calc = run_calc([f"--network={run}", f"--data={train}", f"--val_data={val}", "--batch=2",
                     f"--metrics={','.join(TRANSLATION_METRICS)}",
                     f"--cache_dir={tmp_path / 'cache'}"] + nets)
    assert calc.returncode == 0, calc.stderr
    results = [json.loads(line) for line in calc.stdout.splitlines() if line.startswith("{")]
    assert [r["metric"] for r in results] == list(TRANSLATION_METRICS)
    assert "latent 6/6 dog2wild: 2 source images x 10 outputs" in calc.stdout
    for r in results:
        name = r["metric"]
        assert set(r["results"]) == {name} | {f"{name}/{t.name}"
                                              for t in translation_tasks(DOMAINS)}
        assert all(np.isfinite(v) and v > 0 for v in r["results"].values())
        lines = (run / f"metric-{name}.jsonl").read_text().splitlines()
        assert len(lines) == 1 and json.loads(lines[0])["results"] == r["results"]
    # The training images' per-domain statistics were cached.
    assert len(list((tmp_path / "cache").glob("*-inception-domains-*.npz"))) == 1

