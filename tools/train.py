"""Train with tfgan_fs: StyleGAN2-ADA, GGDR, MixDL, CDC, StyleGAN-NADA or StarGAN v2.

Examples:
    # Quickstart on the built-in procedural data (no download, a few minutes on a CPU):
    python tools/train.py --flagfile=quickstart.flags

    # Your own data, prepared with tools/dataset_tool.py:
    python tools/train.py --data=datasets/afhqcat --outdir=training-runs --cfg=paper512 --mirror

    # Continue a run exactly where it stopped (optionally extending --kimg), alone or with the
    # run's own command line:
    python tools/train.py --resume=training-runs/00003-afhqcat-mirror-paper512
    python tools/train.py --flagfile=quickstart.flags --resume=training-runs/00000-... --kimg=40

    # StyleGAN-NADA: shift a pretrained generator to a domain named by text (CLIP):
    python tools/train.py --flagfile=nada_ffhq_sketch.flags --network=pretrained/ffhq

    # StarGAN v2: translate between the domains of a folder with one sub-folder per domain:
    python tools/train.py --flagfile=stargan_v2_afhq.flags --data=data/afhq/train \
        --val_data=data/afhq/val

`--flagfile=NAME.flags` is looked up in the working directory, then in the repository's configs/.
"""

import os
import pathlib
import sys
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
REPO_ROOT = pathlib.Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from absl import app  # noqa: E402
from absl import flags  # noqa: E402

from tfgan_fs.cli.errors import fail  # noqa: E402
from tfgan_fs.cli.flagfiles import FlagfileError, resolve_flagfile_args  # noqa: E402
from tfgan_fs.cli import metric_flags  # noqa: E402
from tfgan_fs.configs.stylegan2 import CFG_NAMES  # noqa: E402

FLAGS = flags.FLAGS

# Data.
flags.DEFINE_string("data", None, "Training data: builtin:shapes[?resolution=R&count=N], a "
                    "directory written by tools/dataset_tool.py, or a folder of square images.")
flags.DEFINE_boolean("cond", None, "Train a class-conditional model on the dataset labels.")
flags.DEFINE_boolean("mirror", None, "Add x-flipped copies of the training images.")
flags.DEFINE_integer("max_images", None, "Train on the first N images of the dataset only "
                     "(few-shot and overfitting experiments). Default: all.")
# Run.
flags.DEFINE_string("outdir", "training-runs", "Where numbered run directories are created.")
flags.DEFINE_integer("seed", None, "Random seed (network init, latents, noise, data order). "
                     "Default 0.")
flags.DEFINE_float("kimg", None, "Training length in thousands of real images shown to D "
                   "(default: the --cfg preset's, 25000 for most).")
flags.DEFINE_float("tick", None, "Status/stats interval in kimg (default 4).")
flags.DEFINE_integer("snap", None, "Snapshot (image grid + checkpoint) interval in ticks "
                     "(default 50).")
flags.DEFINE_integer("keep", None, "Keep this many most recent checkpoints; 0 keeps all "
                     "(default 5).")
flags.DEFINE_integer("workers", None, "Parallel image decoders in the input pipeline "
                     "(default: autotune).")
flags.DEFINE_string("desc", None, "Extra text appended to the run directory name.")
# Model and optimisation.
flags.DEFINE_enum("cfg", None, list(CFG_NAMES), "Base configuration (reference presets; "
                  "default auto, which scales with resolution and replica count).")
flags.DEFINE_integer("batch", None, "Global batch size over all replicas (default: preset).")
flags.DEFINE_float("gamma", None, "R1 regularisation weight (default: preset).")
flags.DEFINE_integer("cbase", None, "Channel base: channels = min(cbase / resolution, cmax) "
                     "(default: preset fmaps x 32768).")
flags.DEFINE_integer("cmax", None, "Maximum channels per layer (default 512).")
flags.DEFINE_integer("map", None, "Mapping network depth (default: preset).")
flags.DEFINE_integer("mbstd_group", None, "Minibatch-std group size (default: preset).")
flags.DEFINE_float("glr", None, "G learning rate (default: preset).")
flags.DEFINE_float("dlr", None, "D learning rate (default: preset).")
flags.DEFINE_float("ema", None, "G_ema half-life in kimg (default: preset).")
flags.DEFINE_enum("impl", None, ["auto", "ref", "custom"], "Resampling and bias/activation "
                  "ops: auto (compiled custom ops where built and faster, else the pure-TF "
                  "reference), ref, or custom (error if not built: python tools/build_ops.py). "
                  "Default auto; may change on --resume.")
