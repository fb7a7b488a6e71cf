"""VGG16 fc2 features (4096-d) for the precision/recall metric (Kynkäänniemi et al. 2019).

Loaded from Keras' ImageNet VGG16 weights with the top,
`vgg16_weights_tf_dim_ordering_tf_kernels.h5` (https://storage.googleapis.com/tensorflow/
keras-applications/vgg16/vgg16_weights_tf_dim_ordering_tf_kernels.h5), into
`keras.applications.VGG16(weights=None, include_top=True)` with `load_weights(path)`; nothing is
downloaded. The features are the output of the `fc2` layer (4096 units, after its ReLU).

Preprocessing of uint8 / float 0-255 images [N, H, W, C] (1-channel images are repeated to 3):
resize to 224x224 with `tf.image.resize(method='bilinear', antialias=True)` (area-like
averaging when downsampling, plain bilinear when upsampling), then
`keras.applications.vgg16.preprocess_input` (RGB -> BGR and the Caffe ImageNet mean subtracted,
no scaling).

The StyleGAN2-ADA reference uses its own TorchScript `vgg16.pt` (a translation of the same
Caffe-trained VGG16), which resizes differently inside the network; pr50k3 values from these
features are therefore close to, but not bit-identical with, the reference's.
"""

import tensorflow as tf

from tfgan_fs.metrics.weights import bad_weights_error, check_exists

IMAGE_SIZE = 224
FEATURE_DIM = 4096


class VGG16Features:
    """VGG16 fc2 feature extractor; build with `VGG16Features.load(path)`.

    The Keras model's weights are variables: load inside `strategy.scope()` to get one copy per
    replica under tf.distribute.

    Attributes:
        model: Keras model mapping preprocessed [N, 224, 224, 3] BGR images to fc2 [N, 4096].
        source: The path loaded from.
    """

    image_size = IMAGE_SIZE
    feature_dim = FEATURE_DIM

    def __init__(self, model, source=None):
        """Wraps a Keras model whose output is the fc2 features; prefer `load`."""
        self.model = model
        self.source = source

    @classmethod
    def load(cls, path, flag=None):
        """Loads vgg16_weights_tf_dim_ordering_tf_kernels.h5 (Keras VGG16 with the top).

        Args:
            path: Path of the .h5 weights (Keras' legacy HDF5 format, or a Keras 3
                `.weights.h5` saved from `keras.applications.VGG16(include_top=True)`).
            flag: Optional flag/argument name to cite in the MissingWeightsError message.

        Raises:
            MissingWeightsError: `path` is None or does not exist.
            ValueError: The file is not VGG16-with-top weights (names the file and the problem).
        """
        import keras

        path = check_exists("vgg16", path, flag)
        import h5py  # a Keras dependency

        if not str(path).endswith((".h5", ".hdf5")) or not h5py.is_hdf5(path):
            raise bad_weights_error("vgg16", path, "expected an HDF5 weights file (.h5)")
        full = keras.applications.VGG16(weights=None, include_top=True)
        try:
            full.load_weights(path)
        except Exception as err:
            raise bad_weights_error("vgg16", path, f"loading the weights failed: {err}") from err
        model = keras.Model(full.input, full.get_layer("fc2").output, name="vgg16_fc2")
        return cls(model, source=path)

    def __call__(self, images):
        """fc2 features [N, 4096] float32 of uint8 / float 0-255 images [N, H, W, C]."""
        import keras

        x = tf.convert_to_tensor(images)
        if x.shape.rank != 4:
            raise ValueError(f"images must be [N, H, W, C], got shape {x.shape}")
        if x.dtype != tf.float32:
            x = tf.cast(x, tf.float32)
        if x.shape[-1] == 1:
            x = tf.tile(x, [1, 1, 1, 3])
        elif x.shape[-1] != 3:
            raise ValueError(f"images must have 1 or 3 channels, got shape {x.shape}")
        x = tf.image.resize(x, [IMAGE_SIZE, IMAGE_SIZE], method="bilinear", antialias=True)
        x = keras.applications.vgg16.preprocess_input(x)
        return tf.cast(self.model(x, training=False), tf.float32)

