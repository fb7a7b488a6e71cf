"""`--method=stargan_v2`: StarGAN v2 (Choi et al., CVPR 2020) between the domains of `--data`.

Reads a domain dataset (label classes, or the sub-folders of an image folder), counts
iterations as the reference (`--iter`, status lines every `--output_interval`), takes the
reference's flags (`StarGANv2Config`) and evaluates on `--val_data`.
"""

import dataclasses

from tfgan_fs.data import DatasetError
from tfgan_fs.data.domain_pairs import domain_names, open_domain_dataset
from tfgan_fs.methods.options import (Setting, TrainingOptions, config_from_args, require,
                                      resolve_batch_gpu)
from tfgan_fs.methods.spec import MethodSpec, metric_names, run_desc
from tfgan_fs.methods.stargan_v2.config import StarGANv2Config
from tfgan_fs.methods.stargan_v2.method import StarGANv2, load_fan

VAL_DATA = Setting("val_data", str, "StarGAN v2: validation images with the same domains as "
                   "--data (e.g. data/afhq/val), the sources and references of the --metrics "
                   "(fid_latent, lpips_latent, fid_reference, lpips_reference).", owner=__name__)


class StarGANv2Spec(MethodSpec):
    """StarGAN v2 (see the module docstring)."""

    name = "stargan_v2"
    title = ("StarGAN v2 (Choi et al., CVPR 2020): image-to-image translation between the "
             "domains (label classes) of --data")
    config_class = StarGANv2Config
    unit = "iter"
    defaults = {"data": None, "max_images": None, "seed": 777, "batch": 8, "iter": 100000,
                "output_interval": 1000, "snap": 5, "keep": 5, "workers": None, "desc": None,
                "batch_gpu": None,
                "metrics": None, "inception": None, "vgg16": None, "lpips": None,
                "cache_dir": None}
    resumable = ("val_data",)
    not_read_note = ("its schedule is --iter and --output_interval; its settings are the "
                     "reference's flags")

    def settings(self):
        return super().settings() + (VAL_DATA,)

    def open_data(self, spec):
        require(bool(spec), "data", "is required: a folder with one sub-folder per domain "
                "(e.g. data/afhq/train)")
        return open_domain_dataset(spec)

    def resolve(self, args, env):
        self.check_general(args)
        info = env.info
        require(info.labeled and info.num_classes >= 2, "data",
                f"StarGAN v2 translates between domains: {info.name} has "
                f"{info.num_classes} label classes; give a folder with one sub-folder per "
                "domain (e.g. afhq/train/{cat,dog,wild}) or a dataset_tool dataset with "
                "--labels")
        img_size = int(args["img_size"]) if args.get("img_size") is not None else info.resolution
        config = config_from_args(StarGANv2Config, args, img_size=img_size,
                                  num_domains=info.num_classes,
                                  domain_names=tuple(info.class_names or ()))
        config.validate()
        batch = int(self.general(args, "batch"))
        metrics = metric_names(args.get("metrics") or [])
        if metrics:
            require(bool(args.get("val_data")), "val_data",
                    f"--metrics={','.join(metrics)} evaluates on validation images: give "
                    "--val_data (e.g. afhq/val, the same domains as --data)")
        return TrainingOptions(
            method=self.name, config=config,
            schedule=self.schedule(args, env.num_replicas, batch),
            seed=int(self.general(args, "seed")), batch_size=batch,
            batch_gpu=resolve_batch_gpu(args, batch, env.num_replicas),
            num_replicas=env.num_replicas,
            desc=run_desc(f"{self.name}-{info.name}-{config.img_size}", args),
            data=args["data"], max_images=args.get("max_images"), workers=args.get("workers"),
            metrics=metrics,
            metric_networks={k: args[k] for k in ("inception", "vgg16", "lpips")
                             if args.get(k)},
            metrics_cache=args.get("cache_dir"), metric_data=args.get("val_data"))

    def override_on_resume(self, options, args):
        """--val_data may change on --resume (the evaluation images)."""
        if args.get("val_data") is None:
            return options
        return dataclasses.replace(options, metric_data=args["val_data"])

    def open_metric_data(self, options, info):
        """The validation images (`--val_data`), with the training data's domains."""
        spec, config = options.metric_data, options.config
        if spec is None:
            return None
        try:
            data = open_domain_dataset(spec)
        except DatasetError as err:
            raise DatasetError(f"--val_data: {err}") from None
        if data.info.num_classes != config.num_domains:
            raise DatasetError(f"--val_data={spec} has {data.info.num_classes} domains "
                               f"{list(domain_names(data))}, the training data "
                               f"{config.num_domains} {list(config.domain_names)}")
        return data

    def build(self, options, data, log=print):
        config = options.config
        fan = load_fan(config.wing, log) if config.w_hpf > 0 else None
        return StarGANv2(config, fan=fan, log=log)


SPEC = StarGANv2Spec()
