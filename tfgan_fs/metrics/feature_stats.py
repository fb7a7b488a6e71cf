"""Features of real and generated images, computed in batches on every replica.

Conventions (NVlabs/stylegan2-ada-pytorch `metrics/metric_utils.py`):
- Generated images come from `G(z, c)` with z ~ N(0, I), labels drawn from the training set's
  class distribution, random noise and no truncation, and are quantised to uint8 exactly as
  images are saved: clip(x * 127.5 + 128, 0, 255) truncated to an integer.
- Real images are the dataset's uint8 pixels in dataset order, without mirroring.
- The feature network sees uint8-valued images at the data resolution and resizes them itself
  (the FID Inception graph resizes to 299x299 bilinearly inside).
"""

import dataclasses

import numpy as np
import tensorflow as tf
import tqdm

from tfgan_fs import rng
from tfgan_fs.images import to_uint8_tensor


def to_rgb(images):
    """Repeats a single channel three times (feature networks expect RGB)."""
    return tf.tile(images, [1, 1, 1, 3]) if images.shape[-1] == 1 else images


@dataclasses.dataclass
class FeatureStats:
    """Accumulates features [N, D]: all of them, and/or their mean and covariance.

    Attributes:
        capture_all: Keep every feature vector (KID, precision/recall).
        capture_mean_cov: Keep float64 running sums for the mean and covariance (FID).
    """
    capture_all: bool = False
    capture_mean_cov: bool = False
    num_items: int = 0

    def __post_init__(self):
        self._all = []
        self._sum = self._outer = None

    def append(self, features):
        features = np.asarray(features, np.float64).reshape(len(features), -1)
        self.num_items += len(features)
        if self.capture_all:
            self._all.append(features.astype(np.float32))
        if self.capture_mean_cov:
            if self._sum is None:
                self._sum = np.zeros(features.shape[1])
                self._outer = np.zeros([features.shape[1]] * 2)
            self._sum += features.sum(axis=0)
            self._outer += features.T @ features

    def all(self):
        return np.concatenate(self._all) if self._all else np.zeros([0, 0], np.float32)

    def mean_cov(self):
        """Mean and unbiased covariance (as numpy.cov)."""
        mean = self._sum / self.num_items
        cov = (self._outer - self.num_items * np.outer(mean, mean)) / (self.num_items - 1)
        return mean, cov

    def to_arrays(self):
        arrays = {"num_items": np.asarray(self.num_items)}
        if self.capture_all:
            arrays["all"] = self.all()
        if self.capture_mean_cov:
            arrays["sum"], arrays["outer"] = self._sum, self._outer
        return arrays

    @classmethod
    def from_arrays(cls, arrays):
        stats = cls(capture_all="all" in arrays, capture_mean_cov="sum" in arrays,
                    num_items=int(arrays["num_items"]))
        if stats.capture_all:
            stats._all = [arrays["all"]]
        if stats.capture_mean_cov:
            stats._sum, stats._outer = arrays["sum"], arrays["outer"]
        return stats


def dataset_features(data, feature_fn, max_items=None, batch_size=64, strategy=None,
                     capture_all=False, capture_mean_cov=False, desc="reals"):
    """Features of the first `max_items` dataset images (all when None), all replicas.

    Args:
        data: TrainingData.
        feature_fn: uint8 images [n, H, W, 3] -> features [n, D] (traceable).
        max_items: Number of images (clipped to the dataset size).
        batch_size: Global batch size.
        strategy: tf.distribute strategy (default strategy if None).
        capture_all, capture_mean_cov: What to keep (see FeatureStats).
        desc: Progress-bar label.
    """
    strategy = strategy or tf.distribute.get_strategy()
    count = data.info.count if max_items is None else min(int(max_items), data.info.count)
    images = data.ordered_dataset(batch_size, max_images=count).map(lambda x, _: x)
    batches = strategy.experimental_distribute_dataset(images)

    @tf.function
    def step(batch):
        out = strategy.run(lambda x: feature_fn(to_rgb(x)), args=(batch,))
        return strategy.gather(out, axis=0)

    stats = FeatureStats(capture_all=capture_all, capture_mean_cov=capture_mean_cov)
    with tqdm.tqdm(total=count, desc=desc, unit="img", leave=False) as bar:
        for batch in batches:
            features = step(batch).numpy()
            stats.append(features)
            bar.update(len(features))
    return stats


def _generated_batches(G, fn, num_items, batch_size, strategy, label_distribution, seed):
    """Yields fn(uint8 generated images) as numpy, batch by batch, num_items rows in total.

    Every batch's latents, labels and noise are drawn from (seed, batch index) for the global
    batch, so the samples do not depend on the number of replicas.
    """
    strategy = strategy or tf.distribute.get_strategy()
    replicas = strategy.num_replicas_in_sync
    local = max(batch_size // replicas, 1)
    probs = np.asarray(label_distribution, np.float32).reshape([-1])
    if G.c_dim and probs.size != G.c_dim:
        raise ValueError(f"the generator is conditional ({G.c_dim} classes) but the data gives "
                         f"{probs.size} label frequencies")

    def generate(batch_seed):
        z = rng.normal(rng.fold(batch_seed, "z"), [local, G.z_dim])
        if G.c_dim:
            c = tf.one_hot(rng.categorical(rng.fold(batch_seed, "c"), probs, local), G.c_dim)
        else:
            c = tf.zeros([local, 0])
        img = G(z, c, noise_mode="random", noise_seed=rng.fold(batch_seed, "noise"))
        return fn(to_uint8_tensor(img))

    @tf.function
    def step(batch_seed):
        return strategy.gather(strategy.run(generate, args=(batch_seed,)), axis=0)

    done = 0
    for index in range(-(-num_items // (local * replicas))):
        out = step(rng.make_seed(seed, index)).numpy()[:num_items - done]
        done += len(out)
        yield out


def generator_features(G, feature_fn, num_items, batch_size=64, strategy=None,
                       label_distribution=(), seed=0, capture_all=False,
                       capture_mean_cov=False, desc="fakes"):
    """Features of `num_items` generated images (see the module docstring), all replicas."""
    stats = FeatureStats(capture_all=capture_all, capture_mean_cov=capture_mean_cov)
    with tqdm.tqdm(total=num_items, desc=desc, unit="img", leave=False) as bar:
        for features in _generated_batches(G, lambda x: feature_fn(to_rgb(x)), num_items,
                                           batch_size, strategy, label_distribution, seed):
            stats.append(features)
            bar.update(len(features))
    return stats


def generate_images(G, num_items, batch_size=64, strategy=None, label_distribution=(), seed=0,
                    desc="generating"):
    """`num_items` generated images as uint8 numpy [N, H, W, C] (same sampling as above)."""
    chunks = []
    with tqdm.tqdm(total=num_items, desc=desc, unit="img", leave=False) as bar:
        for images in _generated_batches(G, lambda x: x, num_items, batch_size, strategy,
                                         label_distribution, seed):
            chunks.append(images)
            bar.update(len(images))
    return np.concatenate(chunks)
