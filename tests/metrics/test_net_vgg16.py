"""VGG16Features: loader wiring (random Keras VGG16 weights in the keras-applications HDF5 layout),
preprocessing, shapes, tf.function, errors."""

import keras
import numpy as np
import pytest
import tensorflow as tf
from net_fixtures import write_legacy_keras_h5

from tfgan_fs.metrics.vgg16 import VGG16Features
from tfgan_fs.metrics.weights import MissingWeightsError

CAFFE_BGR_MEAN = np.array([103.939, 116.779, 123.68])


@pytest.fixture(scope="module")
def vgg(tmp_path_factory):
    keras.utils.set_random_seed(0)
    reference = keras.applications.VGG16(weights=None, include_top=True)
    path = write_legacy_keras_h5(
        tmp_path_factory.mktemp("vgg16") / "vgg16_weights_tf_dim_ordering_tf_kernels.h5",
        reference)
    fc2 = keras.Model(reference.input, reference.get_layer("fc2").output)
    return VGG16Features.load(path), fc2


def expected_features(fc2, images):
    x = tf.image.resize(tf.cast(images, tf.float32), [224, 224], method="bilinear",
                        antialias=True).numpy()
    x = x[..., ::-1] - CAFFE_BGR_MEAN  # RGB -> BGR, Caffe ImageNet mean, no scaling
    return fc2(x.astype(np.float32)).numpy()


def test_features_match_keras_model(vgg):
    net, fc2 = vgg
    images = np.random.RandomState(0).randint(0, 256, (2, 40, 56, 3)).astype(np.uint8)
    features = net(images)
    assert features.shape == (2, 4096) and features.dtype == tf.float32
    expected = expected_features(fc2, images)
    np.testing.assert_allclose(features.numpy(), expected, rtol=1e-4, atol=1e-4 * np.abs(
        expected).max())
    assert np.all(features.numpy() >= 0)  # fc2 includes its ReLU
    compiled = tf.function(net.__call__)
    np.testing.assert_allclose(compiled(tf.constant(images)).numpy(), features.numpy(),
                               rtol=1e-4, atol=1e-4 * np.abs(expected).max())


def test_grayscale_and_float_inputs(vgg):
    net, _ = vgg
    gray = np.random.RandomState(1).randint(0, 256, (1, 300, 250, 1)).astype(np.uint8)
    rgb = np.repeat(gray, 3, axis=-1).astype(np.float32)
    np.testing.assert_allclose(net(gray).numpy(), net(rgb).numpy(), rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="1 or 3 channels"):
        net(np.zeros([1, 8, 8, 2], np.uint8))


def test_bad_vgg16_files(tmp_path):
    garbage = tmp_path / "vgg16.h5"
    garbage.write_bytes(b"not hdf5")
    with pytest.raises(ValueError, match=r"vgg16\.h5.*expected an HDF5") as err:
        VGG16Features.load(str(garbage))
    assert "vgg16_weights_tf_dim_ordering_tf_kernels.h5" in str(err.value)


def test_missing_vgg16_file(tmp_path):
    path = str(tmp_path / "vgg16_weights_tf_dim_ordering_tf_kernels.h5")
    with pytest.raises(MissingWeightsError) as err:
        VGG16Features.load(path)
    message = str(err.value)
    for needed in (path, ("https://storage.googleapis.com/tensorflow/keras-applications/vgg16/"
                          "vgg16_weights_tf_dim_ordering_tf_kernels.h5"), "--vgg16=PATH",
                   "TFGAN_FS_VGG16", "precision/recall"):
        assert needed in message, needed
