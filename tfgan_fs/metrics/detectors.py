"""The feature networks a metrics run uses, loaded once and only when a metric needs them.

Each network comes from a local file the user names (a flag, or an environment variable so that
`tools/train.py --metrics=...` and `tools/calc_metrics.py` share the setting). Nothing is
downloaded. Tests pass tiny stand-in networks directly.
"""

import os

from tfgan_fs.metrics.inception import InceptionV3
from tfgan_fs.metrics.lpips import LPIPS
from tfgan_fs.metrics.names import network_of, parse_metric
from tfgan_fs.metrics.vgg16 import VGG16Features
from tfgan_fs.metrics.weights import MissingWeightsError, missing_weights_message

ENV = {"inception": "TFGAN_FS_INCEPTION", "vgg16": "TFGAN_FS_VGG16", "lpips": "TFGAN_FS_LPIPS"}


class Detectors:
    """Lazily loaded feature networks.

    Args:
        inception: Path of the FID Inception graph (.pb) or SavedModel, or a loaded network.
        vgg16: Path of the VGG16 weights for precision/recall, or a loaded network.
        lpips: Path of converted LPIPS weights (.npz), or a loaded network.
        Unset paths fall back to $TFGAN_FS_INCEPTION, $TFGAN_FS_VGG16, $TFGAN_FS_LPIPS.
    """

    def __init__(self, inception=None, vgg16=None, lpips=None):
        self._sources = {"inception": inception, "vgg16": vgg16, "lpips": lpips}
        for name, value in self._sources.items():
            if value is None and os.environ.get(ENV[name]):
                self._sources[name] = os.environ[ENV[name]]
        self._loaded = {}

    def source(self, name):
        """The path (or object) configured for network `name`, or None."""
        return self._sources[name]

    def require(self, name, metric):
        """Raises MissingWeightsError if network `name` is not configured (checked up front)."""
        source = self._sources[name]
        if source is None or (isinstance(source, (str, os.PathLike)) and
                              not os.path.exists(source)):
            raise MissingWeightsError(missing_weights_message(name, source, metric))

    def get(self, name, metric):
        """The loaded network `name`, for metric `metric` (named in errors)."""
        if name not in self._loaded:
            self.require(name, metric)
            source = self._sources[name]
            if isinstance(source, (str, os.PathLike)):
                source = _LOADERS[name].load(source)
            self._loaded[name] = source
        return self._loaded[name]


def require_networks(metric_names, detectors):
    """Checks that every metric's feature network is configured (before any work starts)."""
    for name in metric_names:
        network = network_of(parse_metric(name))
        if network is not None:  # the pix_* metrics need none
            detectors.require(network, name)


_LOADERS = {"inception": InceptionV3, "vgg16": VGG16Features, "lpips": LPIPS}
