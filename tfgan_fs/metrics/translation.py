"""The StarGAN v2 evaluation protocol: per-task FID and LPIPS of latent- and reference-guided
image-to-image translation (Choi et al., "StarGAN v2: Diverse Image Synthesis for Multiple
Domains", CVPR 2020, section 4 and appendix; clovaai/stargan-v2 `metrics/eval.py`).

For every ordered pair of domains (source, target), source != target -- a *task*, named
'{source}2{target}' after the domains' names (e.g. 'cat2dog') -- every validation image x of the
source domain is translated `num_outs` = 10 times into the target domain, G(x, s) with

* latent mode (`fid_latent`, `lpips_latent`): s = F_trg(z), one z ~ N(0, I) per source image
  and output (the reference draws a fresh `randn(N, latent_dim)` for each of the 10 outputs of a
  batch, so z is shared neither across the batch nor across the outputs);
* reference mode (`fid_reference`, `lpips_reference`): s = E_trg(x_ref), x_ref drawn from the
  **target** domain's validation images (see `reference_indices`).

Then, per task:

* LPIPS: for each source image the mean LPIPS over the 45 pairs of its 10 outputs
  (`conditional_lpips`), averaged over the source images. LPIPS is the AlexNet variant (the
  reference's `metrics/lpips.py`: torchvision AlexNet + its `lpips_weights.ckpt`) on the raw
  generator outputs (not quantised), as the reference computes it before saving the images.
* FID: Fréchet distance between the Inception pool features of the target domain's
  **training** images and of all the task's generated images, quantised to uint8 as saved images
  (the reference saves PNGs and reads them back).

`fid_<mode>` and `lpips_<mode>` are the means over the tasks; the per-task values are reported
under '<metric>/<task>' (the reference's 'FID_latent/cat2dog' etc.).

Differences from the reference, all deliberate:

* FID uses this package's FID Inception network (`metrics.inception`, the TF FID graph that
  reproduces published StyleGAN FIDs): uint8 images at the network's resolution, resized to
  299x299 inside the graph. The reference uses torchvision's Inception-v3 with images resized to
  256 and then 299 and ImageNet normalisation, so absolute FIDs differ somewhat from the paper's
  (compare runs evaluated here with each other; see README "StarGAN v2 evaluation").
* The reference averages LPIPS over batches of `val_batch_size` source images (a partial last
  batch weighs as much as a full one); here it is the mean over source images, which does not
  depend on the batch size.
* Random draws (z, the order of the references) come from `seed` with NumPy's PCG64, so they do
  not depend on the batch size or the device; they are not the reference's torch draws. The
  paper reports the mean of 10 evaluations with different seeds.
* LPIPS normalises features as f / (sqrt(sum f^2) + 1e-10) (the `lpips` package) instead of the
  reference's f * rsqrt(sum f^2 + 1e-10) (equal up to ~1e-10 relative).

One module (~560 lines, a tenth of them this description): the protocol's draws, its per-task
loop, the real statistics' cache and the checks of the data are one procedure, as the
reference's `metrics/eval.py`.
"""

import dataclasses
import time

import numpy as np
import tensorflow as tf
import tqdm

from tfgan_fs import images as image_io
from tfgan_fs.data import DatasetError
from tfgan_fs.data.domain_pairs import domain_names
from tfgan_fs.metrics import feature_stats as fs
from tfgan_fs.metrics.frechet import frechet_distance
from tfgan_fs.metrics.names import (NUM_OUTS_PER_DOMAIN, TRANSLATION_METRICS,
                                    TRANSLATION_MODES, is_translation_metric, parse_metric)
from tfgan_fs.metrics.stats_cache import StatsCache, file_fingerprint
from tfgan_fs.translation.grids import compiled

_LATENT_TAG = 0x7A  # 'z': stream of the latent codes
_REFERENCE_TAG = 0x72  # 'r': stream of the reference images
DEFAULT_BATCH = 32  # clovaai/stargan-v2 main.py --val_batch_size


