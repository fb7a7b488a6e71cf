"""`--method=stylegan2`: StyleGAN2-ADA (Karras et al., NeurIPS 2020), with GGDR as a setting.

Reads a dataset, counts kimg, resolves its flags against the `--cfg` presets
(`config.resolve_stylegan2`) and builds `StyleGAN2` with its augmentation pipe and, with
`--aug=ada`, the controller of p. The few-shot variants (MixDL, CDC) subclass this spec.
"""

import dataclasses

from tfgan_fs.augment import AdaController, make_augment
from tfgan_fs.augment.presets import xla_compatible
from tfgan_fs.data import open_dataset
from tfgan_fs.methods.options import OptionsError, TrainingOptions, check_fields, settings_of
from tfgan_fs.methods.spec import MethodSpec, ResolveEnv, metric_names, run_desc
from tfgan_fs.methods.stylegan2.config import SETTINGS, StyleGAN2Config, resolve_stylegan2
from tfgan_fs.methods.stylegan2.method import StyleGAN2
from tfgan_fs.metrics.metric_main import open_metric_data
from tfgan_fs.runs import checkpoints


class StyleGAN2Spec(MethodSpec):
    """StyleGAN2-ADA; subclasses change `config_class`, `method_class` and `complete`."""

    name = "stylegan2"
    title = ("StyleGAN2-ADA (Karras et al., NeurIPS 2020): train on a dataset with adaptive "
             "discriminator augmentation; --reg_type=ggdr adds GGDR (Lee et al., ECCV 2022)")
    config_class = StyleGAN2Config
    method_class = StyleGAN2
    unit = "kimg"
    defaults = {"data": None, "max_images": None, "seed": 0, "batch": None, "batch_gpu": None,
                "kimg": None, "tick": 4.0, "snap": 50, "keep": 5, "workers": None, "desc": None,
                "metrics": None, "metric_data": None, "inception": None, "vgg16": None,
                "lpips": None, "cache_dir": None}
    resumable = ("impl",)
    naming_fields = ("cfg",)

    def settings(self):
        return SETTINGS + super().settings()

    def open_data(self, spec):
        if not spec:
            raise OptionsError("--data is required (e.g. --data=builtin:shapes, or "
                               "--flagfile=quickstart.flags)")
        return open_dataset(spec)

    def resolve(self, args, env):
        self.check_general(args)
        suffix = "" if self.name == StyleGAN2Spec.name else f"-{self.name}"
        resolved = resolve_stylegan2(args, env, self.config_class, suffix)
        config = self.complete(resolved.config, args, env, resolved)
        replicas = env.num_replicas
        options = TrainingOptions(
            method=self.name, config=config,
            schedule=self.schedule(args, replicas, resolved.batch, total=resolved.kimg),
            seed=int(self.general(args, "seed")), batch_size=resolved.batch,
            batch_gpu=resolved.batch_gpu, num_replicas=replicas,
            desc=run_desc(resolved.desc, args), data=args["data"],
            max_images=resolved.max_images, workers=args.get("workers"),
            metrics=metric_names(args.get("metrics")),
            metric_networks={k: args.get(k) for k in ("inception", "vgg16", "lpips")},
            metrics_cache=args.get("cache_dir"), metric_data=args.get("metric_data"))
        self.check_accumulation(options)
        return options

    def complete(self, config, args, env, resolved):
        """The config with the settings of a subclass's config fields, checked (variants add
        their own checks)."""
        own = {s.name: s.convert(args[s.name]) for s in settings_of(self.config_class)
               if args.get(s.name) is not None}
        config = dataclasses.replace(config, **own)
        check_fields(config)
        return config

    def check_accumulation(self, options):
        """Also: D's minibatch-std groups must tile each round's batch."""
        super().check_accumulation(options)
        epilogue = options.config.D_kwargs.get("epilogue_kwargs") or {}
        group = epilogue.get("mbstd_group_size")
        group = options.batch_gpu if group is None else min(group, options.batch_gpu)
        if options.batch_gpu % group:
            raise OptionsError(f"--batch_gpu={options.batch_gpu} must be divisible by the "
                               f"minibatch-std group size {group} (min(--mbstd_group, "
                               "--batch_gpu))")

    def creation_env(self, options, run_args):
        """float16 on a GPU and ADA's faster ada_kimg with --init_from were defaults of the
        run's creation, not of its flags: read them off the saved config."""
        ada_from_init = ("ada_kimg" not in run_args
                         and options.config.augment.ada_kimg == 100.0)
        return ResolveEnv(num_replicas=options.num_replicas,
                          has_gpu=not options.config.fp32,
                          init_from=ada_from_init or self.requires_init_from)

    def override_on_resume(self, options, args):
        """--impl may change on --resume (kernels, not the maths)."""
        if args.get("impl") is None:
            return options
        impl = args["impl"]
        config = options.config
        config = dataclasses.replace(config, G_kwargs={**config.G_kwargs, "impl": impl},
                                     D_kwargs={**config.D_kwargs, "impl": impl})
        return dataclasses.replace(options, config=config)

    def open_metric_data(self, options, info):
        return open_metric_data(options.metric_data, info)

    def check_init_from(self, path, data):
        checkpoints.check_source_resolution(path, data.info.resolution)

    def check_xla(self, options):
        if options.config.cond:
            raise OptionsError(
                "--xla: --cond draws the fakes' labels with a stateless categorical sample, "
                "which has no XLA kernel (StatelessMultinomial); train without --xla")
        aug = options.config.augment
        if aug.mode in ("ada", "fixed") and not xla_compatible(aug.augpipe):
            raise OptionsError(
                f"--xla: --augpipe={aug.augpipe} has the general geometric transforms, whose "
                "padding depends on the drawn transforms and cannot be compiled with XLA; use "
                "--augpipe=blit|color|filter|noise|cutout, --aug=diffaugment or --aug=noaug, "
                "or train without --xla")

    def describe(self, options):
        config = options.config
        return {"cfg": config.cfg, "aug": config.augment.mode, "augpipe": config.augment.augpipe,
                "p": config.augment.p,
                "fp16_res": config.G_kwargs["synthesis_kwargs"]["num_fp16_res"],
                "reg_type": config.reg_type,
                "ggdr_res": config.ggdr_res[0] if config.reg_type == "ggdr" else None}

    def method_kwargs(self, options):
        """Constructor arguments of `method_class` beyond the config and the data's."""
        return {}

    def build(self, options, data, log=print):
        config = options.config
        aug = config.augment
        augment_pipe = make_augment(aug.mode, aug.augpipe, aug.p)
        ada = (AdaController(aug.target, aug.ada_interval, aug.ada_kimg)
               if aug.mode == "ada" else None)
        labels = data.label_distribution(options.max_images) if config.cond else ()
        return self.method_class(config, img_resolution=data.info.resolution,
                                 img_channels=data.info.channels, label_distribution=labels,
                                 augment_pipe=augment_pipe, ada=ada,
                                 **self.method_kwargs(options))


SPEC = StyleGAN2Spec()
