"""StarGAN v2 training streams: class-balanced source images and same-domain reference pairs.

StarGAN v2 (Choi et al., "StarGAN v2: Diverse Image Synthesis for Multiple Domains", CVPR 2020)
trains on a labeled dataset whose labels are the domains 0..num_domains-1 (AFHQ: cat, dog, wild;
CelebA-HQ: female, male). Each training step takes

    x_src, y_src           source images and their domains,
    x_ref, x_ref2, y_ref   two reference images of the target domains y_ref,

both drawn class-balanced, as the reference's `WeightedRandomSampler` with per-image weight
1 / count(domain): each row draws a domain uniformly, then an image uniformly within it (with
replacement). The reference stream draws y_ref independently of the source stream.

Every draw is a stateless function of (seed, global row index), row = step * batch_size + b, so

* `start_step=k` resumes exactly: the stream from step k is the tail of the stream from step 0;
* with `shard` each replica gets exactly its rows of the unsharded global batch, and only those
  rows are decoded (1 or N replicas see the same global batch).

Augmentation (per image, also stateless from the row): with probability `randcrop_prob` a
torchvision-style RandomResizedCrop (area fraction U(0.8, 1), log-uniform aspect ratio in
[0.9, 1.1]), then a resize to `img_size`, then a horizontal flip with probability 1/2; pixels are
mapped to [-1, 1].

A folder of images in one sub-folder per domain (`afhq/train/{cat,dog,wild}/*.jpg`) opens with
`open_domain_dataset`; a dataset converted with `tools/dataset_tool.py --labels=folders` (or any
labeled dataset, e.g. `builtin:shapes` with its 4 shape classes) works as it is.
`fixed_domain_samples` gives the fixed, unaugmented, domain-balanced images of snapshot grids.

One module (~470 lines): the sampling of sources and references is one protocol (the
reference's `data_loader.py`), its parts share the per-domain index tables.
"""

import os

import numpy as np
import tensorflow as tf

from tfgan_fs import rng
from tfgan_fs.data import image_sources
from tfgan_fs.data.dataset_info import DatasetError
from tfgan_fs.data.dataset_info import has_tfrecord_metadata
from tfgan_fs.data.image_folder import ImageFolderData
from tfgan_fs.data.pipeline import open_dataset
from tfgan_fs.data.training_data import TrainingData
from tfgan_fs.data.training_data import _shard_rows

CROP_SCALE = (0.8, 1.0)  # Area fraction of RandomResizedCrop (reference: scale=[0.8, 1.0]).
CROP_RATIO = (0.9, 1.1)  # Aspect ratio w / h (reference: ratio=[0.9, 1.1]).
CROP_ATTEMPTS = 10  # torchvision's tries before the centre-crop fallback.
REF2_MODES = ("choice", "permutation")
_TAG = "stargan_v2/domain_pairs"
# Layout of the float64 uniforms of one image's augmentation.
_U_CROP, _U_SCALE, _U_RATIO = 0, 1, 1 + CROP_ATTEMPTS
_U_TOP, _U_LEFT, _U_FLIP = 1 + 2 * CROP_ATTEMPTS, 2 + 2 * CROP_ATTEMPTS, 3 + 2 * CROP_ATTEMPTS
NUM_AUGMENT_UNIFORMS = 4 + 2 * CROP_ATTEMPTS


def _is_int(value):
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


# -- Domains ----------------------------------------------------------------------------------


def open_domain_dataset(spec):
    """Opens a dataset for StarGAN v2, taking domains from sub-folders of a plain image folder.

    A directory of images without a root `dataset.json` is opened with one domain per
    first-level sub-folder (sorted by name): `open_domain_dataset('data/afhq/train')` gives the
    domains ('cat', 'dog', 'wild'). Every other spec is passed to `open_dataset` unchanged
    (converted datasets keep the labels they were converted with, e.g.
    `dataset_tool.py --labels=folders`; `builtin:shapes` has its 4 shape classes).

    Args:
        spec: As for `open_dataset`.

    Returns:
        A `TrainingData`; call `check_domains` (or `make_domain_pair_dataset`) to validate it.

    Raises:
        DatasetError: As `open_dataset`, or an image of a plain folder lies outside any domain
            sub-folder.
    """
    if (isinstance(spec, str) and os.path.isdir(spec) and not has_tfrecord_metadata(spec)
            and not os.path.isfile(os.path.join(spec, image_sources.LABELS_FILENAME))):
        try:
            return ImageFolderData(spec, labels="folders")
        except DatasetError as e:
            if "not inside a class folder" not in str(e):
                raise
            raise DatasetError(f"StarGAN v2 needs domain labels: {e}; put the images of each "
                               f"domain in their own sub-folder ({spec}/DOMAIN/IMAGE, e.g. "
                               f"afhq/train/cat/*.jpg)") from None
    return open_dataset(spec)