@dataclasses.dataclass(frozen=True)
class Task:
    """One translation task: source domain `src` -> target domain `trg` (indices), its name."""
    src: int
    trg: int
    name: str


def translation_tasks(domain_names):
    """All ordered (source, target) pairs with source != target, in the reference's order.

    The reference loops over target domains (outer) and the other domains as sources (inner),
    and names a task '{source}2{target}'.

    Args:
        domain_names: The domains' names in label order (e.g. ('cat', 'dog', 'wild')).

    Returns:
        list of Task, len(domain_names) * (len(domain_names) - 1) of them.
    """
    names = [str(n) for n in domain_names]
    if len(names) < 2:
        raise ValueError(f"translation needs at least 2 domains, got {names}")
    return [Task(src, trg, f"{names[src]}2{names[trg]}")
            for trg in range(len(names)) for src in range(len(names)) if src != trg]


def conditional_lpips(distance_fn, outputs):
    """Per source image, the mean distance over all pairs of its outputs.

    With 10 outputs this is the mean over their 45 pairs (i < j), the reference's
    `calculate_lpips_given_images` (there averaged over the batch too).

    Args:
        distance_fn: (images [N, ...], images [N, ...]) -> distances [N] (e.g. LPIPS-Alex).
        outputs: Sequence of K >= 2 arrays or tensors [N, H, W, C]: output k of each of N
            source images.

    Returns:
        float64 numpy [N].
    """
    if len(outputs) < 2:
        raise ValueError(f"conditional LPIPS needs at least 2 outputs per image, got "
                         f"{len(outputs)}")
    total, pairs = 0.0, 0
    for i in range(len(outputs) - 1):
        for j in range(i + 1, len(outputs)):
            total = total + np.asarray(distance_fn(outputs[i], outputs[j]), np.float64)
            pairs += 1
    return np.asarray(total / pairs, np.float64).reshape([-1])


def _check_seed(seed):
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    return int(seed)


def latent_codes(seed, task, num_sources, num_outs, latent_dim):
    """The z of each (source image, output) of a latent-mode task.

    One independent N(0, I) vector per source image and output, as the reference (a fresh
    `torch.randn(N, latent_dim)` per output). Drawn from (seed, target, source) with NumPy's
    PCG64, so the codes do not depend on the batch size or the device.

    Returns:
        float32 numpy [num_sources, num_outs, latent_dim].
    """
    rng = np.random.default_rng([_check_seed(seed), _LATENT_TAG, task.trg, task.src])
    return rng.standard_normal([num_sources, num_outs, latent_dim]).astype(np.float32)