flags.DEFINE_boolean("fp32", None, "Disable float16 in the top resolutions (default: float16 "
                     "only when a GPU is visible).")
# Discriminator augmentation.
flags.DEFINE_enum("aug", None, ["ada", "noaug", "fixed", "diffaugment"],
                  "D augmentation: ada (adaptive p, default), fixed (constant --p), noaug, or "
                  "diffaugment (colour, translation, cutout; always on).")
flags.DEFINE_float("p", None, "Augmentation probability: required with --aug=fixed; the "
                   "initial p with --aug=ada (default 0).")
flags.DEFINE_float("target", None, "ADA target for E[sign(D(augmented reals))] (default 0.6).")
flags.DEFINE_float("ada_kimg", None, "ADA speed: kimg for p to move by 1 (default 500; 100 with "
                   "--init_from).")
flags.DEFINE_enum("augpipe", None, ["blit", "geom", "color", "filter", "noise", "cutout", "bg",
                                    "bgc", "bgcf", "bgcfn", "bgcfnc"],
                  "Augmentations for ada/fixed, named by initials: blit (flips, 90-degree "
                  "rotations, integer shifts), geom (scale, rotation, aniso, fractional shifts), "
                  "colour, filter (4 frequency bands), noise, cutout; bgcfnc = all (default bgc).")
flags.DEFINE_integer("freezed", None, "Freeze-D: do not train the first N layers of D, counted "
                     "from the highest resolution (transfer learning with --init_from; 10-13 "
                     "are typical). Default 0.")
# GGDR (Lee et al. 2022).
flags.DEFINE_enum("reg_type", None, ["none", "ggdr"], "Extra D regularisation: none (default) "
                  "or ggdr (a U-Net decoder on D learns to predict G's feature maps of the "
                  "generated images; GGDR, ECCV 2022).")
flags.DEFINE_integer("ggdr_res", None, "GGDR: resolution of the G feature maps D's decoder "
                     "predicts (default 64, the reference's, for 256x256 and up; use "
                     "resolution / 4 for small images, e.g. 8 for 32x32).")
flags.DEFINE_float("ggdr_weight", None, "GGDR: weight of the feature-reconstruction loss "
                   "(default 10, as the reference).")
# Few-shot methods (reference/fewshot.md sections 1 and 5).
flags.DEFINE_enum("method", None, ["stylegan2", "mixdl", "cdc", "nada", "stargan_v2"],
                  "Training method: stylegan2 (default); mixdl = MixDL (ECCV 2022), few-shot "
                  "from scratch with mixup-based distance learning; cdc = CDC (CVPR 2021), adapt "
                  "the --init_from generator to a few images with cross-domain distance "
                  "consistency; nada = StyleGAN-NADA (text-driven adaptation with CLIP); "
                  "stargan_v2 = StarGAN v2 (CVPR 2020), image-to-image translation between the "
                  "domains (label classes) of --data.")
flags.DEFINE_integer("mixup_every", None, "MixDL: a mixup step every N steps (default 2).")
flags.DEFINE_enum("mixup_dist", None, ["dirichlet", "gaussian", "uniform"], "MixDL: "
                  "distribution of the mixup coefficients (default dirichlet).")
flags.DEFINE_float("dir_div", None, "MixDL: Dirichlet concentration is 1 / dir_div (default 1).")
flags.DEFINE_float("kl_wt", None, "MixDL/CDC: weight of G's distance loss (default 1000).")
flags.DEFINE_float("d_kl_wt", None, "MixDL: weight of D's distance loss (default 1).")
flags.DEFINE_integer("patch_heads", None, "MixDL/CDC: number of D's patch-level heads, on the "
                     "first candidate maps (default: all candidates for mixdl, 1 for cdc).")
flags.DEFINE_integer("n_train", None, "CDC: number of anchor latents (default 10).")
flags.DEFINE_float("subspace_std", None, "CDC: std of the anchor regions (default 0.1).")
flags.DEFINE_integer("subspace_freq", None, "CDC: an anchor step (image-level D) every N steps "
                     "(default 4).")