def domain_names(data):
    """The domain names of a labeled dataset.

    Args:
        data: A `TrainingData`.

    Returns:
        A tuple of num_domains strings: the dataset's class names (e.g. ('cat', 'dog', 'wild')),
        or 'domain0', 'domain1', ... when the names are only the numbers '0', '1', ... (labels
        from an NVlabs dataset.json).

    Raises:
        DatasetError: The dataset is unlabeled.
    """
    _require_labels(data)
    names = tuple(data.info.class_names or ())
    if len(names) != data.info.num_classes or names == tuple(
            str(i) for i in range(data.info.num_classes)):
        return tuple(f"domain{i}" for i in range(data.info.num_classes))
    return names


def domain_counts(data, max_images=None):
    """Images per domain among the first `max_images` images.

    Args:
        data: A labeled `TrainingData`.
        max_images: None (all) or as in `TrainingData.make_dataset`.

    Returns:
        int64 numpy [num_domains] (entries may be 0; see `check_domains`).

    Raises:
        DatasetError: Unlabeled dataset or bad `max_images`.
    """
    _require_labels(data)
    n = data.num_images(max_images)
    if n == data.info.count and data.info.label_counts is not None:
        return np.asarray(data.info.label_counts, np.int64)
    return np.bincount(_labels(data, n), minlength=data.info.num_classes).astype(np.int64)


def check_domains(data, max_images=None):
    """Checks that `data` has domain labels and that no domain is empty.

    Args:
        data: A `TrainingData`.
        max_images: As in `domain_counts`.

    Returns:
        The `domain_counts`.

    Raises:
        DatasetError: "StarGAN v2 needs domain labels: ..." for an unlabeled dataset, or a
            message naming each empty domain.
    """
    counts = domain_counts(data, max_images)
    empty = [f"{name!r} ({i})" for i, (name, c) in enumerate(zip(domain_names(data), counts))
             if c == 0]
    if empty:
        within = "" if max_images is None else f" among the first --max_images={max_images}"
        raise DatasetError(f"StarGAN v2 needs images in every domain, but domain"
                           f"{'s' if len(empty) > 1 else ''} {', '.join(empty)} of dataset "
                           f"{data.info.name} ha{'ve' if len(empty) > 1 else 's'} none{within}")
    return counts


def _require_labels(data):
    if not isinstance(data, TrainingData):
        raise DatasetError(f"expected a TrainingData, got {type(data).__name__}")
    if not data.info.labeled:
        raise DatasetError(
            f"StarGAN v2 needs domain labels: dataset {data.info.name} has none (put each "
            f"domain's images in their own sub-folder, e.g. afhq/train/{{cat,dog,wild}}/*.jpg, "
            f"or convert with tools/dataset_tool.py --labels=folders or --labels=json)")


def _labels(data, n):
    """int64 labels [n] of the first `n` images in dataset order."""
    # TrainingData's labels hook (there is no public per-image label accessor).
    return np.asarray(data._read_labels(n), np.int64)


# -- Augmentation -----------------------------------------------------------------------------


