"""Where the metric feature networks' weight files come from; errors for missing or bad files.

Nothing in tfgan_fs downloads weights. Each feature network is loaded from a local file that the
user fetched (or converted) once; a missing file raises `MissingWeightsError` whose message says
which file is needed, where it comes from and which flag, argument or environment variable
points to it. A file that exists but is not what was expected raises `ValueError` naming the
file (see `bad_weights_error`).
"""

import dataclasses
import os


class MissingWeightsError(FileNotFoundError):
    """A feature network's weight file was not given or does not exist."""


@dataclasses.dataclass(frozen=True)
class WeightsInfo:
    """How to obtain one network's weights.

    Attributes:
        title: What the network is.
        filename: The file name the loader expects (e.g. classify_image_graph_def.pb).
        source: How to obtain the file (URL, package, conversion command).
        flag: Command-line flag of tools/train.py / tools/calc_metrics.py that names the file.
        argument: Python argument (of `Detectors` and of the loaders) that names the file.
        env: Environment variable read when neither is given.
        used_by: Metrics that need the network.
    """

    title: str
    filename: str
    source: str
    flag: str
    argument: str
    env: str
    used_by: str


INCEPTION_URL = "http://download.tensorflow.org/models/image/imagenet/inception-2015-12-05.tgz"
VGG16_URL = ("https://storage.googleapis.com/tensorflow/keras-applications/vgg16/"
             "vgg16_weights_tf_dim_ordering_tf_kernels.h5")
TORCHVISION_URLS = {
    "vgg": "https://download.pytorch.org/models/vgg16-397923af.pth",
    "alex": "https://download.pytorch.org/models/alexnet-owt-7be5be79.pth",
}
LPIPS_LIN_SOURCE = ("lpips/weights/v0.1/{net}.pth inside the `lpips` pip package (pip download "
                    "lpips) or https://github.com/richzhang/PerceptualSimilarity/raw/master/"
                    "lpips/weights/v0.1/{net}.pth")

WEIGHTS = {
    "inception": WeightsInfo(
        title="Inception-v3 FID/IS graph (TensorFlow 2015-12-05 release, as used by TTUR FID "
              "and the StyleGAN2-ADA reference)",
        filename="classify_image_graph_def.pb",
        source=(f"download {INCEPTION_URL} and extract it (tar xzf inception-2015-12-05.tgz "
                "classify_image_graph_def.pb); a SavedModel directory with a serving signature "
                "returning pool_3 (and logits) is also accepted, but only the .pb reproduces "
                "published FIDs exactly"),
        flag="--inception",
        argument="inception",
        env="TFGAN_FS_INCEPTION",
        used_by="FID, KID, IS"),
    "vgg16": WeightsInfo(
        title="Keras ImageNet VGG16 with the top (fc2 features)",
        filename="vgg16_weights_tf_dim_ordering_tf_kernels.h5",
        source=f"download {VGG16_URL}",
        flag="--vgg16",
        argument="vgg16",
        env="TFGAN_FS_VGG16",
        used_by="precision/recall (pr50k3)"),
    "lpips": WeightsInfo(
        title="LPIPS v0.1 (VGG16 backbone; AlexNet also supported)",
        filename="lpips_vgg.npz",
        source=("convert once with `python tools/convert_lpips.py --net=vgg "
                "--lin=vgg.pth --backbone=vgg16-397923af.pth --dest=lpips_vgg.npz` (needs "
                "`pip install torch` for the conversion only); the calibration weights are "
                + LPIPS_LIN_SOURCE.format(net="vgg") + ", the backbone is torchvision's "
                + TORCHVISION_URLS["vgg"]),
        flag="--lpips",
        argument="lpips",
        env="TFGAN_FS_LPIPS",
        used_by="PPL, the LPIPS metrics and GAN inversion (tools/project.py)"),
}


def missing_weights_message(name, path=None, metric=None, flag=None):
    """The message of a MissingWeightsError for network `name` ('inception', 'vgg16', 'lpips').

    Args:
        name: Key of `WEIGHTS`.
        path: The path that was given (None when none was given).
        metric: Optional metric name that needs the network (mentioned in the message).
        flag: Optional flag or argument name to mention instead of the default one.

    Returns:
        A multi-line string: what is needed and why, where it comes from, how to point to it.
    """
    info = WEIGHTS[name]
    needed_by = f"metric {metric}" if metric else info.used_by
    if path is None or path == "":
        first = f"{info.title} is needed for {needed_by}, but no weights file was given."
    else:
        first = (f"{info.title} is needed for {needed_by}, but the weights file "
                 f"'{os.fspath(path)}' does not exist.")
    return (f"{first}\n"
            f"  Needed file: {info.filename}\n"
            f"  Get it: {info.source}\n"
            f"  Point to it with {flag or info.flag}=PATH (Python: {info.argument}=PATH, or set "
            f"${info.env}). Nothing is downloaded automatically.")


def check_exists(name, path, flag=None):
    """Raises MissingWeightsError for network `name` unless `path` exists; returns the path."""
    if path is None or os.fspath(path) == "" or not os.path.exists(path):
        raise MissingWeightsError(missing_weights_message(name, path, flag=flag))
    return os.fspath(path)


def bad_weights_error(name, path, problem):
    """A ValueError for a file that exists but is not the expected weights of network `name`."""
    info = WEIGHTS[name]
    problem = str(problem).strip().rstrip(".")
    return ValueError(f"'{os.fspath(path)}' is not a valid {info.title} weights file "
                      f"(expected {info.filename}): {problem}. Get the right file: "
                      f"{info.source}")