flags.DEFINE_integer("feat_const_batch", None, "CDC: latents of the distance-consistency term "
                     "(default 4).")
# Metrics at every snapshot.
metric_flags.define_metric_flags(default_metrics=None)
flags.adopt_module_key_flags(metric_flags)  # list them under --help too
# Resuming and transfer.
# StyleGAN-NADA (--method=nada): no data, no D; see configs/nada_ffhq_sketch.flags.
flags.DEFINE_string("network", None, "NADA: the pretrained generator to adapt: a run directory, "
                    "checkpoint, or StyleGAN2-ADA network pickle (converted in memory).")
flags.DEFINE_string("source_class", None, "NADA: text of the source domain (default 'dog').")
flags.DEFINE_string("target_class", None, "NADA: text of the target domain (default 'cat').")
flags.DEFINE_list("clip_models", None, "NADA: keras-hub CLIP preset names or local preset "
                  "folders, comma-separated (default clip_vit_base_patch32).")
flags.DEFINE_list("clip_model_weights", None, "NADA: loss weight per CLIP model, comma-separated "
                  "(default 1 each; 0 drops a model from the loss and layer selection).")
flags.DEFINE_string("phase", None, "NADA: layers trained without layer selection: default "
                    "(all synthesis convs + constant), texture, shape, no_fine, shape_expanded, "
                    "all (incl. to-RGB).")
flags.DEFINE_integer("auto_layer_k", None, "NADA: layers trained per step by adaptive layer "
                     "selection (default 1).")
flags.DEFINE_integer("auto_layer_iters", None, "NADA: SGD steps of layer selection on a W+ copy "
                     "(default 1; 0 = no selection, train the --phase layers).")
flags.DEFINE_integer("auto_layer_batch", None, "NADA: latents of layer selection (default 8).")
flags.DEFINE_float("lr", None, "NADA: learning rate; Adam uses lr * 4/5 as the reference "
                   "(default 0.002). StarGAN v2: learning rate of G, E and D (default 1e-4).")
flags.DEFINE_float("mixing", None, "NADA: style-mixing probability (default 0).")
flags.DEFINE_float("lambda_direction", None, "NADA: weight of the directional CLIP loss "
                   "(default 1).")
flags.DEFINE_float("lambda_global", None, "NADA: weight of the global CLIP loss "
                   "1 - cos(image, 'a {target}') (default 0).")
flags.DEFINE_string("style_img_dir", None, "NADA: folder of target-style images: their mean "
                    "CLIP embedding replaces the target text (image-guided adaptation).")
flags.DEFINE_integer("img2img_batch", None, "NADA: generated images whose mean embedding is the "
                     "source of --style_img_dir's direction (default 16).")
flags.DEFINE_float("sample_truncation", None, "NADA: truncation psi of the before/after "
                   "snapshot pictures (default 0.7).")
flags.DEFINE_integer("iter", None, "NADA / StarGAN v2: training iterations (default 1000 / "
                     "100000).")
flags.DEFINE_integer("output_interval", None, "NADA / StarGAN v2: iterations between status "
                     "lines (default 100 / 1000); pictures and a checkpoint every --snap of them "
                     "(StarGAN v2's default --snap is 5).")

# StarGAN v2 (--method=stargan_v2): the reference's flags; see configs/stargan_v2_afhq.flags.
flags.DEFINE_string("val_data", None, "StarGAN v2: validation images with the same domains as "
                    "--data (e.g. data/afhq/val), the sources and references of the --metrics "
                    "(fid_latent, lpips_latent, fid_reference, lpips_reference).")
flags.DEFINE_integer("img_size", None, "StarGAN v2: image size the networks work at (default the "
                     "data's resolution; the reference's 256).")
flags.DEFINE_integer("latent_dim", None, "StarGAN v2: latent code size of the mapping network "
                     "(default 16).")
flags.DEFINE_integer("hidden_dim", None, "StarGAN v2: width of the mapping network (default 512).")
flags.DEFINE_integer("style_dim", None, "StarGAN v2: style code size (default 64).")
flags.DEFINE_float("w_hpf", None, "StarGAN v2: weight of the high-pass filter of the face-mask "
                   "connections; > 0 needs --wing (default 1, the reference's; CelebA-HQ 1, "
                   "AFHQ 0).")
