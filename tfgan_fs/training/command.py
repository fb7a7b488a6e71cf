"""The training command (`tools/train.py`): flags generated from a method registry, then
options resolved by the method's spec, then the loop.

Every method flag is declared once, as a setting of its method (`tfgan_fs.methods`); here they
become absl flags with their flat names (so every flagfile keeps working), `--help` lists them
under each method's heading, and `main` runs any registered method the same way: it opens the
method's data, resolves or resumes its options, checks everything before the run directory is
created, and trains. Nothing here knows a method by name.
"""

import contextlib
import pathlib
import sys
import tempfile
import textwrap

import tensorflow as tf
from absl import app
from absl import flags
from absl import logging

import tfgan_fs
from tfgan_fs.cli import metric_flags
from tfgan_fs.cli.errors import fail
from tfgan_fs.cli.flagfiles import FlagfileError, resolve_flagfile_args
from tfgan_fs.clip import ClipLoadError
from tfgan_fs.convert import ConversionError, PickleRefusedError
from tfgan_fs.convert.sources import network_source
from tfgan_fs.data import DatasetError
from tfgan_fs.methods.options import OptionsError
from tfgan_fs.methods.registry import BUILTIN
from tfgan_fs.methods.spec import GENERAL_SETTINGS, METRIC_FLAGS, ResolveEnv
from tfgan_fs.metrics.detectors import Detectors, require_networks
from tfgan_fs.metrics.weights import MissingWeightsError
from tfgan_fs.runs import checkpoints
from tfgan_fs.runs.run_dir import Tee, create_run_dir
from tfgan_fs.training.accumulation import accumulation_plan, batch_split
from tfgan_fs.training.loop import Trainer, TrainingDivergedError
from tfgan_fs.training.resume import apply_resume_overrides, check_resume_args
from tfgan_fs.training.strategy import StrategyError, is_chief, is_multi_worker, make_strategy

HELP_ARGS = ("--help", "-help", "-h", "-?", "--helpshort", "-helpshort")
# The flagfiles of the repository (`--flagfile=NAME.flags` is also looked up here).
CONFIGS = pathlib.Path(tfgan_fs.__file__).resolve().parent.parent / "configs"
_DEFINE = {str: flags.DEFINE_string, int: flags.DEFINE_integer, float: flags.DEFINE_float,
           bool: flags.DEFINE_boolean, list: flags.DEFINE_list}


def define_flags(flag_values, registry):
    """Defines every flag of the command on `flag_values`: the general ones, each method's,
    the metric flags and the run's (--method, --outdir, --resume, --init_from, ...)."""
    for name, settings in registry.settings().items():
        _define_setting(flag_values, name, settings)
    metric_flags.define_metric_flags(default_metrics=None, flag_values=flag_values)
    methods = "; ".join(f"{spec.name} = {spec.title}" for spec in registry.specs())
    flags.DEFINE_enum("method", None, registry.names(), f"Training method (default "
                      f"{registry.default.name}): {methods}.", flag_values=flag_values)
    flags.DEFINE_string("outdir", "training-runs", "Where numbered run directories are "
                        "created.", flag_values=flag_values)
    flags.DEFINE_string("resume", None, "Run directory (or checkpoint) to continue exactly: "
                        "weights, optimizer state, EMA, progress, the method's controllers. "
                        "The run's own flags may be repeated (e.g. its --flagfile); only the "
                        "schedule (--kimg --tick or --iter --output_interval), --snap --keep "
                        "--workers, the metric flags and the method's own resumable flags "
                        "(--impl, --val_data) may change. --outdir is ignored.",
                        flag_values=flag_values)
    flags.DEFINE_string("init_from", None, "Run directory (or checkpoint) whose weights start "
                        "this new run (transfer learning; progress starts at 0). A D with "
                        "GGDR's decoder (e.g. a converted GGDR pickle) needs --reg_type=ggdr "
                        "--ggdr_res=<its decoder_res>.", flag_values=flag_values)
    flags.DEFINE_enum("strategy", "auto", ["auto", "default", "mirrored", "multi_worker"],
                      "tf.distribute strategy: auto = multi_worker when TF_CONFIG lists more "
                      "than one task, else mirrored when more than one GPU is visible, else "
                      "default (one device); multi_worker = MultiWorkerMirroredStrategy over "
                      "the TF_CONFIG cluster (run the same command on every host; --batch is "
                      "the global batch).", flag_values=flag_values)
    flags.DEFINE_float("collective_timeout", 1800, "Multi-worker: seconds a collective op "
                       "waits for its peers before the run stops with an error (a crashed "
                       "worker is detected within seconds; this bounds a hung one).",
                       flag_values=flag_values)
    flags.DEFINE_boolean("xla", False, "Compile the training steps with XLA (jit_compile). "
                         "tools/benchmark.py --op=train --xla tells whether it is faster on "
                         "your device.", flag_values=flag_values)
    flags.DEFINE_boolean("dry_run", False, "Print the resolved options, the gradient-"
                         "accumulation plan (--batch_gpu: rounds per phase, per-replica batch) "
                         "and the run directory name, then exit without training.",
                         flag_values=flag_values)