def reference_indices(seed, trg, source_counts, num_refs, num_outs):
    """Which target-domain validation image is the reference of each (source image, output).

    The reference iterates one shuffled loader of the target domain's validation images for all
    the source domains of that target, taking the next batch for each output and restarting
    (reshuffled) when it runs out. Here, likewise, the references of all tasks with target `trg`
    are consecutive positions of one stream of random permutations of the target's `num_refs`
    images (a new permutation per pass), in the order: task (as `translation_tasks`), source
    image, output. So every target image is used about equally often, and the `num_outs`
    references of one source image are distinct unless they straddle two passes (as in the
    reference). Drawn from (seed, trg) only: independent of the batch size.

    Args:
        seed: Non-negative integer.
        trg: The target domain's index.
        source_counts: Number of source images of each task with this target, in task order.
        num_refs: Number of the target domain's validation images (>= 1).
        num_outs: Outputs per source image.

    Returns:
        list of int64 numpy [count, num_outs], one per entry of `source_counts`, indices into
        the target domain's validation images (in dataset order).
    """
    if num_refs < 1:
        raise ValueError("reference-guided translation needs at least one validation image of "
                         "the target domain")
    rng = np.random.default_rng([_check_seed(seed), _REFERENCE_TAG, int(trg)])
    total = int(sum(source_counts)) * num_outs
    passes = -(-total // num_refs)
    stream = np.concatenate([rng.permutation(num_refs) for _ in range(passes)] or
                            [np.zeros([0], np.int64)]).astype(np.int64)
    out, start = [], 0
    for count in source_counts:
        out.append(stream[start:start + count * num_outs].reshape([count, num_outs]))
        start += count * num_outs
    return out


def frechet_distance_to_features(features, mu2, sigma2):
    """Fréchet distance between the Gaussian fitted to `features` and (mu2, sigma2).

    Equal to `frechet_distance(mean, cov(features), mu2, sigma2)`. With fewer feature vectors n
    than dimensions D (small validation sets: n = source images x 10 < 2048) it avoids the
    O(D^3) eigendecompositions: with A the centred features, cov = A^T A / (n - 1), and the
    non-zero eigenvalues of cov sigma2 (those of cov^(1/2) sigma2 cov^(1/2), whose square roots
    sum to the trace term) are the eigenvalues of the n x n matrix A sigma2 A^T / (n - 1).

    Args:
        features: [n >= 2, D].
        mu2, sigma2: Mean [D] and covariance [D, D] of the other set.

    Returns:
        float.
    """
    features = np.asarray(features, np.float64)
    n, dim = features.shape
    if n < 2:
        raise ValueError(f"FID needs at least 2 feature vectors, got {n}")
    mu1 = features.mean(axis=0)
    if n > dim:
        return frechet_distance(mu1, np.cov(features, rowvar=False), mu2, sigma2)
    sigma2 = np.asarray(sigma2, np.float64)
    centred = features - mu1
    small = centred @ sigma2 @ centred.T / (n - 1)
    trace_sqrt = np.sum(np.sqrt(np.clip(np.linalg.eigvalsh((small + small.T) / 2), 0, None)))
    diff = mu1 - np.asarray(mu2, np.float64)
    return float(diff @ diff + np.sum(centred ** 2) / (n - 1) + np.trace(sigma2)
                 - 2 * trace_sqrt)


def task_metrics(translate, num_sources, num_outs, batch_size, feature_fn=None,
                 distance_fn=None, real_mean_cov=None, progress=None):
    """FID and LPIPS of one task, from a function giving its outputs (the per-task loop).

    Source images are processed in chunks of `batch_size`; for each chunk all `num_outs` outputs
    are made, their features accumulated for FID and their pairwise distances averaged per
    source image for LPIPS (`conditional_lpips`).

    Args:
        translate: (start, stop, k) -> output k of source images [start, stop), float [n, H, W,
            C] in the generator's [-1, 1] scale (numpy or tensor).
        num_sources: Number of source images.
        num_outs: Outputs per source image.
        batch_size: Source images per chunk.
        feature_fn: float outputs [n, H, W, C] -> features [n, D] (None: no FID). In the
            protocol, Inception pool features of the outputs quantised to uint8.
        distance_fn: (outputs, outputs) -> [n] (None: no LPIPS).
        real_mean_cov: (mean, covariance) of the real (target-domain training) features.
        progress: Called with the number of source images done after each chunk (or None).

    Returns:
        dict with 'fid' (float or None), 'lpips' (float or None) and 'lpips_per_source'
        (float64 numpy [num_sources] or None).
    """
    if num_sources < 1:
        raise ValueError("a translation task needs at least one source image")
    # Few generated images (n <= 4096): keep them all, for the cheaper exact FID when n < D.
    stats = (fs.FeatureStats(capture_all=num_sources * num_outs <= 4096, capture_mean_cov=True)
             if feature_fn is not None else None)
    per_source = []
    for start in range(0, num_sources, batch_size):
        stop = min(start + batch_size, num_sources)
        outputs = [translate(start, stop, k) for k in range(num_outs)]
        if stats is not None:
            for images in outputs:
                stats.append(np.asarray(feature_fn(images)))
        if distance_fn is not None:
            per_source.append(conditional_lpips(distance_fn, outputs))
        if progress is not None:
            progress(stop - start)
    out = {"fid": None, "lpips": None, "lpips_per_source": None}
    if stats is not None:
        if real_mean_cov is None:
            raise ValueError("FID needs the real images' feature statistics")
        if stats.num_items < 2:
            raise ValueError(f"FID needs at least 2 generated images, got {stats.num_items}")
        if stats.capture_all:
            out["fid"] = frechet_distance_to_features(stats.all(), *real_mean_cov)
        else:
            out["fid"] = frechet_distance(*stats.mean_cov(), *real_mean_cov)
    if distance_fn is not None:
        out["lpips_per_source"] = np.concatenate(per_source)
        out["lpips"] = float(out["lpips_per_source"].mean())
    return out


def check_translation_data(translator, train_data, val_data, need_train=True):
    """Checks that the training and validation data fit the translator's domains and size.

    Raises:
        DatasetError: naming --val_data / --data: missing validation data, unlabeled data,
            other domains (number or names) than the translator's or each other's, another
            image size, or a domain without images.
    """
    if val_data is None:
        raise DatasetError("--val_data is required for the StarGAN v2 metrics "
                           f"({', '.join(TRANSLATION_METRICS)}): a dataset of validation "
                           "images with the same domains (labels) as the training data; every "
                           "validation image is translated into every other domain")
    named = [("--val_data", val_data)] + ([("--data", train_data)] if need_train else [])
    for flag, data in named:
        info = data.info
        if not info.labeled:
            raise DatasetError(f"{flag} {info.name} has no labels; StarGAN v2 needs the domain "
                               "of every image (convert with tools/dataset_tool.py "
                               "--labels=folders, one folder per domain)")
        if info.num_classes != translator.num_domains:
            raise DatasetError(f"{flag} {info.name} has {info.num_classes} domains "
                               f"{list(info.class_names)}, the network "
                               f"{translator.num_domains}")
        if (info.resolution, info.channels) != (translator.img_size, 3):
            raise DatasetError(f"{flag} {info.name} has {info.resolution}x{info.resolution}x"
                               f"{info.channels} images, the network translates "
                               f"{translator.img_size}x{translator.img_size}x3 (convert with "
                               f"tools/dataset_tool.py --resolution={translator.img_size})")
        empty = [name for name, count in zip(info.class_names, info.label_counts) if count < 1]
        if empty:
            raise DatasetError(f"{flag} {info.name} has no images of domain(s) {empty}")
    if need_train and domain_names(train_data) != domain_names(val_data):
        raise DatasetError(f"--val_data {val_data.info.name} has domains "
                           f"{list(domain_names(val_data))} but the training data "
                           f"{train_data.info.name} {list(domain_names(train_data))}; both "
                           "must have the same domains in the same order")


def _fingerprint(source):
    if isinstance(source, str) or hasattr(source, "__fspath__"):
        return file_fingerprint(source)
    return getattr(source, "cache_key", None)  # objects passed in directly (tests)


def domain_feature_stats(data, feature_fn, batch_size=DEFAULT_BATCH, desc="reals"):
    """Feature statistics (mean, covariance) of all images of each domain, in one pass.

    Args:
        data: Labeled TrainingData.
        feature_fn: uint8 images [n, H, W, 3] -> features [n, D].
        batch_size: Images per batch.

    Returns:
        list of FeatureStats (capture_mean_cov), one per domain (label).
    """
    step = tf.function(feature_fn, reduce_retracing=True)
    stats = [fs.FeatureStats(capture_mean_cov=True) for _ in range(data.info.num_classes)]
    with tqdm.tqdm(total=data.info.count, desc=desc, unit="img", leave=False) as bar:
        for images, labels in data.ordered_dataset(batch_size):
            features = np.asarray(step(fs.to_rgb(images)))
            labels = labels.numpy()
            for domain in np.unique(labels):
                stats[int(domain)].append(features[labels == domain])
            bar.update(len(labels))
    return stats


def _real_stats(train_data, detectors, inception, batch_size, cache, train_spec, log):
    """Per-domain Inception statistics of the training images (cached when possible)."""
    source = detectors.source("inception")
    key = {"data": (train_spec if str(train_spec).startswith("builtin:")
                    else file_fingerprint(train_spec)) if train_spec else None,
           "info": dataclasses.asdict(train_data.info), "network": "inception",
           "network_file": _fingerprint(source), "per_domain": True}
    cacheable = key["data"] is not None and key["network_file"] is not None
    tag = f"{train_data.info.name}-inception-domains"
    cached = cache.load(tag, key) if cacheable else None
    if cached is not None:
        log(f"Real-image statistics of {train_data.info.name} from the cache")
        return [(cached[f"mean{d}"], cached[f"cov{d}"])
                for d in range(train_data.info.num_classes)]
    stats = domain_feature_stats(train_data, lambda x: inception(x)["pool_3"], batch_size,
                                 desc="training images")
    out = []
    for domain, s in enumerate(stats):
        if s.num_items < 2:
            raise DatasetError(f"FID needs at least 2 training images of domain "
                               f"{train_data.info.class_names[domain]!r}, the training data "
                               f"{train_data.info.name} has {s.num_items}")
        out.append(s.mean_cov())
    if cacheable:
        arrays = {}
        for d, (mean, cov) in enumerate(out):
            arrays[f"mean{d}"], arrays[f"cov{d}"] = mean, cov
        cache.save(tag, key, arrays)
    return out


def pad_rows(batch_size, *arrays):
    """Pads each array's rows to `batch_size` by repeating its last row; returns (n, list)."""
    n = len(arrays[0])
    if not 1 <= n <= batch_size:
        raise ValueError(f"a chunk has {n} rows, expected 1..{batch_size}")
    out = []
    for a in arrays:
        a = tf.convert_to_tensor(a)
        if n < batch_size:
            a = tf.concat([a, tf.repeat(a[-1:], batch_size - n, axis=0)], 0)
        out.append(a)
    return n, out


def _padded(fn, batch_size):
    """fn compiled once, applied to chunks padded to `batch_size` rows."""
    step = tf.function(fn, reduce_retracing=True)

    def call(*arrays):
        n, padded = pad_rows(batch_size, *arrays)
        return step(*padded)[:n]
    return call


def translate_chunk(translator, mode, x_src, trg, code):
    """G(x_src, s) with s = F_trg(code) (latent) or E_trg(code) (reference), through the
    translator's compiled calls (`translation.grids.compiled`: traced once per image size).

    Args:
        translator: A Translator.
        mode: 'latent' or 'reference'.
        x_src: uint8 source images [n, H, W, 3].
        trg: Target domain index.
        code: z [n, latent_dim] (latent) or uint8 reference images [n, H, W, 3].

    Returns:
        float32 [n, H, W, 3], the raw generator output.
    """
    calls = compiled(translator)
    y = np.full([len(x_src)], int(trg), np.int32)
    if mode == "latent":
        style = calls.style_latent(code, y)
    else:
        style = calls.style_reference(image_io.to_float(code), y)
    return calls.translate(image_io.to_float(x_src), style)


def calc_translation_metrics(translator, names, train_data=None, val_data=None, detectors=None,
                             seed=0, num_outs=NUM_OUTS_PER_DOMAIN, batch_size=DEFAULT_BATCH,
                             log=print, cache=None, train_spec=None):
    """Computes the StarGAN v2 metrics (`fid_latent`, `lpips_latent`, `fid_reference`,
    `lpips_reference`) of a translator; see the module docstring for the protocol.

    The metrics of one mode are computed from the same translated images (as the reference
    does), so asking for FID and LPIPS together costs one translation pass per mode. The
    validation images are held in host memory (uint8); the generated images are not kept.
    Runs on the default device (no tf.distribute strategy).

    Args:
        translator: `tfgan_fs.translation.Translator` (the EMA networks of a run).
        names: Metric names (a list, or a comma-separated string).
        train_data: Labeled TrainingData of the training images: FID's real set is all
            training images of the target domain (not needed for LPIPS-only calls: may be None).
            Or a `metric_main.MetricContext` (the training loop's): then the training data,
            validation data, detectors, seed, batch size, cache and spec are its `data`,
            `metric_data` (the run's --val_data), `detectors`, `seed`, `batch_size`, `cache`
            and `data_spec` (those arguments are ignored; `val_data` and `detectors` must be
            None). The training loop should pass all its translation metrics in one call:
            FID and LPIPS of a mode then share one translation pass.
        val_data: Labeled TrainingData of the validation images, with the same domains.
        detectors: `Detectors` giving 'inception' (FID) and 'lpips' (must be the AlexNet
            variant when it says which, as the reference's LPIPS).
        seed: Non-negative integer seed of the latent codes and the reference draws.
        num_outs: Outputs per source image (the reference's num_outs_per_domain, 10).
        batch_size: Source images per compiled translation call (the reference's
            val_batch_size, 32); does not change the results beyond float rounding.
        log: Progress messages (one line per task); None for silence.
        cache: StatsCache for the training images' statistics (None: no caching).
        train_spec: The training data's spec (`--data`), part of the cache key.

    Returns:
        A result shaped like `metric_main.calc_metric`'s: {'results': {name: mean over tasks,
        '<name>/<task>': per task value, ...}, 'metric': the names joined by ',',
        'total_time', 'total_time_str', 'num_replicas': 1, 'tasks': [task names],
        'per_metric': [one calc_metric-shaped result per name]}. Report each of `per_metric`
        with `report_metric` (one metric-<name>.jsonl per metric, as tools/calc_metrics.py).

    Raises:
        ValueError: an unknown or non-translation metric name, bad seed or num_outs, LPIPS
            weights of another backbone than AlexNet.
        DatasetError: see `check_translation_data`.
    """
    if hasattr(train_data, "metric_data") and hasattr(train_data, "detectors"):
        ctx = train_data
        if val_data is not None or detectors is not None:
            raise ValueError("calc_translation_metrics: give a MetricContext or train_data, "
                             "val_data and detectors, not both")
        train_data, val_data, detectors = ctx.data, ctx.metric_data, ctx.detectors
        seed, batch_size, cache, train_spec = ctx.seed, ctx.batch_size, ctx.cache, ctx.data_spec
    if detectors is None:
        raise ValueError("calc_translation_metrics needs the feature networks (detectors)")
    log = log or (lambda *_: None)
    if isinstance(names, str):
        names = [n.strip() for n in names.split(",") if n.strip()]
    specs = [parse_metric(n) for n in names]
    other = [s.name for s in specs if not is_translation_metric(s)]
    if other or not specs:
        raise ValueError(f"calc_translation_metrics computes {', '.join(TRANSLATION_METRICS)}; "
                         f"got {other or 'no metric'}")
    seed = _check_seed(seed)
    need_lpips = any(s.kind == "lpips_translation" for s in specs)
    if not isinstance(num_outs, (int, np.integer)) or num_outs < (2 if need_lpips else 1):
        raise ValueError(f"num_outs must be an integer >= {2 if need_lpips else 1} (LPIPS "
                         f"compares pairs of outputs), got {num_outs!r}")
    if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    need_fid = any(s.kind == "fid_translation" for s in specs)
    check_translation_data(translator, train_data, val_data, need_train=need_fid)
    start_time = time.time()

    inception = lpips = None
    if need_fid:
        inception = detectors.get("inception", next(s.name for s in specs
                                                    if s.kind == "fid_translation"))
        real = _real_stats(train_data, detectors, inception, batch_size,
                           cache or StatsCache(None), train_spec, log)
    if need_lpips:
        lpips_name = next(s.name for s in specs if s.kind == "lpips_translation")
        lpips = detectors.get("lpips", lpips_name)
        net = getattr(lpips, "net", None)
        if net is not None and net != "alex":
            raise ValueError(f"{lpips_name}: the LPIPS weights {detectors.source('lpips')} are "
                             f"the {net!r} variant; the StarGAN v2 protocol uses AlexNet LPIPS "
                             "(convert it with tools/convert_lpips.py --net=alex and pass "
                             "--lpips)")
    feature_fn = (_padded(lambda x: inception(image_io.to_uint8_tensor(x))["pool_3"], batch_size)
                  if need_fid else None)
    distance_fn = _padded(lpips, batch_size) if need_lpips else None

    val_images, val_labels = val_data.load_images(val_data.info.count)
    by_domain = [np.flatnonzero(val_labels == d) for d in range(translator.num_domains)]
    tasks = translation_tasks(domain_names(val_data))
    results = {}
    wanted = {s.name for s in specs}
    modes = [m for m in TRANSLATION_MODES if any(s.mode == m for s in specs)]
    for mode in modes:
        fid_values, lpips_values = {}, {}
        refs = {}
        if mode == "reference":
            for trg in range(translator.num_domains):
                trg_tasks = [t for t in tasks if t.trg == trg]
                drawn = reference_indices(seed, trg, [len(by_domain[t.src]) for t in trg_tasks],
                                          len(by_domain[trg]), num_outs)
                refs.update({t: d for t, d in zip(trg_tasks, drawn)})
        for number, task in enumerate(tasks, 1):
            task_start = time.time()
            sources = val_images[by_domain[task.src]]
            if mode == "latent":
                z = latent_codes(seed, task, len(sources), num_outs, translator.latent_dim)

                def translate(start, stop, k, sources=sources, z=z, task=task):
                    return translate_chunk(translator, "latent", sources[start:stop],
                                           task.trg, z[start:stop, k])
            else:
                ref_images = val_images[by_domain[task.trg]]
                ref_index = refs[task]

                def translate(start, stop, k, sources=sources, ref_images=ref_images,
                              ref_index=ref_index, task=task):
                    return translate_chunk(translator, "reference", sources[start:stop],
                                           task.trg, ref_images[ref_index[start:stop, k]])
            with tqdm.tqdm(total=len(sources), desc=f"{mode} {task.name}", unit="img",
                           leave=False) as bar:
                out = task_metrics(translate, len(sources), num_outs, batch_size,
                                   feature_fn=feature_fn if f"fid_{mode}" in wanted else None,
                                   distance_fn=(distance_fn if f"lpips_{mode}" in wanted
                                                else None),
                                   real_mean_cov=real[task.trg] if need_fid else None,
                                   progress=bar.update)
            parts = []
            if out["fid"] is not None:
                fid_values[task.name] = out["fid"]
                parts.append(f"FID {out['fid']:.2f}")
            if out["lpips"] is not None:
                lpips_values[task.name] = out["lpips"]
                parts.append(f"LPIPS {out['lpips']:.4f}")
            log(f"{mode} {number}/{len(tasks)} {task.name}: {len(sources)} source images x "
                f"{num_outs} outputs, {', '.join(parts)} ({time.time() - task_start:.1f} s)")
        for kind, values in (("fid", fid_values), ("lpips", lpips_values)):
            name = f"{kind}_{mode}"
            if name in wanted:
                results.update({f"{name}/{task}": v for task, v in values.items()})
                results[name] = float(np.mean(list(values.values())))
    total = time.time() - start_time
    common = {"total_time": total, "total_time_str": f"{total:.0f}s", "num_replicas": 1}
    per_metric = [{"results": {k: float(v) for k, v in results.items()
                               if k == s.name or k.startswith(s.name + "/")},
                   "metric": s.name, **common} for s in specs]
    return {"results": {k: float(v) for k, v in results.items()},
            "metric": ",".join(s.name for s in specs), **common,
            "tasks": [t.name for t in tasks], "per_metric": per_metric}