flags.DEFINE_integer("max_conv_dim", None, "StarGAN v2: most channels of any convolution "
                     "(default 512).")
flags.DEFINE_integer("dim_in", None, "StarGAN v2: channels of the first convolution (default "
                     "the reference's 2**14 / img_size: 64 at 256 px).")
flags.DEFINE_float("lambda_reg", None, "StarGAN v2: weight of R1 on real images (default 1).")
flags.DEFINE_float("lambda_sty", None, "StarGAN v2: weight of the style reconstruction loss "
                   "(default 1).")
flags.DEFINE_float("lambda_ds", None, "StarGAN v2: initial weight of the diversity-sensitive "
                   "loss, decayed linearly to 0 over --ds_iter iterations (default 1; AFHQ 2).")
flags.DEFINE_float("lambda_cyc", None, "StarGAN v2: weight of the cycle-consistency loss "
                   "(default 1).")
flags.DEFINE_integer("ds_iter", None, "StarGAN v2: iterations over which lambda_ds decays to 0 "
                     "(default 100000).")
flags.DEFINE_float("f_lr", None, "StarGAN v2: learning rate of the mapping network (default "
                   "1e-6; --lr, default 1e-4, is that of G, E and D).")
flags.DEFINE_float("beta1", None, "StarGAN v2: Adam beta1 (default 0).")
flags.DEFINE_float("beta2", None, "StarGAN v2: Adam beta2 (default 0.99).")
flags.DEFINE_float("weight_decay", None, "StarGAN v2: Adam's L2 weight decay, added to the "
                   "gradients as PyTorch's Adam does (default 1e-4).")
flags.DEFINE_float("randcrop_prob", None, "StarGAN v2: probability of the random resized crop "
                   "(scale 0.8-1, ratio 0.9-1.1) of a training image (default 0.5).")
flags.DEFINE_float("ema_beta", None, "StarGAN v2: decay of the EMA copies of G, F and E per "
                   "iteration (default 0.999, the reference's; short runs such as the CPU demo "
                   "use less so that the EMA forgets the initialisation).")
flags.DEFINE_boolean("ref_step_style_encoder", None, "StarGAN v2: also step the style encoder "
                     "in the reference-guided generator update (the reference steps G only: "
                     "default false; clovaai/stargan-v2 issues #80, #106, #151).")
flags.DEFINE_string("wing", None, "StarGAN v2 with --w_hpf > 0: the FAN landmark network that "
                    "gives the face masks: the official wing.ckpt, or a run converted with "
                    "tools/convert_stargan_v2.py --wing.")

flags.DEFINE_string("resume", None, "Run directory (or checkpoint) to continue exactly: "
                    "weights, optimizer state, G_ema, images seen, path-length mean. The run's "
                    "own flags may be repeated (e.g. its --flagfile); only --kimg --tick --snap "
                    "--keep --workers --impl (and metric flags) may change. --outdir is ignored.")
flags.DEFINE_string("init_from", None, "Run directory (or checkpoint) whose G, D and G_ema "
                    "weights start this new run (transfer learning); progress starts at 0. "
                    "A D with GGDR's decoder (e.g. a converted GGDR pickle) needs "
                    "--reg_type=ggdr --ggdr_res=<its decoder_res>.")
# Devices and compilation.
flags.DEFINE_enum("strategy", "auto", ["auto", "default", "mirrored", "multi_worker"],
                  "tf.distribute strategy: auto = multi_worker when TF_CONFIG lists more than one "
                  "task, else mirrored when more than one GPU is visible, else default (one "
                  "device); multi_worker = MultiWorkerMirroredStrategy over the TF_CONFIG "
                  "cluster (run the same command on every host; --batch is the global batch).")
flags.DEFINE_float("collective_timeout", 1800, "Multi-worker: seconds a collective op waits "
                   "for its peers before the run stops with an error (a crashed worker is "
                   "detected within seconds; this bounds a hung one).")
flags.DEFINE_boolean("xla", False, "Compile the training steps with XLA (jit_compile). "
                     "tools/benchmark.py --op=train --xla tells whether it is faster on your "
                     "device.")
flags.DEFINE_boolean("dry_run", False, "Print the resolved options and the run directory name, "
                     "then exit without training.")

