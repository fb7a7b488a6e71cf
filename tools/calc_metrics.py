"""Compute quality metrics of a trained generator (G_ema of a run or checkpoint).

Example:
    python tools/calc_metrics.py --metrics=fid50k_full,kid50k_full \
        --network=training-runs/00003-afhqcat-mirror-paper512 \
        --inception=weights/classify_image_graph_def.pb

Few-shot runs: the training images are the run's first --max_images of --data; FID/KID/PR can
compare with a separate full real set instead (--metric_data, default: the run's).

StarGAN v2 runs (--method=stargan_v2 or tools/convert_stargan_v2.py output; its EMA networks):
the evaluation protocol of the paper, fid_latent, lpips_latent, fid_reference, lpips_reference
(tfgan_fs/metrics/translation.py), on the validation images of --val_data:
    python tools/calc_metrics.py --network=runs/afhq-stargan_v2 \
        --metrics=fid_latent,lpips_latent,fid_reference,lpips_reference \
        --data=datasets/afhq-train --val_data=datasets/afhq-val \
        --inception=weights/classify_image_graph_def.pb --lpips=weights/lpips_alex.npz

Prints one JSON line per metric and appends it to the run directory's metric-<name>.jsonl.
Real-data statistics are cached (--cache_dir) and reused while the dataset and the feature
network are unchanged. Weight files: see README.md, "Metrics".
"""

import os

from absl import app
from absl import flags

from tfgan_fs.cli.errors import fail
from tfgan_fs.cli import metric_flags

FLAGS = flags.FLAGS
flags.DEFINE_string("network", None, "Run directory or checkpoint to evaluate (its G_ema), or "
                    "an official network pickle (.pkl: StyleGAN2-ADA, GGDR) or a rosinality "
                    "checkpoint (.pt: StyleGAN-NADA, CDC, MixDL), converted on the fly.")
flags.DEFINE_string("data", None, "Dataset of the training images (default: the run's --data).")
flags.DEFINE_integer("max_images", None, "The run's training images: the first N of --data, "
                     "which the few-shot metrics (nn_*, intra_*) compare samples with "
                     "(default: the run's).")
flags.DEFINE_integer("batch", 64, "Images per feature-extraction batch (all replicas); for the "
                     "StarGAN v2 metrics, source images per translation call.")
flags.DEFINE_integer("seed", 0, "Seed of the generated samples (StarGAN v2: of the latent codes "
                     "and the reference draws).")
flags.DEFINE_string("val_data", None, "StarGAN v2 metrics (fid_latent, lpips_latent, "
                    "fid_reference, lpips_reference; all four by default on a StarGAN v2 run): "
                    "the validation images, with the same domains as --data (one sub-folder "
                    "per domain, or a labeled dataset); each is translated into every other "
                    "domain (default: the run's --val_data).")
metric_flags.define_metric_flags(default_metrics="fid50k_full")
flags.adopt_module_key_flags(metric_flags)  # list them under --help too
flags.mark_flags_as_required(["network"])


