"""Computing the metrics of `names.py` for a generator against its training data."""

import dataclasses
import json
import pathlib
import time

import numpy as np
import tensorflow as tf
import tqdm

from tfgan_fs import rng
from tfgan_fs.data import DatasetError, open_dataset
from tfgan_fs.metrics import feature_stats as fs
from tfgan_fs.metrics.frechet import frechet_distance
from tfgan_fs.metrics.high_frequency import high_frequency_ratio
from tfgan_fs.metrics.inception_score import inception_score, softmax
from tfgan_fs.metrics.kid import kid
from tfgan_fs.metrics.lpips_sets import (intra_cluster_distances, mean_and_std,
                                         mean_pairwise_distance_runs, nearest_distances,
                                         pixel_distance)
from tfgan_fs.metrics.names import is_translation_metric, parse_metric
from tfgan_fs.metrics.path_length import lerp_latents, ppl_from_distances, slerp
from tfgan_fs.metrics.precision_recall import precision_recall
from tfgan_fs.metrics.stats_cache import StatsCache, file_fingerprint


@dataclasses.dataclass
class MetricContext:
    """What a metric needs besides the generator.

    Attributes:
        data: TrainingData of the training images (the real set too without `metric_data`).
        data_spec: The dataset's spec string (part of the statistics cache key).
        detectors: Detectors (feature networks).
        strategy: tf.distribute strategy (default if None).
        cache: StatsCache for real-data statistics.
        batch_size: Global batch size of feature extraction.
        max_images: The run's `--max_images` (few-shot: the training images used).
        seed: Seed of the generated samples.
        metric_data: TrainingData of the full real set that fid/kid/pr compare with
            (`--metric_data`, e.g. all of FFHQ-babies when training on 10 of them); None: `data`.
            The few-shot metrics (nn_*, intra_*) always use `data`'s first `max_images`.
        metric_data_spec: Its spec string (part of the statistics cache key).
    """
    data: object
    data_spec: str
    detectors: object
    strategy: object = None
    cache: StatsCache = dataclasses.field(default_factory=lambda: StatsCache(None))
    batch_size: int = 64
    max_images: int = None
    seed: int = 0
    metric_data: object = None
    metric_data_spec: str = None

    def real_set(self):
        """(TrainingData, spec) of the real images fid/kid/pr compare with."""
        if self.metric_data is not None:
            return self.metric_data, self.metric_data_spec
        return self.data, self.data_spec


def open_metric_data(spec, info=None):
    """The dataset of `--metric_data` (None if spec is None), checked against the generator's.

    Args:
        spec: Dataset spec (as `--data`) or None.
        info: DatasetInfo whose resolution and channels the images must have (None: any).

    Raises:
        DatasetError: naming --metric_data, if the spec opens nothing or the images differ.
    """
    if spec is None:
        return None
    try:
        data = open_dataset(spec)
    except DatasetError as err:
        raise DatasetError(f"--metric_data: {err}") from None
    if info is not None and ((data.info.resolution, data.info.channels)
                             != (info.resolution, info.channels)):
        raise DatasetError(f"--metric_data={spec} has {data.info.resolution}x"
                           f"{data.info.resolution}x{data.info.channels} images, the training "
                           f"data {info.resolution}x{info.resolution}x{info.channels}")
    return data


def _detector_fingerprint(source):
    """What identifies a feature network in the cache key (None: do not cache)."""
    if isinstance(source, (str, pathlib.Path)):
        return file_fingerprint(source)
    return getattr(source, "cache_key", None)  # objects passed in directly (tests)


def _real_stats(spec, ctx, network, feature_fn, capture_all, capture_mean_cov):
    """Real-image feature statistics, from the cache when the key matches."""
    data, data_spec = ctx.real_set()
    data_key = data_spec if data_spec.startswith("builtin:") else file_fingerprint(data_spec)
    key = {"data": data_key, "info": dataclasses.asdict(data.info),
           "max_real": spec.max_real, "network": network,
           "network_file": _detector_fingerprint(ctx.detectors.source(network)),
           "all": capture_all, "mean_cov": capture_mean_cov}
    cacheable = key["network_file"] is not None
    tag = f"{data.info.name}-{network}"
    cached = ctx.cache.load(tag, key) if cacheable else None
    if cached is not None:
        return fs.FeatureStats.from_arrays(cached)
    stats = fs.dataset_features(data, feature_fn, spec.max_real, ctx.batch_size,
                                ctx.strategy, capture_all=capture_all,
                                capture_mean_cov=capture_mean_cov, desc=f"{spec.name} reals")
    if cacheable:
        ctx.cache.save(tag, key, stats.to_arrays())
    return stats


