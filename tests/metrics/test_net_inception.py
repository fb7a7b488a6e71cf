"""InceptionV3 loader: tiny stand-ins of the TensorFlow FID graph (.pb) and of a SavedModel."""

import numpy as np
import pytest
import tensorflow as tf
from net_fixtures import build_fid_graph_def
from net_fixtures import fid_graph_expected_np
from net_fixtures import tiny_saved_model_expected_np
from net_fixtures import write_tiny_saved_model

from tfgan_fs.metrics.inception import InceptionV3
from tfgan_fs.metrics.weights import MissingWeightsError


@pytest.fixture(scope="module")
def fid_graph(tmp_path_factory):
    data, params = build_fid_graph_def(seed=0, add_shapes=True)
    path = tmp_path_factory.mktemp("inception") / "classify_image_graph_def.pb"
    path.write_bytes(data)
    return InceptionV3.load(str(path)), params


def random_images(n, h=20, w=24, c=3, seed=1):
    return np.random.RandomState(seed).randint(0, 256, (n, h, w, c)).astype(np.uint8)


def test_graph_def_features_and_logits(fid_graph):
    net, params = fid_graph
    assert net.kind == "graph_def" and net.has_logits
    images = random_images(5)
    out = net(images)
    assert set(out) == {"pool_3", "logits"}
    assert out["pool_3"].shape == (5, 2048) and out["pool_3"].dtype == tf.float32
    assert out["logits"].shape == (5, 1008) and out["logits"].dtype == tf.float32
    pool3, logits = fid_graph_expected_np(images, params)
    np.testing.assert_allclose(out["pool_3"].numpy(), pool3, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(out["logits"].numpy(), logits, rtol=1e-4, atol=1e-4)
    # IS logits: pool_3 @ W exactly, without the graph's softmax/biases.
    np.testing.assert_allclose(out["logits"].numpy(),
                               out["pool_3"].numpy() @ params["softmax_w"], rtol=1e-4, atol=1e-4)
    with_bias = pool3 @ params["softmax_w"] + params["softmax_b"]
    assert np.abs(out["logits"].numpy() - with_bias).max() > 1.0


def test_graph_def_batch_sizes_dtypes_and_grayscale(fid_graph):
    net, params = fid_graph
    images = random_images(3, 16, 16)
    one = net(images[:1])["pool_3"].numpy()
    assert one.shape == (1, 2048)
    np.testing.assert_allclose(one, net(images)["pool_3"].numpy()[:1], rtol=1e-5, atol=1e-6)
    as_float = net(images.astype(np.float32))["pool_3"].numpy()
    np.testing.assert_allclose(as_float, net(images)["pool_3"].numpy(), rtol=1e-6)
    gray = random_images(2, 16, 16, c=1)
    np.testing.assert_allclose(net(gray)["pool_3"].numpy(),
                               net(np.repeat(gray, 3, axis=-1))["pool_3"].numpy(), rtol=1e-6)
    np.testing.assert_allclose(net(gray)["pool_3"].numpy(),
                               fid_graph_expected_np(np.repeat(gray, 3, -1), params)[0],
                               rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="1 or 3 channels"):
        net(random_images(1, c=4))
    with pytest.raises(ValueError, match=r"\[N, H, W, C\]"):
        net(random_images(1)[0])


def test_graph_def_in_tf_function_and_strategy(fid_graph):
    net, params = fid_graph
    images = random_images(4, 18, 18)
    expected = fid_graph_expected_np(images, params)

    @tf.function
    def features(x):
        out = net(x)
        return out["pool_3"], out["logits"]

    pool3, logits = features(tf.constant(images))
    np.testing.assert_allclose(pool3.numpy(), expected[0], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(logits.numpy(), expected[1], rtol=1e-4, atol=1e-4)
    # Other sizes and batch sizes through the same traced function (relaxed shapes).
    pool3, _ = features(tf.constant(random_images(2, 30, 11)))
    assert pool3.shape == (2, 2048)

    strategy = tf.distribute.MirroredStrategy(["/cpu:0"])

    @tf.function
    def replica_step(x):
        return strategy.run(lambda y: net(y)["pool_3"], args=(x,))

    np.testing.assert_allclose(replica_step(tf.constant(images)).numpy(), expected[0],
                               rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("add_shapes,device", [(False, None), (True, "/device:GPU:7")])
def test_graph_def_variants(tmp_path, add_shapes, device):
    """Weights behind an Identity (softmax/weights/read), with or without _output_shapes, with
    device assignments in the file that do not exist here."""
    data, params = build_fid_graph_def(seed=4, add_shapes=add_shapes, weights_identity=True,
                                       device=device)
    path = tmp_path / "g.pb"
    path.write_bytes(data)
    net = InceptionV3.load(path)
    images = random_images(2, 9, 13, seed=5)
    pool3, logits = fid_graph_expected_np(images, params)
    out = net(images)
    np.testing.assert_allclose(out["pool_3"].numpy(), pool3, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(out["logits"].numpy(), logits, rtol=1e-4, atol=1e-4)


def test_graph_def_without_softmax_has_no_logits(tmp_path):
    data, params = build_fid_graph_def(seed=2, with_softmax=False)
    path = tmp_path / "g.pb"
    path.write_bytes(data)
    net = InceptionV3.load(str(path))
    out = net(random_images(2, seed=3))
    assert not net.has_logits and out["logits"] is None
    np.testing.assert_allclose(out["pool_3"].numpy(),
                               fid_graph_expected_np(random_images(2, seed=3), params)[0],
                               rtol=1e-5, atol=1e-5)


def test_graph_def_bad_files(tmp_path):
    garbage = tmp_path / "garbage.pb"
    garbage.write_bytes(b"\xff\xff\xff\xff not a protobuf")
    with pytest.raises(ValueError, match="garbage.pb") as err:
        InceptionV3.load(str(garbage))
    assert not isinstance(err.value, MissingWeightsError)
    assert "classify_image_graph_def.pb" in str(err.value)

    graph = tf.Graph()
    with graph.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [None, 4], name="input")
        tf.identity(x, name="output")
    other = tmp_path / "other.pb"
    other.write_bytes(graph.as_graph_def().SerializeToString())
    with pytest.raises(ValueError, match=r"other\.pb.*\['ExpandDims', 'pool_3'\]"):
        InceptionV3.load(str(other))


# --------------------------------------------------------------------------------------------
# SavedModel.

@pytest.fixture(scope="module")
def saved_model(tmp_path_factory):
    path = tmp_path_factory.mktemp("inception_sm") / "inception_savedmodel"
    proj = write_tiny_saved_model(path, with_logits=True)
    return InceptionV3.load(str(path)), proj


def test_saved_model_resize_and_rescale(saved_model):
    net, proj = saved_model
    assert net.kind == "saved_model" and net.has_logits
    images = random_images(3, 40, 33, seed=7)
    images[0] = 0
    images[1] = 255
    out = net(images)
    assert out["pool_3"].shape == (3, 2048) and out["logits"].shape == (3, 1008)
    pool3, logits = tiny_saved_model_expected_np(images, proj)
    np.testing.assert_allclose(out["pool_3"].numpy(), pool3, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(out["logits"].numpy(), logits, rtol=1e-4, atol=1e-4)
    # The documented range: 0 -> -1, 255 -> (255 - 128) / 128; the model saw 299x299 inputs.
    np.testing.assert_allclose(out["pool_3"].numpy()[0, :3], -1.0, atol=1e-6)
    np.testing.assert_allclose(out["pool_3"].numpy()[1, :3], 127 / 128, atol=1e-6)
    np.testing.assert_array_equal(out["pool_3"].numpy()[:, 9:11], 299.0)


def test_saved_model_in_tf_function_and_grayscale(saved_model):
    net, proj = saved_model
    gray = random_images(2, 25, 25, c=1, seed=8)
    expected = tiny_saved_model_expected_np(np.repeat(gray, 3, -1), proj)[0]
    pool3 = tf.function(lambda x: net(x)["pool_3"])(tf.constant(gray))
    np.testing.assert_allclose(pool3.numpy(), expected, rtol=1e-5, atol=1e-5)


def test_saved_model_without_logits(tmp_path):
    path = tmp_path / "sm"
    write_tiny_saved_model(path, with_logits=False)
    net = InceptionV3.load(path)
    out = net(random_images(1))
    assert out["logits"] is None and not net.has_logits and out["pool_3"].shape == (1, 2048)


def test_saved_model_wrong_outputs(tmp_path):
    class Wrong(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None, 299, 299, 3], tf.float32)])
        def serve(self, images):
            return {"features": tf.reduce_mean(images, axis=[1, 2])}

    module = Wrong()
    tf.saved_model.save(module, str(tmp_path / "wrong"),
                        signatures={"serving_default": module.serve})
    with pytest.raises(ValueError, match=r"wrong.*expected a dict with 'pool_3'"):
        InceptionV3.load(str(tmp_path / "wrong"))


def test_missing_inception_file(tmp_path):
    for path in (None, str(tmp_path / "nope" / "classify_image_graph_def.pb")):
        with pytest.raises(MissingWeightsError) as err:
            InceptionV3.load(path)
        message = str(err.value)
        assert "classify_image_graph_def.pb" in message
        assert "http://download.tensorflow.org/models/image/imagenet/inception-2015-12-05.tgz" \
            in message
        assert "--inception" in message and "TFGAN_FS_INCEPTION" in message
        if path:
            assert path in message
    with pytest.raises(MissingWeightsError, match="--fid_net=PATH"):
        InceptionV3.load(None, flag="--fid_net")
    assert issubclass(MissingWeightsError, FileNotFoundError)