def _define_setting(flag_values, name, settings):
    """One absl flag for the Settings of `name` (one per declaring module, their help texts
    joined), registered under the first declaring module and listed under the others."""
    first = settings[0]
    texts = list(dict.fromkeys(s.help for s in settings))
    kwargs = dict(flag_values=flag_values, module_name=first.owner)
    if first.choices:
        flags.DEFINE_enum(name, None, list(first.choices), " ".join(texts), **kwargs)
    else:
        _DEFINE[first.kind](name, None, " ".join(texts), **kwargs)
    for owner in dict.fromkeys(s.owner for s in settings[1:]):
        if owner != first.owner:
            flag_values.register_key_flag_for_module(owner, flag_values[name])


def option_names(registry):
    """The flags that make up a run's options (saved in its effective.flags)."""
    return ("method",) + tuple(registry.settings()) + METRIC_FLAGS


def help_text(flag_values, registry, doc):
    """--help: `doc`, the general flags, then each method's own flags under its heading."""
    def group(module):
        return flag_values.module_help(module).lstrip("\n").split("\n", 1)[1]

    lines = [doc.rstrip(), "", "flags:", "",
             "General (read by the methods that name them below, with their defaults):"]
    lines += [group(GENERAL_SETTINGS[0].owner), group(metric_flags.__name__), "",
              "Run:", group(__name__)]
    printed = {}
    for spec in registry.specs():
        defaults = " ".join(f"--{k}={'(preset)' if v is None else v}"
                            for k, v in spec.defaults.items()
                            if k in ("seed", "batch", "kimg", "tick", "iter", "output_interval",
                                     "snap", "keep"))
        lines += ["", textwrap.fill(f"--method={spec.name}: {spec.title}.", 80,
                                    subsequent_indent="  "),
                  textwrap.fill(f"reads: {' '.join('--' + k for k in spec.defaults)}", 80,
                                initial_indent="  ", subsequent_indent="    "),
                  textwrap.fill(f"defaults: {defaults}", 80, initial_indent="  ",
                                subsequent_indent="    ")]
        owners = list(dict.fromkeys(s.owner for s in spec.settings()))
        shared = [printed[o] for o in owners if o in printed]
        if shared:
            lines.append(f"  and the flags of --method={'/'.join(dict.fromkeys(shared))} "
                         "listed above:")
        for owner in owners:
            if owner not in printed:
                printed[owner] = spec.name
                lines.append(group(owner))
    lines += ["", "Try --helpfull to get a list of all flags."]
    return "\n".join(lines) + "\n"


def given_args(flag_values, registry):
    """{option flag: value, or None when not given}."""
    return {name: flag_values[name].value if flag_values[name].present else None
            for name in option_names(registry)}


def flags_text(flag_values, registry):
    """The effective command line as flagfile text (saved as effective.flags)."""
    def text(value):
        return ",".join(str(v) for v in value) if isinstance(value, list) else str(value)
    return "\n".join(f"--{name}={text(flag_values[name].value)}"
                     for name in option_names(registry) + ("outdir",)
                     if flag_values[name].value is not None) + "\n"


def run_flags(flag_values, registry, run_dir):
    """The run's own option flags, typed, from its effective.flags (None if it has none)."""
    path = run_dir / "effective.flags"
    if not path.exists():
        return None
    names = set(option_names(registry))
    values = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        name, sep, text = line.strip().removeprefix("--").partition("=")
        if sep and name in names:
            try:
                values[name] = flag_values[name].parser.parse(text)
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