def _gen_stats(spec, G, ctx, feature_fn, capture_all, capture_mean_cov):
    return fs.generator_features(G, feature_fn, spec.num_gen, ctx.batch_size, ctx.strategy,
                                 _labels(G, ctx), ctx.seed, capture_all=capture_all,
                                 capture_mean_cov=capture_mean_cov, desc=f"{spec.name} fakes")


def _compute(spec, G, ctx):
    """{result name: value} of one metric."""
    if is_translation_metric(spec):
        raise ValueError(f"{spec.name} is a StarGAN v2 translation metric: it needs a StarGAN v2 "
                         "run and validation images (tools/calc_metrics.py --val_data, or "
                         "tfgan_fs.metrics.translation.calc_translation_metrics)")
    if spec.kind in ("fid", "kid", "is"):
        inception = ctx.detectors.get("inception", spec.name)
        if spec.kind == "is":
            if not getattr(inception, "has_logits", True):
                raise ValueError(f"{spec.name}: the Inception network {inception.source} has no "
                                 "classifier logits (use classify_image_graph_def.pb)")
            stats = _gen_stats(spec, G, ctx, lambda x: inception(x)["logits"], True, False)
            mean, std = inception_score(softmax(stats.all()), num_splits=10)
            return {f"{spec.name}_mean": mean, f"{spec.name}_std": std}
        pool = lambda x: inception(x)["pool_3"]  # noqa: E731
        full = spec.kind == "kid"
        real = _real_stats(spec, ctx, "inception", pool, full, not full)
        fake = _gen_stats(spec, G, ctx, pool, full, not full)
        if spec.kind == "fid":
            return {spec.name: frechet_distance(*fake.mean_cov(), *real.mean_cov())}
        return {spec.name: kid(fake.all(), real.all(), num_subsets=100, max_subset_size=1000,
                               seed=ctx.seed)}
    if spec.kind == "pr":
        vgg = ctx.detectors.get("vgg16", spec.name)
        real = _real_stats(spec, ctx, "vgg16", vgg, True, False)
        fake = _gen_stats(spec, G, ctx, vgg, True, False)
        precision, recall = precision_recall(real.all(), fake.all(), nhood_size=spec.nhood_size)
        return {f"{spec.name}_precision": precision, f"{spec.name}_recall": recall}
    if spec.kind == "ppl":
        return {spec.name: _ppl(spec, G, ctx, ctx.detectors.get("lpips", spec.name))}
    if spec.kind == "hf":
        num_real = min(ctx.data.num_images(ctx.max_images), spec.num_gen)
        real, _ = ctx.data.load_images(num_real)
        samples = _generated_images(G, spec.num_gen, ctx)
        return {spec.name: high_frequency_ratio(samples, real.astype(np.float32) / 127.5 - 1)}
    return _set_metric(spec, G, ctx)


def _set_metric(spec, G, ctx):
    """{result name: value} of the sample-set metrics div, nn and intra (LPIPS or pixels)."""
    distance = (ctx.detectors.get("lpips", spec.name) if spec.distance == "lpips"
                else pixel_distance)
    if spec.kind == "div":
        samples = _generated_images(G, spec.num_gen * spec.num_runs, ctx)
        mean, std = mean_and_std(mean_pairwise_distance_runs(samples, spec.num_runs, distance,
                                                             ctx.batch_size))
        return {spec.name: mean, f"{spec.name}_std": std}
    centers = _training_images(spec, ctx)
    samples = _generated_images(G, spec.num_gen, ctx)
    if spec.kind == "nn":
        return {spec.name: float(nearest_distances(samples, centers, distance,
                                                   ctx.batch_size).mean())}
    # CDC's feat_cluster.py: at most 50 random members per cluster; mean and std over the
    # clusters with at least one pair.
    per_cluster = intra_cluster_distances(samples, centers, distance, ctx.batch_size,
                                          max_cluster_size=50, seed=ctx.seed)
    mean, std = mean_and_std(per_cluster)
    return {spec.name: mean, f"{spec.name}_std": std}


