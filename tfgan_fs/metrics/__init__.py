"""Evaluation metrics: the math (separate from any feature network), the feature networks
loaded from local files, and the named metrics of StyleGAN2-ADA (`calc_metric`)."""

from tfgan_fs.metrics.detectors import Detectors
from tfgan_fs.metrics.frechet import feature_statistics, frechet_distance
from tfgan_fs.metrics.inception import InceptionV3
from tfgan_fs.metrics.inception_score import inception_score, softmax
from tfgan_fs.metrics.kid import kid
from tfgan_fs.metrics.lpips import LPIPS
from tfgan_fs.metrics.lpips_sets import (intra_cluster_distance, mean_and_std,
                                         mean_pairwise_distance, mean_pairwise_distance_runs,
                                         nearest_distances, pairwise_distance_matrix,
                                         pixel_distance)
from tfgan_fs.metrics.metric_main import MetricContext, calc_metric, report_metric
from tfgan_fs.metrics.names import MetricSpec, parse_metric, parse_metric_list
from tfgan_fs.metrics.path_length import ppl_from_distances
from tfgan_fs.metrics.precision_recall import precision_recall
from tfgan_fs.metrics.vgg16 import VGG16Features
from tfgan_fs.metrics.weights import MissingWeightsError

__all__ = ["Detectors", "InceptionV3", "LPIPS", "MetricContext", "MetricSpec",
           "MissingWeightsError", "VGG16Features", "calc_metric", "feature_statistics",
           "frechet_distance", "inception_score", "intra_cluster_distance", "kid",
           "mean_and_std", "mean_pairwise_distance", "mean_pairwise_distance_runs",
           "nearest_distances", "pairwise_distance_matrix", "parse_metric", "parse_metric_list",
           "pixel_distance", "ppl_from_distances", "precision_recall", "report_metric",
           "softmax"]
