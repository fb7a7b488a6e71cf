"""The metric flags shared by tools/train.py and tools/calc_metrics.py."""

from absl import flags


def define_metric_flags(default_metrics, flag_values=flags.FLAGS):
    """Defines --metrics --metric_data --inception --vgg16 --lpips --cache_dir on `flag_values`.

    absl lists them under the --help of this module; a tool lists them under its own --help with
    `flags.adopt_module_key_flags(tfgan_fs.cli.metric_flags)`.
    """
    where = dict(flag_values=flag_values, module_name=__name__)
    flags.DEFINE_string("metrics", default_metrics, "Comma-separated metrics, e.g. "
                        "fid50k_full,kid50k_full,pr50k3_full,is50k,ppl2_wend,lpips_div,"
                        "nn_lpips,intra_lpips,pix_div,nn_pix,intra_pix (or none). See "
                        "README.md, 'Metrics'.", **where)
    flags.DEFINE_string("metric_data", None, "Full real dataset (a --data spec) that fid/kid/pr "
                        "compare with instead of the training data, e.g. all of a target "
                        "domain when training on its first --max_images=10; nn_*/intra_* keep "
                        "the training images (default: the training data).", **where)
    flags.DEFINE_string("inception", None, "FID Inception network: classify_image_graph_def.pb "
                        "(inception-2015-12-05) or a SavedModel directory (for fid/kid/is; "
                        "default $TFGAN_FS_INCEPTION).", **where)
    flags.DEFINE_string("vgg16", None, "Keras VGG16 ImageNet weights with the top "
                        "(vgg16_weights_tf_dim_ordering_tf_kernels.h5) for precision/recall "
                        "(default $TFGAN_FS_VGG16).", **where)
    flags.DEFINE_string("lpips", None, "LPIPS weights converted with tools/convert_lpips.py "
                        "(.npz; VGG for ppl/lpips_div/nn_lpips/intra_lpips; default "
                        "$TFGAN_FS_LPIPS).", **where)
    flags.DEFINE_string("cache_dir", None, "Where real-data statistics are cached "
                        "(default $TFGAN_FS_CACHE or ~/.cache/tfgan_fs/metrics).", **where)


def metric_setup(values):
    """(metric specs, Detectors, StatsCache) from the parsed flags; checks weights up front.

    Raises:
        ValueError: an unknown metric name.
        MissingWeightsError: a metric's feature network file is not there.
    """
    from tfgan_fs.metrics.detectors import Detectors, require_networks
    from tfgan_fs.metrics.names import parse_metric_list
    from tfgan_fs.metrics.stats_cache import StatsCache, default_cache_dir

    specs = parse_metric_list(values.metrics)
    detectors = Detectors(inception=values.inception, vgg16=values.vgg16, lpips=values.lpips)
    require_networks([spec.name for spec in specs], detectors)
    cache = StatsCache(values.cache_dir or default_cache_dir())
    return specs, detectors, cache