OPTION_FLAGS = ("data", "cond", "mirror", "max_images", "seed", "kimg", "tick", "snap", "keep",
                "workers", "desc", "cfg", "batch", "gamma", "cbase", "cmax", "map",
                "mbstd_group", "glr", "dlr", "ema", "fp32", "aug", "p", "target", "ada_kimg",
                "augpipe", "freezed", "reg_type", "ggdr_res", "ggdr_weight", "method",
                "mixup_every", "mixup_dist", "dir_div", "kl_wt", "d_kl_wt", "patch_heads",
                "n_train", "subspace_std", "subspace_freq", "feat_const_batch", "metrics",
                "metric_data", "inception", "vgg16", "lpips", "cache_dir", "impl", "network",
                "source_class", "target_class", "clip_models", "clip_model_weights", "phase",
                "auto_layer_k", "auto_layer_iters", "auto_layer_batch", "lr", "mixing",
                "lambda_direction", "lambda_global", "style_img_dir", "img2img_batch",
                "sample_truncation", "iter", "output_interval", "val_data", "img_size",
                "latent_dim", "hidden_dim", "style_dim", "w_hpf", "max_conv_dim", "dim_in",
                "lambda_reg", "lambda_sty", "lambda_ds", "lambda_cyc", "ds_iter", "f_lr", "beta1",
                "beta2", "weight_decay", "randcrop_prob", "ref_step_style_encoder", "wing",
                "ema_beta")


def _given_args():
    return {name: FLAGS[name].value if FLAGS[name].present else None for name in OPTION_FLAGS}


def _flag_text(value):
    return ",".join(str(v) for v in value) if isinstance(value, list) else str(value)


def _flags_text():
    lines = [f"--{name}={_flag_text(FLAGS[name].value)}" for name in OPTION_FLAGS + ("outdir",)
             if FLAGS[name].value is not None]
    return "\n".join(lines) + "\n"


def _run_flags(run_dir):
    """The run's own option flags, typed, from its effective.flags (None if it has none)."""
    path = run_dir / "effective.flags"
    if not path.exists():
        return None
    values = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        name, sep, text = line.strip().removeprefix("--").partition("=")
        if sep and name in OPTION_FLAGS:
            try:
                values[name] = FLAGS[name].parser.parse(text)
            except ValueError as err:
                fail(f"{path}: --{name}={text}: {err}")
    return values


def _peer_failure_summary(err):
    """The line of a collective-op error that says which peer failed and how."""
    lines = [line.strip() for line in str(err).splitlines() if line.strip()]
    keys = ("unhealthy", "aborted", "unavailable", "deadline", "timed out")
    for line in lines:
        if any(key in line.lower() for key in keys):
            return line[:300]
    return lines[-1][:300] if lines else "no details"


