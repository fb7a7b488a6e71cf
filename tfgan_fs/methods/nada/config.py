"""StyleGAN-NADA's settings (defaults: the reference's `train_options.py`) and their checks.

Every field is a flag of the same name. `validate` checks what the bounds of the settings
cannot: the paths, the CLIP presets, the texts and the combination of loss weights.
"""

import dataclasses
import pathlib
from typing import Optional

from tfgan_fs.clip.model import ClipLoadError, resolve_preset
from tfgan_fs.data.image_sources import IMAGE_EXTENSIONS
from tfgan_fs.methods.options import OptionsError, require, setting

PHASES = ("default", "texture", "shape", "no_fine", "shape_expanded", "all")


@dataclasses.dataclass
class NADAConfig:
    """StyleGAN-NADA's settings."""
    network: str = setting("", "NADA: the pretrained generator to adapt: a run directory, "
                           "checkpoint, StyleGAN2-ADA network pickle (.pkl) or rosinality "
                           "checkpoint (.pt, e.g. NADA's stylegan2-ffhq-config-f.pt; converted "
                           "in memory).")
    source_class: str = setting("dog", "NADA: text of the source domain (default 'dog').")
    target_class: str = setting("cat", "NADA: text of the target domain (default 'cat').")
    clip_models: tuple = setting(("clip_vit_base_patch32",), "NADA: keras-hub CLIP preset "
                                 "names or local preset folders, comma-separated (default "
                                 "clip_vit_base_patch32).")
    clip_model_weights: tuple = setting((1.0,), "NADA: loss weight per CLIP model, "
                                        "comma-separated (default 1 each; 0 drops a model from "
                                        "the loss and layer selection).", item=float,
                                        at_least=0)
    phase: str = setting("default", "NADA: layers trained without layer selection: default "
                         "(all synthesis convs + constant), texture, shape, no_fine, "
                         "shape_expanded, all (incl. to-RGB).", choices=PHASES)
    auto_layer_k: int = setting(1, "NADA: layers trained per step by adaptive layer "
                                "selection (default 1).", at_least=1)
    auto_layer_iters: int = setting(1, "NADA: SGD steps of layer selection on a W+ copy "
                                    "(default 1; 0 = no selection, train the --phase layers).",
                                    at_least=0)
    auto_layer_batch: int = setting(8, "NADA: latents of layer selection (default 8).",
                                    at_least=1)
    lr: float = setting(0.002, "NADA: learning rate; Adam uses lr * 4/5 as the reference "
                        "(default 0.002).", above=0)
    mixing: float = setting(0.0, "NADA: style-mixing probability (default 0).", at_least=0,
                            at_most=1)
    lambda_direction: float = setting(1.0, "NADA: weight of the directional CLIP loss "
                                      "(default 1).", at_least=0)
    lambda_global: float = setting(0.0, "NADA: weight of the global CLIP loss "
                                   "1 - cos(image, 'a {target}') (default 0).", at_least=0)
    style_img_dir: Optional[str] = setting(None, "NADA: folder of target-style images: their "
                                           "mean CLIP embedding replaces the target text "
                                           "(image-guided adaptation).")
    img2img_batch: int = setting(16, "NADA: generated images whose mean embedding is the "
                                 "source of --style_img_dir's direction (default 16).",
                                 at_least=1)
    sample_truncation: float = setting(0.7, "NADA: truncation psi of the before/after snapshot "
                                       "pictures (default 0.7).", above=0, at_most=1)

    def validate(self):
        """Raises OptionsError naming the flag for what the settings' bounds do not cover."""
        require(bool(self.network), "network", "--method=nada adapts a pretrained generator: "
                "give its run directory, checkpoint, StyleGAN2-ADA network pickle (.pkl) or "
                "rosinality checkpoint (.pt)")
        require(pathlib.Path(self.network).exists(), "network",
                f"{self.network} does not exist (give a run directory, or an official "
                ".pkl or .pt file)")
        require(len(self.clip_model_weights) == len(self.clip_models), "clip_model_weights",
                f"{len(self.clip_model_weights)} weight(s) for {len(self.clip_models)} "
                "--clip_models")
        require(any(w > 0 for w in self.clip_model_weights), "clip_model_weights",
                "at least one CLIP model needs a weight > 0")
        for name, weight in zip(self.clip_models, self.clip_model_weights):
            if weight > 0:
                try:
                    resolve_preset(name)
                except ClipLoadError as err:
                    raise OptionsError(f"--clip_models: {err}") from err
        if self.style_img_dir:
            path = pathlib.Path(self.style_img_dir)
            require(path.is_dir(), "style_img_dir", f"{path} is not a directory")
            require(bool(style_images(path)), "style_img_dir",
                    f"{path} has no images ({' '.join(IMAGE_EXTENSIONS)})")
        else:
            require(self.source_class.strip().lower() != self.target_class.strip().lower(),
                    "target_class", f"is the same text as --source_class "
                    f"({self.source_class!r}): there is no direction between identical texts")
        require(self.lambda_direction > 0 or self.lambda_global > 0, "lambda_direction",
                "--lambda_direction and --lambda_global are both 0: nothing to minimise")

    def check_num_ws(self, num_ws):
        """Raises OptionsError if layer selection asks for more layers than the source
        generator's `num_ws` W+ entries."""
        require(self.auto_layer_iters == 0 or self.auto_layer_k <= num_ws, "auto_layer_k",
                f"must be at most the source generator's {num_ws} W+ entries "
                f"(2 log2(resolution) - 2), got {self.auto_layer_k}")


def style_images(directory):
    """Sorted image files of `--style_img_dir` (the extensions of the datasets)."""
    return sorted(p for p in pathlib.Path(directory).iterdir()
                  if p.suffix.lower() in IMAGE_EXTENSIONS)