def main(argv):
    if len(argv) > 1:
        fail(f"unexpected arguments {argv[1:]}")
    from absl import logging
    logging.set_verbosity(logging.WARNING)

    from tfgan_fs.cli.metric_flags import metric_setup
    from tfgan_fs.convert.sources import load_generator
    from tfgan_fs.data import DatasetError, open_dataset
    from tfgan_fs.metrics.metric_main import (MetricContext, calc_metric, open_metric_data,
                                              report_metric)
    from tfgan_fs.metrics.names import is_translation_metric
    from tfgan_fs.metrics.weights import MissingWeightsError
    from tfgan_fs.runs import checkpoints
    from tfgan_fs.methods.registry import BUILTIN
    from tfgan_fs.training.strategy import make_strategy

    try:
        if not os.path.isfile(FLAGS.network):
            ckpt = checkpoints.find_checkpoint(FLAGS.network)
            run_dir = ckpt.parent.parent
            options_path = run_dir / "training_options.json"
            options = (BUILTIN.options_from_json(options_path.read_text())
                       if options_path.exists() else None)
            if _is_stargan_v2(ckpt):
                _translation_metrics(ckpt, run_dir, options)
                return
        else:  # a network file: results are printed, there is no run dir to append them to
            ckpt, run_dir, options = FLAGS.network, None, None
        data_spec = FLAGS.data or (options.data if options else None)
        if data_spec is None:
            why = ("its run trained on no dataset (--method=nada): give the real images of the "
                   "target domain" if options else "the network has no training_options.json "
                   "to take it from")
            fail(f"--data is required: {why}")
        max_images = FLAGS.max_images if FLAGS.max_images is not None else (
            options.max_images if options else None)
        specs, detectors, cache = metric_setup(FLAGS)
        if not specs:
            fail("--metrics is empty")
        translation = [spec.name for spec in specs if is_translation_metric(spec)]
        if translation:
            fail(f"{', '.join(translation)}: StarGAN v2 metrics, but {ckpt} holds no StarGAN v2 "
                 "networks")
        data = open_dataset(data_spec)
        strategy = make_strategy("auto")
        with strategy.scope():
            G = load_generator(ckpt, "G_ema")
        if (G.img_resolution, G.img_channels) != (data.info.resolution, data.info.channels):
            fail(f"--data {data_spec} has {data.info.resolution}x{data.info.resolution}x"
                 f"{data.info.channels} images but the network generates {G.img_resolution}x"
                 f"{G.img_resolution}x{G.img_channels}")
        metric_data_spec = FLAGS.metric_data or (options.metric_data if options else None)
        ctx = MetricContext(data=data, data_spec=data_spec, detectors=detectors,
                            strategy=strategy, cache=cache, batch_size=FLAGS.batch,
                            max_images=max_images, seed=FLAGS.seed,
                            metric_data=open_metric_data(metric_data_spec, data.info),
                            metric_data_spec=metric_data_spec)
        for spec in specs:
            result = calc_metric(spec.name, G, ctx)
            print(report_metric(result, run_dir=run_dir, network=ckpt))
    except (checkpoints.CheckpointError, DatasetError, MissingWeightsError, ValueError) as err:
        fail(str(err))


def _is_stargan_v2(ckpt):
    """Whether a checkpoint holds StarGAN v2 networks (its network.json keys)."""
    from tfgan_fs.runs import checkpoints
    from tfgan_fs.translation.translator import EMA_SUFFIX, INFERENCE_KEYS

    _, configs = checkpoints.load_network_configs(ckpt)
    bases = {key[:-len(EMA_SUFFIX)] if key.endswith(EMA_SUFFIX) else key for key in configs}
    return set(INFERENCE_KEYS) <= bases


def _translation_metrics(ckpt, run_dir, options):
    """The StarGAN v2 evaluation protocol on a StarGAN v2 checkpoint (errors raise)."""
    from tfgan_fs.cli.metric_flags import metric_setup
    from tfgan_fs.data.domain_pairs import open_domain_dataset
    from tfgan_fs.metrics.metric_main import report_metric
    from tfgan_fs.metrics.names import TRANSLATION_METRICS, is_translation_metric
    from tfgan_fs.metrics.translation import calc_translation_metrics, check_translation_data
    from tfgan_fs.translation.translator import load_translator

    if not FLAGS["metrics"].present:  # the default (fid50k_full) is StyleGAN's
        FLAGS.metrics = ",".join(TRANSLATION_METRICS)
    specs, detectors, cache = metric_setup(FLAGS)
    if not specs:
        fail("--metrics is empty")
    other = [spec.name for spec in specs if not is_translation_metric(spec)]
    if other:
        fail(f"{ckpt} holds StarGAN v2 networks; its metrics are "
             f"{','.join(TRANSLATION_METRICS)} (not {', '.join(other)})")
    # A --method=stargan_v2 run keeps its --val_data as the options' metric_data.
    val_spec = FLAGS.val_data or (options.metric_data if options else None)
    if val_spec is None:
        fail(f"--val_data is required for {', '.join(s.name for s in specs)}: the validation "
             "images (a labeled dataset with the same domains as the training data)")
    need_train = any(spec.kind == "fid_translation" for spec in specs)
    data_spec = FLAGS.data or (options.data if options else None)
    if need_train and data_spec is None:
        fail("--data is required: FID compares with the training images of each target domain "
             "and the network has no training_options.json to take them from")
    train_data = open_domain_dataset(data_spec) if need_train else None
    try:
        val_data = open_domain_dataset(val_spec)
    except ValueError as err:
        fail(f"--val_data: {err}")
    translator = load_translator(ckpt, log=print)
    check_translation_data(translator, train_data, val_data, need_train=need_train)
    result = calc_translation_metrics(translator, [spec.name for spec in specs], train_data,
                                      val_data, detectors, seed=FLAGS.seed,
                                      batch_size=FLAGS.batch, log=print, cache=cache,
                                      train_spec=data_spec)
    for one in result["per_metric"]:
        print(report_metric(one, run_dir=run_dir, network=ckpt))


if __name__ == "__main__":
    app.run(main)
