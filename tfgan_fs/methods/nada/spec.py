"""`--method=nada`: StyleGAN-NADA (Gal et al., SIGGRAPH 2022), text-driven domain adaptation.

Reads no data: it adapts `--network` with CLIP. It counts iterations as the reference: `--iter`
steps of `--batch` samples, a status line every `--output_interval`, pictures and a checkpoint
every `--snap` of them.
"""

import dataclasses
import math
import pathlib
import re

from tfgan_fs.methods.nada.config import NADAConfig
from tfgan_fs.methods.nada.method import NADA, load_clip_models
from tfgan_fs.methods.options import OptionsError, TrainingOptions, config_from_args, require
from tfgan_fs.methods.spec import MethodSpec, run_desc
from tfgan_fs.runs.checkpoints import CheckpointError, load_network_configs


def source_num_ws(network):
    """W+ entries of the generator in a run dir / checkpoint (None for a pickle)."""
    if pathlib.Path(network).is_file():
        return None
    try:
        _, configs = load_network_configs(network)
    except CheckpointError as err:
        raise OptionsError(f"--network: {err}") from err
    resolution = configs.get("G_ema", configs.get("G", {})).get("img_resolution")
    return None if resolution is None else 2 * int(math.log2(resolution)) - 2


def _slug(text):
    return re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_")[:32] or "x"


class NADASpec(MethodSpec):
    """StyleGAN-NADA (see the module docstring)."""

    name = "nada"
    title = ("StyleGAN-NADA (Gal et al., SIGGRAPH 2022): shift the pretrained --network to a "
             "domain named by text (CLIP); no data, no discriminator")
    config_class = NADAConfig
    unit = "iter"
    defaults = {"seed": 0, "batch": 16, "iter": 1000, "output_interval": 100, "snap": 1,
                "keep": 5, "desc": None}
    not_read_note = ("it has no data and no discriminator; its schedule is --iter and "
                     "--output_interval")

    def open_data(self, spec):
        return None

    def resolve(self, args, env):
        require(not env.init_from, "init_from", "--method=nada starts from --network")
        self.check_general(args)
        config = config_from_args(NADAConfig, args)
        if args.get("clip_model_weights") is None:  # one weight per model by default
            config = dataclasses.replace(
                config, clip_model_weights=(1.0,) * len(config.clip_models))
        config.validate()
        num_ws = source_num_ws(config.network)
        if num_ws is not None:
            config.check_num_ws(num_ws)
        batch = int(self.general(args, "batch"))
        target = "img" if config.style_img_dir else _slug(config.target_class)
        desc = f"{self.name}-{_slug(pathlib.Path(config.network).stem)}-{target}"
        return TrainingOptions(
            method=self.name, config=config,
            schedule=self.schedule(args, env.num_replicas, batch),
            seed=int(self.general(args, "seed")), batch_size=batch,
            batch_gpu=batch // env.num_replicas, num_replicas=env.num_replicas,
            desc=run_desc(desc, args))

    def build(self, options, data, log=print):
        config = options.config
        clip_models = load_clip_models(config.clip_models, config.clip_model_weights, log)
        return NADA(config, clip_models, seed=options.seed, log=log)


SPEC = NADASpec()
