"""StarGAN v2 data streams: class balance, reference pairs, resume, shards, crops, domains."""

import math
import os

import numpy as np
import pytest
import tensorflow as tf
from data_fixtures import save_image

from tfgan_fs.data import DatasetError
from tfgan_fs.data import DatasetInfo
from tfgan_fs.data import convert_dataset
from tfgan_fs.data import domain_pairs
from tfgan_fs.data.array_data import ArrayData
from tfgan_fs.data.image_folder import ImageFolderData
from tfgan_fs.data.tfrecord_data import TFRecordData

SIZE = 16


def constant_images(labels, size=SIZE):
    """One constant-colour image per label: R = index % 256, G = index // 256, B = 40 * label."""
    n = len(labels)
    images = np.zeros([n, size, size, 3], np.uint8)
    images[..., 0] = (np.arange(n) % 256)[:, None, None]
    images[..., 1] = (np.arange(n) // 256)[:, None, None]
    images[..., 2] = (40 * np.asarray(labels))[:, None, None]
    return images


def array_data(labels, images=None, class_names=None, name="toy"):
    labels = np.asarray(labels, np.int64)
    num_classes = len(class_names) if class_names else int(labels.max()) + 1
    images = constant_images(labels) if images is None else images
    info = DatasetInfo(name=name, resolution=images.shape[1], channels=images.shape[3],
                       count=len(labels), num_classes=num_classes,
                       class_names=class_names or tuple(f"c{i}" for i in range(num_classes)),
                       label_counts=tuple(np.bincount(labels, minlength=num_classes).tolist()))
    return ArrayData(info, images, labels)


def identities(x):
    """Image indices of constant images (float [-1, 1]) made by `constant_images`."""
    x = np.rint((np.asarray(x) + 1) * 127.5).astype(np.int64)
    assert (x == x[:, :1, :1, :]).all(), "images are not constant"
    return x[:, 0, 0, 0] + 256 * x[:, 0, 0, 1]


def take(ds, k):
    return [tuple(np.asarray(t) for t in batch) for batch in ds.take(k)]


def test_class_balanced_sources_and_same_domain_reference_pairs():
    labels = np.array([0] * 90 + [1] * 10)  # 90/10 split.
    data = array_data(labels)
    ds = domain_pairs.make_domain_pair_dataset(data, 64, seed=3, randcrop_prob=0.0)
    batches = take(ds, 6)
    x_src, y_src, x_ref, x_ref2, y_ref = (np.concatenate(t) for t in zip(*batches))
    assert x_src.shape == (384, SIZE, SIZE, 3) and x_src.dtype == np.float32
    assert y_src.dtype == np.int32 and y_src.shape == (384,)
    # Domain frequencies ~ 1/2 each: binomial(384, 1/2) sd = 0.0255; 4 sd = 0.102.
    for y in (y_src, y_ref):
        assert abs(y.mean() - 0.5) < 0.102
    # Images carry their identity (flips keep constant images), labels match the images.
    i_src, i_ref, i_ref2 = identities(x_src), identities(x_ref), identities(x_ref2)
    np.testing.assert_array_equal(labels[i_src], y_src)
    np.testing.assert_array_equal(labels[i_ref], y_ref)
    np.testing.assert_array_equal(labels[i_ref2], y_ref)
    # Within a domain images are uniform: the 10 minority images each appear (~19 times each in
    # ~192 draws; P(one missing) < 10 * 0.9^150 ~ 1e-6), and x_ref2 is drawn apart from x_ref.
    assert set(i_src[y_src == 1]) == set(range(90, 100))
    minority = y_ref == 1
    same = (i_ref == i_ref2)[minority].mean()  # P = 1/10 for independent draws.
    assert 0.0 < same < 0.3
    # The source and reference streams are independent draws.
    assert (y_src != y_ref).any()


def test_ref2_permutation_fixes_partners():
    labels = np.array([0] * 6 + [1] * 5)
    data = array_data(labels)
    ds = domain_pairs.make_domain_pair_dataset(data, 32, seed=0, randcrop_prob=0.0,
                                               ref2="permutation")
    _, _, x_ref, x_ref2, y_ref = (np.concatenate(t) for t in zip(*take(ds, 4)))
    i_ref, i_ref2 = identities(x_ref), identities(x_ref2)
    np.testing.assert_array_equal(labels[i_ref2], y_ref)
    partners = {}
    for a, b in zip(i_ref, i_ref2):
        assert partners.setdefault(a, b) == b  # One fixed partner per image.
    # The partners are a permutation of each domain.
    assert len(set(partners.values())) == len(partners)


def test_resume_and_shards_reproduce_the_global_batches():
    data = array_data(np.array([0] * 7 + [1] * 3 + [2] * 6))
    kwargs = dict(seed=11, img_size=8, randcrop_prob=0.5, num_parallel_calls=2)
    full = take(domain_pairs.make_domain_pair_dataset(data, 4, **kwargs), 4)
    resumed = take(domain_pairs.make_domain_pair_dataset(data, 4, start_step=2, **kwargs), 2)
    for a, b in zip(full[2:], resumed):
        for ta, tb in zip(a, b):
            np.testing.assert_array_equal(ta, tb)
    # One pipeline feeding 2 replicas: per-replica batches alternate replica 0, replica 1.
    one = take(domain_pairs.make_domain_pair_dataset(data, 4, shard=(0, 1, 2), **kwargs), 8)
    # Two pipelines, one replica each.
    two = [take(domain_pairs.make_domain_pair_dataset(data, 4, shard=(p, 2, 2), **kwargs), 4)
           for p in range(2)]
    for step in range(4):
        for k in range(5):
            np.testing.assert_array_equal(
                np.concatenate([one[2 * step][k], one[2 * step + 1][k]]), full[step][k])
            np.testing.assert_array_equal(
                np.concatenate([two[0][step][k], two[1][step][k]]), full[step][k])
    with pytest.raises(DatasetError, match="not divisible"):
        domain_pairs.make_domain_pair_dataset(data, 4, shard=(0, 1, 3), **kwargs)


def test_seed_changes_the_stream():
    data = array_data(np.array([0, 1] * 4))
    a = take(domain_pairs.make_domain_pair_dataset(data, 8, seed=1), 1)[0]
    b = take(domain_pairs.make_domain_pair_dataset(data, 8, seed=2), 1)[0]
    assert not np.array_equal(a[0], b[0])


def torchvision_get_params(u, height, width, scale=(0.8, 1.0), ratio=(0.9, 1.1)):
    """A hand-written NumPy port of torchvision's RandomResizedCrop.get_params (given draws)."""
    area = height * width
    log_ratio = (math.log(ratio[0]), math.log(ratio[1]))
    for t in range(10):
        target_area = area * (scale[0] + (scale[1] - scale[0]) * u[1 + t])
        aspect = math.exp(log_ratio[0] + (log_ratio[1] - log_ratio[0]) * u[11 + t])
        w = int(round(math.sqrt(target_area * aspect)))
        h = int(round(math.sqrt(target_area / aspect)))
        if 0 < w <= width and 0 < h <= height:
            i = int(u[21] * (height - h + 1))
            j = int(u[22] * (width - w + 1))
            return i, j, h, w
    in_ratio = width / height
    if in_ratio < min(ratio):
        w, h = width, int(round(width / min(ratio)))
    elif in_ratio > max(ratio):
        h, w = height, int(round(height * max(ratio)))
    else:
        w, h = width, height
    return (height - h) // 2, (width - w) // 2, h, w


@pytest.mark.parametrize("height,width,u_override", [
    (32, 32, None),
    (256, 256, None),
    (32, 32, 0.999),  # Every try too large (area ~1, ratio 1.1): centre-crop fallback.
    (10, 30, 0.999),  # Fallback of a wide image: clamped to ratio 1.1.
    (30, 10, 0.999),  # Fallback of a tall image: clamped to ratio 0.9.
])
def test_crop_params_match_torchvision_get_params(height, width, u_override):
    rs = np.random.RandomState(height * 1000 + width)
    fn = tf.function(lambda u: domain_pairs.random_resized_crop_params(u, height, width))
    for _ in range(200 if u_override is None else 3):
        u = rs.uniform(size=domain_pairs.NUM_AUGMENT_UNIFORMS)
        if u_override is not None:
            u[1:21] = u_override
        got = tuple(int(v) for v in fn(tf.constant(u)))
        assert got == torchvision_get_params(u, height, width), u


def test_random_resized_crop_of_a_coordinate_ramp():
    """Crops of an image whose pixels encode their coordinates stay within the crop bounds."""
    s = 32
    ramp = np.zeros([1, s, s, 3], np.uint8)
    ramp[0, :, :, 0] = 8 * np.arange(s)[None, :]  # x.
    ramp[0, :, :, 1] = 8 * np.arange(s)[:, None]  # y.
    data = array_data(np.array([0]), images=ramp)
    x = take(domain_pairs.make_domain_pair_dataset(data, 128, seed=5, randcrop_prob=1.0), 1)[0][0]
    coords = (x + 1) * 127.5 / 8  # Source coordinates sampled by each output pixel.
    # Interior pixels step by crop_side / s (bilinear upscaling of a linear ramp is exact).
    dx = coords[:, 10, 1:-1, 0] - coords[:, 10, :-2, 0]
    dy = coords[:, 1:-1, 10, 1] - coords[:, :-2, 10, 1]
    step_x, step_y = np.median(dx, axis=1), np.median(dy, axis=1)
    flipped = step_x < 0
    w, h = np.abs(step_x) * s, step_y * s
    np.testing.assert_allclose(w, np.rint(w), atol=1e-3)  # Integer crop sides.
    np.testing.assert_allclose(h, np.rint(h), atol=1e-3)
    w, h = np.rint(w), np.rint(h)
    # Area fraction in [0.8, 1] and ratio in [0.9, 1.1], up to the rounding of w and h to pixels.
    frac = w * h / s**2
    assert (frac >= 0.8 - 2 * (1 / s)).all() and (frac <= 1.0).all()
    assert (w / h >= 0.9 - 1.5 / s).all() and (w / h <= 1.1 + 1.5 / s).all()
    # Output pixels 0 and s-1 sample the crop's first and last columns (the upscaling clamps at
    # the crop's edges), so the crop spans source columns [left, left + w - 1] inside [0, s).
    first, last = coords[:, 10, 0, 0], coords[:, 10, -1, 0]
    left, right = np.where(flipped, last, first), np.where(flipped, first, last)
    np.testing.assert_allclose(left, np.rint(left), atol=1e-3)
    np.testing.assert_allclose(right - left, w - 1, atol=1e-3)
    assert (np.rint(left) >= 0).all() and (np.rint(left) + w <= s).all()
    # Both flips occur (p = 1/2 each over 128 images).
    assert 0 < flipped.sum() < 128
    # Area fractions cover their range: mean of U(0.8, 1) is 0.9 (sd of the mean ~0.005).
    assert abs(frac.mean() - 0.9) < 0.03


def test_uncropped_images_are_resized_or_kept():
    images = np.random.RandomState(0).randint(0, 256, [2, 32, 32, 3]).astype(np.uint8)
    data = array_data(np.array([0, 1]), images=images)
    x, y = take(domain_pairs.make_domain_pair_dataset(data, 16, seed=0, randcrop_prob=0.0,
                                                      img_size=16), 1)[0][:2]
    # Without a crop the whole image is resized (antialiased, PIL-like) and maybe flipped; image
    # k has label k here.
    for xi, yi in zip(x, y):
        want = tf.image.resize(tf.cast(images[yi], tf.float32), [16, 16], antialias=True)
        want = want.numpy() / 127.5 - 1
        assert (np.allclose(xi, want, atol=1e-5) or np.allclose(xi, want[:, ::-1], atol=1e-5))
    # At the dataset's resolution an uncropped image is the source itself (maybe flipped).
    ds = domain_pairs.make_domain_pair_dataset(data, 16, seed=0, randcrop_prob=0.0)
    x, y = take(ds, 1)[0][:2]
    for xi, yi in zip(x, y):
        want = images[yi].astype(np.float32) / np.float32(127.5) - np.float32(1)
        assert np.array_equal(xi, want) or np.array_equal(xi[:, ::-1], want)


def test_domains_from_subfolders_and_dataset_tool(tmp_path):
    root = str(tmp_path / "afhq" / "train")
    counts = {"cat": 3, "dog": 2, "wild": 4}
    domain_of = np.repeat([0, 1, 2], [3, 2, 4])
    images = iter(constant_images(domain_of))  # Image k has identity k (sorted path order).
    for domain, count in counts.items():
        for i in range(count):
            save_image(os.path.join(root, domain, f"{i}.png"), next(images))
    data = domain_pairs.open_domain_dataset(root)
    assert isinstance(data, ImageFolderData)
    assert domain_pairs.domain_names(data) == ("cat", "dog", "wild")
    np.testing.assert_array_equal(domain_pairs.domain_counts(data), [3, 2, 4])
    batch = take(domain_pairs.make_domain_pair_dataset(data, 6, seed=0, randcrop_prob=0.0), 1)[0]
    for xi, yi in ((0, 1), (2, 4), (3, 4)):
        np.testing.assert_array_equal(domain_of[identities(batch[xi])], batch[yi])

    dest = str(tmp_path / "afhq_tfr")
    convert_dataset(root, dest, labels="folders", progress=False)
    converted = domain_pairs.open_domain_dataset(dest)
    assert isinstance(converted, TFRecordData)
    assert domain_pairs.domain_names(converted) == ("cat", "dog", "wild")
    again = take(domain_pairs.make_domain_pair_dataset(converted, 6, seed=0,
                                                       randcrop_prob=0.0), 1)[0]
    for a, b in zip(batch, again):  # Same images in the same order: the same stream.
        np.testing.assert_array_equal(a, b)


def test_errors_for_unlabeled_data_and_empty_domains(tmp_path):
    images = constant_images(np.zeros(4, np.int64))
    unlabeled = ArrayData(DatasetInfo(name="plain", resolution=SIZE, channels=3, count=4),
                          images)
    with pytest.raises(DatasetError, match="StarGAN v2 needs domain labels: dataset plain"):
        domain_pairs.make_domain_pair_dataset(unlabeled, 2, seed=0)
    with pytest.raises(DatasetError, match="StarGAN v2 needs domain labels"):
        domain_pairs.domain_names(unlabeled)
    gap = array_data(np.array([0, 0, 2, 2]), class_names=("a", "b", "c"))
    with pytest.raises(DatasetError, match=r"domain 'b' \(1\) of dataset toy has none"):
        domain_pairs.make_domain_pair_dataset(gap, 2, seed=0)
    cut = array_data(np.array([0, 0, 1, 1]))
    with pytest.raises(DatasetError, match="has none among the first --max_images=2"):
        domain_pairs.make_domain_pair_dataset(cut, 2, seed=0, max_images=2)
    with pytest.raises(DatasetError, match="randcrop_prob"):
        domain_pairs.make_domain_pair_dataset(cut, 2, seed=0, randcrop_prob=1.5)
    # A plain folder whose images are not all in domain sub-folders.
    root = str(tmp_path / "flat")
    save_image(os.path.join(root, "a.png"), images[0])
    save_image(os.path.join(root, "cat", "b.png"), images[1])
    with pytest.raises(DatasetError, match="StarGAN v2 needs domain labels: .*a.png"):
        domain_pairs.open_domain_dataset(root)


def test_domain_names_of_numbered_classes_and_builtin_shapes():
    data = array_data(np.array([0, 1]), class_names=("0", "1"))
    assert domain_pairs.domain_names(data) == ("domain0", "domain1")
    shapes = domain_pairs.open_domain_dataset("builtin:shapes?resolution=16&count=64")
    assert domain_pairs.domain_names(shapes) == ("circle", "square", "triangle", "ring")
    np.testing.assert_array_equal(domain_pairs.check_domains(shapes), [16, 16, 16, 16])


def test_fixed_domain_samples_are_balanced_and_deterministic():
    labels = np.array([0] * 9 + [1] * 2 + [2] * 5)
    data = array_data(labels)
    x, y = domain_pairs.fixed_domain_samples(data, 6, seed=4)
    np.testing.assert_array_equal(y, [0, 0, 1, 1, 2, 2])
    ids = identities(x)
    np.testing.assert_array_equal(labels[ids], y)
    assert len(set(ids)) == 6  # Without replacement where the domain is large enough.
    again, _ = domain_pairs.fixed_domain_samples(data, 6, seed=4)
    np.testing.assert_array_equal(x, again)
    small, _ = domain_pairs.fixed_domain_samples(data, 3, seed=4, img_size=8)
    assert small.shape == (3, 8, 8, 3)