def main(argv, flag_values, registry):
    """Trains with the parsed `flag_values` (see the module docstring)."""
    if len(argv) > 1:
        fail(f"unexpected arguments {argv[1:]}; flags are written --name=value")
    logging.set_verbosity(logging.WARNING)  # TF's INFO chatter (checkpoint sharding...) off
    fv = flag_values
    args = given_args(fv, registry)
    strategy = None
    try:
        strategy = make_strategy(fv.strategy, fv.collective_timeout)
        replicas = strategy.num_replicas_in_sync
        resume_ckpt = None
        if fv.resume:
            if fv.init_from:
                fail("--resume and --init_from are exclusive")
            resume_ckpt = checkpoints.find_checkpoint(fv.resume)
            run_dir = resume_ckpt.parent.parent
            options_path = run_dir / "training_options.json"
            if not options_path.exists():
                fail(f"--resume={fv.resume}: {options_path} is missing")
            options = registry.options_from_json(options_path.read_text())
            spec = registry.get(options.method)
            data = spec.open_data(options.data)
            # The run's own flags may be repeated (its flagfile); a different value is an error.
            check_resume_args(registry, options, run_flags(fv, registry, run_dir), args,
                              data.info if data is not None else None)
            if fv["outdir"].present and (pathlib.Path(fv.outdir).resolve()
                                         != run_dir.parent.resolve()):
                print(f"note: --outdir={fv.outdir} is ignored on --resume; the run continues "
                      f"in {run_dir}", file=sys.stderr)
            options = apply_resume_overrides(registry, options, args, replicas)
        else:
            spec = registry.get(args["method"])
            registry.check_flags(spec, args)
            data = spec.open_data(args.get("data"))
            env = ResolveEnv(info=data.info if data is not None else None,
                             num_replicas=replicas,
                             has_gpu=bool(tf.config.list_logical_devices("GPU")),
                             init_from=bool(fv.init_from))
            options = spec.resolve(args, env)

        if fv.xla:
            spec.check_xla(options)
        if fv.dry_run:
            print(options.to_json())
            if options.accumulation_rounds > 1:
                with strategy.scope():  # the phases and terms, for the accumulation plan
                    method = spec.build(options, data, log=lambda *a, **k: None)
                print("\n".join(accumulation_plan(method, options)))
            elif "batch_gpu" in spec.flag_names():
                print(batch_split(options) + "; --batch_gpu=N accumulates gradients over "
                      "rounds of N samples per replica")
            where = fv.resume or f"{fv.outdir}/NNNNN-{options.desc}"
            print(f"Dry run: would train in {where}; nothing was written.")
            return

        # Everything a run needs is checked before its directory is created.
        require_networks(options.metrics, Detectors(**options.metric_networks))
        if data is not None:
            spec.open_metric_data(options, data.info)
        init_from = fv.init_from
        with contextlib.ExitStack() as stack:
            if fv.init_from and not fv.resume:
                # A network file (.pkl, .pt) is converted into a temporary run dir for the run.
                init_from = stack.enter_context(network_source(fv.init_from))
                spec.check_init_from(init_from, data)
            trainer_args = dict(strategy=strategy, resume=resume_ckpt, init_from=init_from,
                                jit_compile=fv.xla, registry=registry)
            if not is_chief(strategy):
                # Other workers of a multi-worker run write nothing to the run directory (their
                # share of each checkpoint save goes to a scratch directory that is deleted).
                with tempfile.TemporaryDirectory(prefix="tfgan_fs-worker-") as scratch:
                    Trainer(options, scratch, data, **trainer_args).run()
                return
            run_dir = run_dir if fv.resume else create_run_dir(fv.outdir, options.desc)
            with Tee(run_dir / "log.txt"):
                print(f"Run directory: {run_dir}")
                Trainer(options, run_dir, data, flags_text=flags_text(fv, registry),
                        **trainer_args).run()
    except (OptionsError, DatasetError, checkpoints.CheckpointError, TrainingDivergedError,
            MissingWeightsError, StrategyError, ClipLoadError, ConversionError,
            PickleRefusedError) as err:
        fail(str(err))
    except (tf.errors.UnavailableError, tf.errors.DeadlineExceededError,
            tf.errors.CancelledError) as err:
        if strategy is None or not is_multi_worker(strategy):
            raise
        fail(f"a worker of this {strategy.num_replicas_in_sync}-replica run stopped or became "
             f"unreachable ({type(err).__name__}: {_peer_failure_summary(err)}). Training is "
             "stopped; restart every worker with --resume=RUN_DIR to continue from the last "
             "checkpoint.")


def run(flag_values, registry, doc, argv=None):
    """The command line of `tools/train.py`: flagfiles looked up in CONFIGS too, --help with
    each method's flags under its heading, then `main` (the flags are already defined)."""
    def parse_flags(args):
        if any(arg in HELP_ARGS for arg in args[1:]):
            sys.stdout.write(help_text(flag_values, registry, doc))
            sys.exit(1)
        return app.parse_flags_with_usage(args)

    try:
        argv = resolve_flagfile_args(sys.argv if argv is None else argv, CONFIGS)
    except FlagfileError as err:
        fail(str(err))
    app.run(lambda args: main(args, flag_values, registry), argv=argv,
            flags_parser=parse_flags)


def console_main():
    """`tfgan-train` (the console script of `pip install`): `tools/train.py`."""
    define_flags(flags.FLAGS, BUILTIN)
    run(flags.FLAGS, BUILTIN, __doc__)