def random_resized_crop_params(uniforms, height, width, scale=CROP_SCALE, ratio=CROP_RATIO):
    """The crop box of torchvision's `RandomResizedCrop.get_params`, from given uniforms.

    Up to `CROP_ATTEMPTS` tries: target area = height * width * U(scale), aspect ratio
    r = exp(U(log ratio)), w = round(sqrt(area * r)), h = round(sqrt(area / r)) (round half to
    even, as Python's `round`); the first try with 0 < w <= width and 0 < h <= height wins and
    its top-left corner is uniform over the valid positions. If every try fails: the centred
    crop of the image clamped to the ratio range (the whole image when its own aspect ratio lies
    within `ratio`).

    Args:
        uniforms: float64 [NUM_AUGMENT_UNIFORMS] in [0, 1); uses the scale, ratio, top and left
            entries (see `_U_*`).
        height, width: Image size (Python ints).
        scale: (min, max) area fraction.
        ratio: (min, max) aspect ratio w / h.

    Returns:
        (top, left, h, w) int32 scalar tensors.
    """
    u = tf.convert_to_tensor(uniforms, tf.float64)
    area = float(height * width)
    target_area = area * (scale[0] + (scale[1] - scale[0]) *
                          u[_U_SCALE:_U_SCALE + CROP_ATTEMPTS])
    log_lo, log_hi = np.log(ratio[0]), np.log(ratio[1])
    aspect = tf.exp(log_lo + (log_hi - log_lo) * u[_U_RATIO:_U_RATIO + CROP_ATTEMPTS])
    ws = tf.cast(tf.round(tf.sqrt(target_area * aspect)), tf.int32)
    hs = tf.cast(tf.round(tf.sqrt(target_area / aspect)), tf.int32)
    ok = (ws > 0) & (ws <= width) & (hs > 0) & (hs <= height)
    first = tf.argmax(tf.cast(ok, tf.int32), output_type=tf.int32)  # First True (0 if none).
    w, h = ws[first], hs[first]
    top = tf.cast(tf.floor(u[_U_TOP] * tf.cast(height - h + 1, tf.float64)), tf.int32)
    left = tf.cast(tf.floor(u[_U_LEFT] * tf.cast(width - w + 1, tf.float64)), tf.int32)
    top, left = tf.minimum(top, height - h), tf.minimum(left, width - w)

    # Fallback: centre crop (Python arithmetic: the image size is static).
    in_ratio = width / height
    if in_ratio < min(ratio):
        fw, fh = width, int(round(width / min(ratio)))
    elif in_ratio > max(ratio):
        fw, fh = int(round(height * max(ratio))), height
    else:
        fw, fh = width, height
    fallback = [(height - fh) // 2, (width - fw) // 2, fh, fw]
    found = tf.reduce_any(ok)
    return tuple(tf.where(found, a, tf.constant(b, tf.int32))
                 for a, b in zip([top, left, h, w], fallback))


def augment_image(image, uniforms, img_size, randcrop_prob):
    """StarGAN v2's training transform of one image, driven by given uniforms.

    With probability `randcrop_prob` (uniforms[_U_CROP] < randcrop_prob) the image is cut to a
    `random_resized_crop_params` box; the (cropped or whole) image is resized to img_size x
    img_size, x-flipped when uniforms[_U_FLIP] < 0.5 and mapped from [0, 255] to [-1, 1].

    The resize is `tf.image.resize(..., 'bilinear', antialias=True)`: a triangle filter widened
    by the downscaling factor, the same kernel as PIL's BILINEAR that torchvision applies to PIL
    images (plain bilinear when upscaling, e.g. a crop of ~0.9 of the side back to full size).
    It differs from PIL only by PIL's rounding to uint8 (measured: under 1 level of 255 when
    downscaling 64 -> 32 and upscaling 29 -> 32); the plain, non-antialiased TF bilinear would
    alias instead (up to 67 levels off on noise at 2x downscaling).

    Args:
        image: uint8 [H, W, C] with static shape.
        uniforms: float64 [NUM_AUGMENT_UNIFORMS] in [0, 1).
        img_size: Output side.
        randcrop_prob: Probability of the random resized crop.

    Returns:
        float32 [img_size, img_size, C] in [-1, 1].
    """
    height, width, channels = image.shape
    u = tf.convert_to_tensor(uniforms, tf.float64)
    top, left, h, w = random_resized_crop_params(u, height, width)
    crop = u[_U_CROP] < randcrop_prob
    top, left = tf.where(crop, top, 0), tf.where(crop, left, 0)
    h, w = tf.where(crop, h, height), tf.where(crop, w, width)

    def resize():
        x = tf.cast(image[top:top + h, left:left + w], tf.float32)
        return tf.image.resize(x, [img_size, img_size], method="bilinear", antialias=True)

    if img_size == height == width:  # Uncropped images need no resize (it would be exact).
        x = tf.cond(crop, resize, lambda: tf.cast(image, tf.float32))
    else:
        x = resize()
    x = tf.where(u[_U_FLIP] < 0.5, tf.reverse(x, axis=[1]), x)
    x = tf.clip_by_value(x / 127.5 - 1.0, -1.0, 1.0)
    return tf.ensure_shape(x, [img_size, img_size, channels])


# -- The stream -------------------------------------------------------------------------------


class _Decoder:
    """Decodes image index -> uint8 image, for index-addressable data or records held in memory.

    ArrayData and ImageFolderData address images by index. The items of other datasets (TFRecord
    records) cannot be read at random, so the first `n` are read once into a lookup table
    (memory: about the size of the encoded images).
    """

    def __init__(self, data, n):
        self._data = data
        self._table = None
        if type(data)._ordered_items is not TrainingData._ordered_items:
            with tf.init_scope(), tf.device("/cpu:0"):
                items = tf.data.Dataset.zip((tf.data.Dataset.range(n), data._ordered_items(n)))
                keys, values = [], []
                for batch in items.batch(4096):
                    keys.append(batch[0].numpy())
                    values.append(batch[1].numpy())
                self._table = tf.lookup.StaticHashTable(
                    tf.lookup.KeyValueTensorInitializer(np.concatenate(keys),
                                                        np.concatenate(values)),
                    default_value=tf.zeros([], values[0].dtype if values else tf.string))

    def __call__(self, index):
        item = index if self._table is None else self._table.lookup(index)
        image, _ = self._data._decode_item(item)
        return image


def make_domain_pair_dataset(data, batch_size, *, seed, img_size=None, randcrop_prob=0.5,
                             start_step=0, max_images=None, num_parallel_calls=None, shard=None,
                             ref2="choice"):
    """Builds StarGAN v2's infinite, batched, prefetched source/reference training stream.

    Row r = step * batch_size + b of the global stream is a pure function of (seed, r):

        y_src ~ U{0..D-1}, x_src ~ U(images of y_src)      (the source loader)
        y_ref ~ U{0..D-1}, x_ref, x_ref2 ~ U(images of y_ref)  (the reference loader)

    each image then augmented with its own stateless draws (`augment_image`). This is the
    reference's class-balanced WeightedRandomSampler (weight 1 / count(domain) per image, drawn
    with replacement) for both loaders.

    Args:
        data: A labeled `TrainingData` (domains = labels; see `open_domain_dataset`).
        batch_size: Global batch size (the reference uses 8).
        seed: Integer seed of all draws.
        img_size: Output side (None: the dataset's resolution).
        randcrop_prob: Probability of the random resized crop (reference --randcrop_prob 0.5).
        start_step: Skip this many global batches (resume after that many steps); costs nothing.
        max_images: Use only the first `max_images` images in dataset order.
        num_parallel_calls: Parallelism of decoding (None: tf.data.AUTOTUNE); the output order
            is deterministic regardless.
        shard: None, or (pipeline_id, num_pipelines, num_replicas) of a tf.distribute input
            pipeline, with the meaning of `TrainingData.make_dataset`: per-replica batches of
            batch_size / num_replicas rows, this pipeline's replicas one after another for each
            global batch; replica k gets rows [k * B / R, (k + 1) * B / R) of the global batch.
            Only those rows are decoded.
        ref2: 'choice' (x_ref2 drawn independently of x_ref within domain y_ref, possibly the
            same image, as `random.choice`) or 'permutation' (the reference's ReferenceDataset:
            one random permutation per domain, drawn from the seed, fixes the partner x_ref2 of
            every x_ref for the whole run).

    Returns:
        A `tf.data.Dataset` of (x_src, y_src, x_ref, x_ref2, y_ref): images float32
        [B, img_size, img_size, C] in [-1, 1], labels int32 [B]; B = batch_size, or the
        per-replica batch size with `shard`.

    Raises:
        DatasetError: Bad argument, unlabeled dataset or empty domain.
    """
    if not _is_int(batch_size) or batch_size < 1:
        raise DatasetError(f"batch_size must be a positive integer, got {batch_size!r}")
    if not _is_int(seed):
        raise DatasetError(f"seed must be an integer, got {seed!r}")
    if not _is_int(start_step) or start_step < 0:
        raise DatasetError(f"start_step must be a non-negative integer, got {start_step!r}")
    if img_size is None:
        img_size = data.info.resolution
    if not _is_int(img_size) or img_size < 1:
        raise DatasetError(f"img_size must be a positive integer, got {img_size!r}")
    if isinstance(randcrop_prob, bool) or not (
            isinstance(randcrop_prob, (int, float)) and 0 <= randcrop_prob <= 1):
        raise DatasetError(f"randcrop_prob must be a number in [0, 1], got {randcrop_prob!r}")
    if shard is not None and not (isinstance(shard, (tuple, list)) and len(shard) == 3
                                  and all(_is_int(v) for v in shard)):
        raise DatasetError(f"shard must be (pipeline_id, num_pipelines, num_replicas), "
                           f"got {shard!r}")
    if ref2 not in REF2_MODES:
        raise DatasetError(f"ref2={ref2!r} is not one of {', '.join(REF2_MODES)}")
    counts = check_domains(data, max_images)
    n = data.num_images(max_images)
    seed, batch_size, img_size = int(seed), int(batch_size), int(img_size)
    randcrop_prob = float(randcrop_prob)
    parallel = tf.data.AUTOTUNE if num_parallel_calls is None else num_parallel_calls

    # Images grouped by domain: domain d owns by_domain[offsets[d]:offsets[d] + counts[d]].
    labels = _labels(data, n)
    by_domain = np.argsort(labels, kind="stable").astype(np.int64)
    offsets = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
    base = rng.make_seed(seed, _TAG)
    partner = None
    if ref2 == "permutation":  # Position in by_domain -> position of its fixed partner.
        partner = np.empty([n], np.int64)
        for d, (start, count) in enumerate(zip(offsets, counts)):
            perm = tf.random.experimental.stateless_shuffle(
                tf.range(count, dtype=tf.int64), seed=rng.fold(base, "ref2_permutation", d))
            partner[start:start + count] = start + perm.numpy()
    decode = _Decoder(data, n)
    num_domains = len(counts)
    with tf.device("/cpu:0"):
        by_domain_t, offsets_t = tf.constant(by_domain), tf.constant(offsets)
        counts_t = tf.constant(counts.astype(np.int64))
        partner_t = None if partner is None else tf.constant(partner)

    def draw_position(key, domain):
        """Position in by_domain of a uniform image of `domain`."""
        k = tf.random.stateless_uniform([], key, minval=0, maxval=counts_t[domain],
                                        dtype=tf.int64)
        return offsets_t[domain] + k

    def draw_domain(key):
        return tf.random.stateless_uniform([], key, minval=0, maxval=num_domains,
                                           dtype=tf.int64)

    def load(row):
        key = rng.fold(base, row)
        y_src = draw_domain(rng.fold(key, "y_src"))
        y_ref = draw_domain(rng.fold(key, "y_ref"))
        p_src = draw_position(rng.fold(key, "x_src"), y_src)
        p_ref = draw_position(rng.fold(key, "x_ref"), y_ref)
        if partner_t is None:
            p_ref2 = draw_position(rng.fold(key, "x_ref2"), y_ref)
        else:
            p_ref2 = partner_t[p_ref]
        images = []
        for name, position in (("src", p_src), ("ref", p_ref), ("ref2", p_ref2)):
            u = tf.random.stateless_uniform([NUM_AUGMENT_UNIFORMS], rng.fold(key, name),
                                            dtype=tf.float64)
            image = decode(by_domain_t[position])
            images.append(augment_image(image, u, img_size, randcrop_prob))
        return (images[0], tf.cast(y_src, tf.int32), images[1], images[2],
                tf.cast(y_ref, tf.int32))

    rows = tf.data.Dataset.counter(start_step * batch_size)
    out_batch = batch_size
    if shard is not None:
        rows, out_batch = _shard_rows(rows, batch_size, *shard)
    ds = rows.map(load, num_parallel_calls=parallel, deterministic=True)
    ds = ds.batch(out_batch, drop_remainder=True)
    return ds.prefetch(tf.data.AUTOTUNE)


def fixed_domain_samples(data, n, seed, img_size=None, max_images=None):
    """`n` fixed, unaugmented images balanced over the domains (for snapshot grids).

    Image k shows domain k * D // n (domains in order, each n / D times when D divides n); the
    images of a domain are drawn without replacement (with replacement when the domain has too
    few) by `np.random.RandomState(seed)`.

    Args:
        data: A labeled `TrainingData`.
        n: Number of images (>= 1).
        seed: Integer seed.
        img_size: Output side (None: the dataset's resolution); resized as in `augment_image`.
        max_images: As in `make_domain_pair_dataset`.

    Returns:
        (x float32 numpy [n, img_size, img_size, C] in [-1, 1], y int32 numpy [n]).

    Raises:
        DatasetError: Bad `n`, unlabeled dataset or empty domain.
    """
    if not _is_int(n) or n < 1:
        raise DatasetError(f"n must be a positive integer, got {n!r}")
    counts = check_domains(data, max_images)
    size = data.info.resolution if img_size is None else int(img_size)
    labels = _labels(data, data.num_images(max_images))
    rs = np.random.RandomState(seed)
    y = (np.arange(n) * len(counts)) // n
    indices = []
    for d in range(len(counts)):
        members = np.nonzero(labels == d)[0]
        need = int((y == d).sum())
        indices.extend(rs.choice(members, need, replace=need > len(members)).tolist())
    images = np.concatenate([data.load_images(1, int(i))[0] for i in indices])
    x = tf.cast(images, tf.float32)
    if size != data.info.resolution:
        x = tf.image.resize(x, [size, size], method="bilinear", antialias=True)
    x = tf.clip_by_value(x / 127.5 - 1.0, -1.0, 1.0)
    return x.numpy(), y.astype(np.int32)
