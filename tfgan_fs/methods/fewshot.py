"""What MixDL and CDC share as variants of StyleGAN2: a patch-level D and a distance term.

Both add patch heads to D (`--patch_heads`, on the candidate maps at `default_patch_res`),
weigh a distance term by `--kl_wt`, alternate several adversarial phases in a cycle of
`cycle_flag` steps (which must divide the R1 interval, so that R1 always falls on steps of one
D level) and compare the samples of a batch (at least as many training images as the batch).
"""

import dataclasses
import math

import tensorflow as tf

from tfgan_fs.methods.options import Setting, require, settings_of, setting
from tfgan_fs.methods.stylegan2.config import SETTINGS as STYLEGAN2_SETTINGS
from tfgan_fs.methods.stylegan2.config import StyleGAN2Config
from tfgan_fs.methods.stylegan2.spec import StyleGAN2Spec
from tfgan_fs.networks import default_patch_res, patch_candidates

DRAW_KEY = "draw/"


def draw(ctx, name, compute):
    """The random draw `name` of this step and phase (latents, mixing coefficients, layers):
    `compute(ctx)`, memoised on the context, so every term of the phase sees the same value;
    `fix_draws` replaces it."""
    return ctx.memo(DRAW_KEY + name, compute)


def fix_draws(ctx, values):
    """Makes `draw(ctx, name, ...)` return `values[name]` in this step and phase instead of
    drawing (tests that replay a reference's draws). Call it before the terms run."""
    for name, value in values.items():
        value = tf.convert_to_tensor(value)
        if ctx.memo(DRAW_KEY + name, lambda _, v=value: v) is not value:
            raise ValueError(f"draw {name!r} was already made in this step")


PATCH_HEADS = Setting("patch_heads", int, "MixDL/CDC: number of D's patch-level heads, on the "
                      "first candidate maps (default: all candidates for mixdl, 1 for cdc).",
                      owner=__name__)


@dataclasses.dataclass
class FewShotConfig(StyleGAN2Config):
    """StyleGAN2 with a distance term of weight `kl_wt` (MixDL's G distance, CDC's
    cross-domain consistency)."""
    kl_wt: float = setting(1000.0, "MixDL/CDC: weight of G's distance loss (default 1000).",
                           at_least=0)


class FewShotSpec(StyleGAN2Spec):
    """Spec of a few-shot StyleGAN2 variant (see the module docstring).

    Attributes:
        cycle_flag: The config field (and flag) whose value is the length of the cycle of
            adversarial phases.
        default_patch_heads: Patch heads when `--patch_heads` is not given (None: all
            candidates).
        projection: Give D a projection head on its fc features (MixDL's D distance).
    """

    cycle_flag = ""
    default_patch_heads = None
    projection = False

    def settings(self):
        own = settings_of(self.config_class)
        return STYLEGAN2_SETTINGS + (PATCH_HEADS,) + own

    def complete(self, config, args, env, resolved):
        info = env.info
        images = resolved.max_images or info.count
        require(images >= resolved.batch, "batch", f"--method={self.name} mixes and compares "
                f"the samples of a batch and needs at least as many training images as the "
                f"batch: {images} image(s) for --batch={resolved.batch}; lower --batch or add "
                "images")
        if self.requires_init_from:
            require(env.init_from, "init_from", f"--method={self.name} adapts a pretrained "
                    "generator: give its run directory or checkpoint (e.g. converted with "
                    "tools/convert_pkl.py)")
        config = super().complete(config, args, env, resolved)
        cycle = getattr(config, self.cycle_flag)
        require(config.D_reg_interval is None or config.D_reg_interval % cycle == 0,
                self.cycle_flag, f"must divide the R1 interval {config.D_reg_interval}, got "
                f"{cycle}")
        self._add_patch_heads(config, args, info.resolution)
        return config

    def _add_patch_heads(self, config, args, resolution):
        """D's patch heads (and projection head) into its kwargs."""
        kw = config.D_kwargs
        patch_res = default_patch_res(resolution)
        block_res = [2 ** i for i in range(int(math.log2(resolution)), 2, -1)]
        channels = {r: min(kw["channel_base"] // r, kw["channel_max"]) for r in block_res + [4, 2]}
        available = len(patch_candidates(block_res, channels, patch_res))
        heads = args.get("patch_heads")
        if heads is None:
            heads = self.default_patch_heads or available
        require(1 <= heads <= available, "patch_heads",
                f"must be between 1 and {available} (D's candidate maps at {patch_res} for "
                f"{resolution}x{resolution}), got {heads}")
        kw.update(patch_res=list(patch_res), patch_heads=int(heads))
        if self.projection:
            kw["projection_dim"] = channels[4]
