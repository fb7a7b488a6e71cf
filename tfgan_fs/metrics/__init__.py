"""Evaluation metrics; the math is kept separate from any feature network."""

from tfgan_fs.metrics.frechet import feature_statistics, frechet_distance

__all__ = ["feature_statistics", "frechet_distance"]
