"""Minibatch standard deviation layer (Karras et al., "Progressive Growing of GANs", 2018, 3)."""

import keras
import tensorflow as tf


@keras.saving.register_keras_serializable(package="tfgan_fs")
class MinibatchStd(keras.layers.Layer):
    """Appends the per-group standard deviation of the features as extra channels (NHWC).

    The batch is split into groups of G = min(group_size, N) consecutive samples (sample i is in
    group i // G) and the channels into `num_channels` groups; for each (group, channel group) the
    std over the group is averaged over channels and pixels and broadcast as one new channel.

    The reference forms groups with a stride (sample i in group i mod N/G). Consecutive groups
    are statistically the same and make D's output on a global batch independent of how the
    batch is split over replicas, as long as each replica's batch is a multiple of G.

    Args:
        group_size: Samples per group; None = the whole batch. The batch size must be a multiple
            of min(group_size, batch).
        num_channels: Number of std channels appended.
    """

    def __init__(self, group_size=4, num_channels=1, **kwargs):
        kwargs.setdefault("autocast", False)
        super().__init__(**kwargs)
        self.group_size = None if group_size is None else int(group_size)
        self.num_channels = int(num_channels)

    def call(self, x):
        shape = tf.shape(x)
        n, h, w = shape[0], shape[1], shape[2]
        c = x.shape[-1]
        f = self.num_channels
        g = n if self.group_size is None else tf.minimum(self.group_size, n)
        y = tf.reshape(x, [-1, g, h, w, f, c // f])            # [nGHWFc]
        y = y - tf.reduce_mean(y, axis=1, keepdims=True)       # subtract group mean
        y = tf.reduce_mean(tf.square(y), axis=1)               # [nHWFc] variance over group
        y = tf.sqrt(y + 1e-8)                                  # std
        y = tf.reduce_mean(y, axis=[1, 2, 4])                  # [nF] average over pixels, channels
        y = tf.repeat(y, g, axis=0)                            # [NF] back to one row per sample
        y = tf.tile(y[:, tf.newaxis, tf.newaxis, :], [1, h, w, 1])  # [NHWF]
        return tf.concat([x, tf.cast(y, x.dtype)], axis=-1)

    def get_config(self):
        return {**super().get_config(), "group_size": self.group_size,
                "num_channels": self.num_channels}
