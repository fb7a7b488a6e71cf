"""`ImageFolderData`: train directly from a plain folder of images, without converting it.

Images (.png .jpg .jpeg .bmp .webp) are listed recursively and sorted by relative path. Labels
come from a root `dataset.json` in the NVlabs format (`{"labels": [["rel/path.png", 3], ...]}`)
when there is one; every image must then have a label. With `labels='folders'` the first-level
sub-folder of each image is its class instead (classes sorted by name, like dataset_tool's
--labels=folders), e.g. the AFHQ layout `train/{cat,dog,wild}/*.jpg` for StarGAN v2 domains.

All images must share one square power-of-two size. Only the *first* image is checked when the
folder is opened (opening stays instant for large folders); it also fixes the channel count
(grayscale -> 1, anything else -> 3). Every other image is checked when the pipeline decodes it:
alpha is dropped, grayscale/RGB are converted to the dataset's channel count, and an image of a
different size stops training with an InvalidArgumentError that names its path. Convert the folder
with tools/dataset_tool.py to check everything up front.
"""

import os

import numpy as np
import tensorflow as tf

from tfgan_fs.data import image_sources
from tfgan_fs.data.dataset_info import DatasetError
from tfgan_fs.data.dataset_info import DatasetInfo
from tfgan_fs.data.dataset_info import is_power_of_two
from tfgan_fs.data.training_data import TrainingData

_GRAYSCALE_MODES = ("1", "L", "LA", "I", "I;16", "F")
LABEL_MODES = ("auto", "folders")


def decode_to_channels(data, channels):
    """Decodes image bytes (PNG, JPEG, BMP, GIF, WebP) to uint8 [H, W, `channels`].

    Args:
        data: Scalar string tensor of encoded bytes.
        channels: 1 or 3.

    Returns:
        uint8 tensor [H, W, channels] (H and W dynamic).
    """
    image = tf.io.decode_image(data, channels=0, dtype=tf.uint8, expand_animations=False)
    have = tf.shape(image)[2]
    image = image[:, :, :tf.where(have >= 3, 3, 1)]  # Drop alpha.
    if channels == 3:
        return tf.cond(tf.shape(image)[2] == 1, lambda: tf.tile(image, [1, 1, 3]),
                       lambda: image)
    return tf.cond(
        tf.shape(image)[2] == 3,
        lambda: tf.cast(tf.round(tf.image.rgb_to_grayscale(tf.cast(image, tf.float32))),
                        tf.uint8),
        lambda: image)


class ImageFolderData(TrainingData):
    """A folder of images used as training data.

    Args:
        root: The folder.
        labels: 'auto' (the root `dataset.json` labels if there is one, else unlabeled) or
            'folders' (first-level sub-folder name = class; `dataset.json` is ignored).

    Raises:
        DatasetError: No images, unreadable or non-square/non-power-of-two first image, bad
            `dataset.json` labels, or (with 'folders') an image outside any sub-folder.
    """

    def __init__(self, root, labels="auto"):
        if labels not in LABEL_MODES:
            raise DatasetError(f"labels={labels!r} is not one of {', '.join(LABEL_MODES)}")
        source = image_sources.FolderSource(root)
        names = source.names
        if not names:
            raise DatasetError(f"{root}: no images found "
                               f"({' '.join(image_sources.IMAGE_EXTENSIONS)})")
        first = source.describe(names[0])
        try:
            image = image_sources.load_bytes_image(source.read(names[0]))
        except Exception as e:  # PIL raises many types for corrupt data.
            raise DatasetError(f"{first}: cannot read image: {e}") from None
        w, h = image.size
        if w != h or not is_power_of_two(w):
            raise DatasetError(f"{first}: image is {w}x{h}, but training from a folder needs "
                               f"square power-of-two images (convert with tools/dataset_tool.py "
                               f"--transform=center-crop --resolution=N)")
        channels = 1 if image.mode in _GRAYSCALE_MODES else 3

        if labels == "folders":
            label_list, class_names = image_sources.folder_class_labels(names, root)
        else:
            mapping = source.read_labels_file()
            label_list, class_names = None, None
            if mapping is not None:
                label_list, class_names = image_sources.json_class_labels(
                    names, mapping, os.path.join(root, image_sources.LABELS_FILENAME))
        label_counts = None
        if label_list is not None:
            label_counts = tuple(int(c) for c in np.bincount(label_list,
                                                             minlength=len(class_names)))
        info = DatasetInfo(
            name=os.path.basename(os.path.normpath(os.path.abspath(root))), resolution=w,
            channels=channels, count=len(names), num_classes=len(class_names or ()),
            class_names=class_names, label_counts=label_counts)
        super().__init__(info)
        self._paths = [source.describe(n) for n in names]
        self._labels = np.asarray(label_list if label_list is not None else [-1] * len(names),
                                  np.int64)
        with tf.device("/cpu:0"):  # The input pipeline runs on the host.
            self._paths_t = tf.constant(self._paths)
            self._labels_t = tf.constant(self._labels)

    def _decode_path(self, path):
        image = decode_to_channels(tf.io.read_file(path), self.info.channels)
        same_size = tf.reduce_all(tf.equal(tf.shape(image), self.info.shape))
        check = tf.debugging.Assert(same_size, [
            "image", path, "has shape", tf.shape(image), "but the first image is",
            tf.constant(self.info.shape), "(all images in the folder must be the same size)"])
        with tf.control_dependencies([check]):
            image = tf.identity(image)
        return tf.ensure_shape(image, self.info.shape)

    def _decode_item(self, item):
        return self._decode_path(tf.gather(self._paths_t, item)), tf.gather(self._labels_t, item)

    def _read_labels(self, n):
        return self._labels[:n].copy()

    def _read_images(self, n, start):
        images = np.stack([self._decode_path(tf.constant(p)).numpy()
                           for p in self._paths[start:start + n]])
        return images, self._labels[start:start + n].copy()