def main(argv):
    if len(argv) > 1:
        fail(f"unexpected arguments {argv[1:]}; flags are written --name=value")

    from absl import logging
    logging.set_verbosity(logging.WARNING)  # TF's INFO chatter (checkpoint sharding...) off
    import tensorflow as tf  # noqa: E402 (after flag parsing: fast --help)

    from tfgan_fs.data import DatasetError, open_dataset
    from tfgan_fs.data.domain_pairs import open_domain_dataset
    from tfgan_fs.metrics.detectors import Detectors, require_networks
    from tfgan_fs.metrics.metric_main import open_metric_data
    from tfgan_fs.metrics.weights import MissingWeightsError
    from tfgan_fs.clip import ClipLoadError
    from tfgan_fs.convert import ConversionError, PickleRefusedError
    from tfgan_fs.training import checkpoints, options as options_lib
    from tfgan_fs.training.nada_options import build_nada_options
    from tfgan_fs.training.loop import Trainer, TrainingDivergedError
    from tfgan_fs.training.run_dir import Tee, create_run_dir
    from tfgan_fs.training.strategy import (StrategyError, is_chief, is_multi_worker,
                                           make_strategy)

    args = _given_args()
    strategy = None
    try:
        strategy = make_strategy(FLAGS.strategy, FLAGS.collective_timeout)
        replicas = strategy.num_replicas_in_sync
        has_gpu = bool(tf.config.list_logical_devices("GPU"))
        if FLAGS.resume:
            if FLAGS.init_from:
                fail("--resume and --init_from are exclusive")
            resume_ckpt = checkpoints.find_checkpoint(FLAGS.resume)
            run_dir = resume_ckpt.parent.parent
            options_path = run_dir / "training_options.json"
            if not options_path.exists():
                fail(f"--resume={FLAGS.resume}: {options_path} is missing")
            options = options_lib.TrainingOptions.from_json(options_path.read_text())
            open_data = open_domain_dataset if options.method_name == "stargan_v2" else open_dataset
            data = open_data(options.data) if options.data is not None else None
            # The run's own flags may be repeated (its flagfile); a different value is an error.
            options_lib.check_resume_args(options, _run_flags(run_dir), args,
                                          data.info if data is not None else None)
            if FLAGS["outdir"].present and (pathlib.Path(FLAGS.outdir).resolve()
                                            != run_dir.parent.resolve()):
                print(f"note: --outdir={FLAGS.outdir} is ignored on --resume; the run continues "
                      f"in {run_dir}", file=sys.stderr)
            options = options_lib.apply_resume_overrides(options, args, replicas)
        elif args["method"] == "nada":
            data = None  # NADA adapts --network with CLIP; it reads no images
            options = build_nada_options({**args, "init_from": FLAGS.init_from}, replicas)
        else:
            if not args["data"]:
                fail("--data is required (e.g. --data=builtin:shapes, or --flagfile="
                      "quickstart.flags)")
            # StarGAN v2's domains may be the sub-folders of a plain image folder (AFHQ).
            open_data = open_domain_dataset if args["method"] == "stargan_v2" else open_dataset
            data = open_data(args["data"])
            options = options_lib.build_options({**args, "init_from": FLAGS.init_from},
                                                data.info, replicas, has_gpu)

        if FLAGS.xla:
            options_lib.check_xla(options)
        if FLAGS.dry_run:
            print(options.to_json())
            where = FLAGS.resume or f"{FLAGS.outdir}/NNNNN-{options.desc}"
            print(f"Dry run: would train in {where}; nothing was written.")
            return

        # Everything a run needs is checked before its directory is created.
        require_networks(options.metrics, Detectors(**options.metric_networks))
        if data is not None and options.method is not None:
            open_metric_data(options.metric_data, data.info)
        if FLAGS.init_from and not FLAGS.resume and options.method is not None:
            checkpoints.check_source_resolution(FLAGS.init_from, data.info.resolution)
        if not is_chief(strategy):
            # Other workers of a multi-worker run write nothing to the run directory (their
            # share of each checkpoint save goes to a scratch directory that is deleted).
            with tempfile.TemporaryDirectory(prefix="tfgan_fs-worker-") as scratch:
                Trainer(options, scratch, data, strategy=strategy,
                        resume=resume_ckpt if FLAGS.resume else None, init_from=FLAGS.init_from,
                        jit_compile=FLAGS.xla).run()
            return
        run_dir = run_dir if FLAGS.resume else create_run_dir(FLAGS.outdir, options.desc)
        with Tee(run_dir / "log.txt"):
            print(f"Run directory: {run_dir}")
            trainer = Trainer(options, run_dir, data, strategy=strategy,
                              resume=resume_ckpt if FLAGS.resume else None,
                              init_from=FLAGS.init_from, flags_text=_flags_text(),
                              jit_compile=FLAGS.xla)
            trainer.run()
    except (options_lib.OptionsError, DatasetError, checkpoints.CheckpointError,
            TrainingDivergedError, MissingWeightsError, StrategyError, ClipLoadError,
            ConversionError, PickleRefusedError) as err:
        fail(str(err))
    except (tf.errors.UnavailableError, tf.errors.DeadlineExceededError,
            tf.errors.CancelledError) as err:
        if strategy is None or not is_multi_worker(strategy):
            raise
        fail(f"a worker of this {strategy.num_replicas_in_sync}-replica run stopped or became "
             f"unreachable ({type(err).__name__}: {_peer_failure_summary(err)}). Training is "
             "stopped; restart every worker with --resume=RUN_DIR to continue from the last "
             "checkpoint.")


if __name__ == "__main__":
    try:
        sys.argv = resolve_flagfile_args(sys.argv, REPO_ROOT / "configs")
    except FlagfileError as err:
        fail(str(err))
    app.run(main)