def _training_images(spec, ctx):
    """The run's training images (its first --max_images) as float32 in [-1, 1]."""
    num = ctx.data.num_images(ctx.max_images)
    if num > 100:
        raise ValueError(f"{spec.name}: a few-shot metric compares samples with each training "
                         f"image; the run uses {num} training images (pass --max_images "
                         "<= 100)")
    images, _ = ctx.data.load_images(num)
    return images.astype(np.float32) / 127.5 - 1


def _labels(G, ctx):
    return ctx.data.label_distribution(ctx.max_images) if G.c_dim else ()


def _generated_images(G, num, ctx):
    """num generated images, quantised like saved images, as float32 in [-1, 1]."""
    images = fs.generate_images(G, num, ctx.batch_size, ctx.strategy, _labels(G, ctx),
                                ctx.seed, desc="samples")
    return images.astype(np.float32) / 127.5 - 1


def _ppl(spec, G, ctx, lpips):
    """Perceptual path length (Karras et al. 2019, section 4.1) with the reference's sampler."""
    strategy = ctx.strategy or tf.distribute.get_strategy()
    replicas = strategy.num_replicas_in_sync
    local = max(ctx.batch_size // (2 * replicas), 1)  # pairs per replica (independent samples)
    epsilon = 1e-4
    probs = np.asarray(_labels(G, ctx), np.float32)

    def sample(batch_seed):
        z = rng.normal(rng.fold(batch_seed, "z"), [local * 2, G.z_dim])
        c = (tf.one_hot(rng.categorical(rng.fold(batch_seed, "c"), probs, local), G.c_dim)
             if G.c_dim else tf.zeros([local, 0]))
        t = rng.uniform(rng.fold(batch_seed, "t"), [local]) * (1 if spec.sampling == "full" else 0)
        if spec.space == "w":
            ws = G.mapping(z, tf.concat([c, c], 0))
            wt0, wt1 = lerp_latents(ws[:local], ws[local:], t, epsilon)
        else:
            z0, z1 = z[:local], z[local:]
            zt0 = slerp(z0, z1, t[:, None])
            zt1 = slerp(z0, z1, t[:, None] + epsilon)
            ws = G.mapping(tf.concat([zt0, zt1], 0), tf.concat([c, c], 0))
            wt0, wt1 = ws[:local], ws[local:]
        # Both ends of a pair see the same noise (the reference re-draws its constant noise
        # buffers per batch), so their difference comes from w alone.
        noise_seed = rng.fold(batch_seed, "noise")
        img = tf.concat([G.synthesis(w, noise_mode="random", noise_seed=noise_seed,
                                     force_fp32=True) for w in (wt0, wt1)], 0)
        if spec.crop:
            q = img.shape[1] // 8
            img = img[:, q * 3:q * 7, q * 2:q * 6]
        factor = G.img_resolution // 256
        if factor > 1:  # box-downsample to 256
            img = tf.nn.avg_pool2d(img, factor, factor, "VALID")
        img = fs.to_rgb(img)
        return lpips(img[:local], img[local:]) / epsilon ** 2

    @tf.function
    def step(batch_seed):
        return strategy.gather(strategy.run(sample, args=(batch_seed,)), axis=0)

    dist = []
    with tqdm.tqdm(total=spec.num_gen, desc=f"{spec.name} sampling", unit="img",
                   leave=False) as bar:
        for index in range(-(-spec.num_gen // (local * replicas))):
            values = step(rng.make_seed(ctx.seed, index)).numpy()
            dist.append(values)
            bar.update(len(values))
    return ppl_from_distances(np.concatenate(dist)[:spec.num_gen])


def calc_metric(name, G, ctx):
    """Computes metric `name` for generator G; returns a result dict (reference format)."""
    spec = parse_metric(name)
    start = time.time()
    results = _compute(spec, G, ctx)
    total = time.time() - start
    return {"results": {k: float(v) for k, v in results.items()}, "metric": name,
            "total_time": total, "total_time_str": f"{total:.0f}s",
            "num_replicas": (ctx.strategy or tf.distribute.get_strategy()).num_replicas_in_sync}


def report_metric(result, run_dir=None, network=None):
    """Appends the result as one JSON line to run_dir/metric-<name>.jsonl; returns the line."""
    line = json.dumps({**result, "network": None if network is None else str(network),
                       "timestamp": time.time()})
    if run_dir is not None:
        path = pathlib.Path(run_dir) / f"metric-{result['metric']}.jsonl"
        with open(path, "a", encoding="utf-8") as f:
            f.write(line + "\n")
    return line
