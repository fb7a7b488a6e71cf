"""LPIPS (VGG and AlexNet) against an independent NumPy implementation, with random weights."""

import numpy as np
import pytest
import tensorflow as tf
from net_fixtures import lpips_np
from net_fixtures import random_lpips_arrays
from net_fixtures import write_npz

from tfgan_fs.metrics.lpips import LPIPS
from tfgan_fs.metrics.weights import MissingWeightsError

SIZES = {"vgg": 32, "alex": 64}  # all five taps non-empty (vgg relu5_3 2x2, alex relu5 3x3)


@pytest.fixture(scope="module", params=["vgg", "alex"])
def lpips_net(request, tmp_path_factory):
    arrays = random_lpips_arrays(request.param, seed=1)
    path = write_npz(tmp_path_factory.mktemp("lpips") / f"lpips_{request.param}.npz", arrays)
    return LPIPS.load(path), arrays


def image_pair(n, size, seed):
    rng = np.random.RandomState(seed)
    img0 = rng.uniform(-1, 1, (n, size, size, 3)).astype(np.float32)
    img1 = np.clip(img0 + rng.normal(0, 0.3, img0.shape), -1, 1).astype(np.float32)
    return img0, img1


def test_matches_numpy_reference(lpips_net):
    net, arrays = lpips_net
    size = SIZES[net.net]
    img0, img1 = image_pair(3, size, seed=2)
    dist = net(img0, img1)
    assert dist.shape == (3,) and dist.dtype == tf.float32
    np.testing.assert_allclose(dist.numpy(), lpips_np(arrays, img0, img1), rtol=2e-4)
    # A non-square size the strides do not divide evenly (floor-rounded pools).
    h, w = (36, 21) if net.net == "vgg" else (67, 70)
    rng = np.random.RandomState(3)
    a = rng.uniform(-1, 1, (2, h, w, 3)).astype(np.float32)
    b = rng.uniform(-1, 1, (2, h, w, 3)).astype(np.float32)
    np.testing.assert_allclose(net(a, b).numpy(), lpips_np(arrays, a, b), rtol=2e-4)


def test_properties(lpips_net):
    net, _ = lpips_net
    size = SIZES[net.net]
    img0, img1 = image_pair(4, size, seed=4)
    dist = net(img0, img1).numpy()
    # d(x, x) = 0 up to float32 rounding (the two halves of the batched convs may round apart).
    np.testing.assert_allclose(net(img0, img0).numpy(), 0.0, atol=1e-6 * dist.min())
    np.testing.assert_allclose(net(img1, img0).numpy(), dist, rtol=1e-5)
    assert np.all(dist > 0)
    # Per-pair independence: a batch gives each pair's own distance.
    single = np.concatenate([net(img0[i:i + 1], img1[i:i + 1]).numpy() for i in range(4)])
    np.testing.assert_allclose(dist, single, rtol=1e-5)


def test_tf_function_and_gradients(lpips_net):
    net, arrays = lpips_net
    size = SIZES[net.net]
    img0, img1 = image_pair(2, size, seed=5)
    compiled = tf.function(net.__call__)
    np.testing.assert_allclose(compiled(tf.constant(img0), tf.constant(img1)).numpy(),
                               lpips_np(arrays, img0, img1), rtol=2e-4)
    x = tf.Variable(img0)
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(net(x, img1))
    grad = tape.gradient(loss, x)
    assert np.all(np.isfinite(grad.numpy())) and np.any(grad.numpy() != 0)
    assert not net.trainable_variables


def test_same_shape_required(lpips_net):
    net, _ = lpips_net
    size = SIZES[net.net]
    with pytest.raises(ValueError, match="does not resize"):
        net(np.zeros([1, size, size, 3], np.float32), np.zeros([1, size + 8, size, 3], np.float32))
    with pytest.raises(ValueError, match=r"\[N, H, W, 3\]"):
        net(np.zeros([1, size, size, 1], np.float32), np.zeros([1, size, size, 1], np.float32))


def test_bad_npz_files(tmp_path):
    arrays = random_lpips_arrays("alex", seed=0)
    cases = {
        "no_lin": {k: v for k, v in arrays.items() if k != "lin4"},
        "extra": {**arrays, "features.1.kernel": np.zeros([1], np.float32)},
        "shape": {**arrays, "lin2": np.ones([10], np.float32)},
        "net": {**arrays, "net": np.array("squeeze")},
        "negative": {**arrays, "lin0": -arrays["lin0"]},
    }
    expected = {"no_lin": r"missing arrays \['lin4'\]", "extra": r"unknown arrays "
                r"\['features\.1\.kernel'\]", "shape": r"lin2: \(10,\) \(expected \(384,\)\)",
                "net": "'net' must be one of", "negative": "non-negative"}
    for name, bad in cases.items():
        path = write_npz(tmp_path / f"{name}.npz", bad)
        with pytest.raises(ValueError, match=expected[name]) as err:
            LPIPS.load(path)
        assert f"{name}.npz" in str(err.value) and "convert_lpips.py" in str(err.value)
    text = tmp_path / "text.npz"
    text.write_text("not a zip")
    with pytest.raises(ValueError, match="text.npz"):
        LPIPS.load(str(text))


def test_missing_lpips_file(tmp_path):
    path = tmp_path / "lpips_vgg.npz"
    with pytest.raises(MissingWeightsError) as err:
        LPIPS.load(path)
    message = str(err.value)
    for needed in (str(path), "lpips_vgg.npz", "tools/convert_lpips.py", "pip install torch",
                   "lpips/weights/v0.1/vgg.pth",
                   "https://download.pytorch.org/models/vgg16-397923af.pth", "--lpips=PATH",
                   "TFGAN_FS_LPIPS"):
        assert needed in message, needed
