"""StarGAN v2's settings (defaults: the reference's `main.py`) and their checks.

Every field but `num_domains` and `domain_names` (the data's label classes) is a flag of the
same name. `validate` checks what the bounds of the settings cannot.
"""

import dataclasses
import pathlib
from typing import Optional

from tfgan_fs.methods.options import require, setting


@dataclasses.dataclass
class StarGANv2Config:
    """Hyperparameters of StarGAN v2."""
    img_size: int = setting(256, "StarGAN v2: image size the networks work at (default the "
                            "data's resolution; the reference's 256).")
    num_domains: int = 2
    latent_dim: int = setting(16, "StarGAN v2: latent code size of the mapping network "
                              "(default 16).", at_least=1)
    hidden_dim: int = setting(512, "StarGAN v2: width of the mapping network (default 512).",
                              at_least=1)
    style_dim: int = setting(64, "StarGAN v2: style code size (default 64).", at_least=1)
    w_hpf: float = setting(1.0, "StarGAN v2: weight of the high-pass filter of the face-mask "
                           "connections; > 0 needs --wing (default 1, the reference's; "
                           "CelebA-HQ 1, AFHQ 0).", at_least=0)
    max_conv_dim: int = setting(512, "StarGAN v2: most channels of any convolution (default "
                                "512).", at_least=1)
    dim_in: Optional[int] = setting(None, "StarGAN v2: channels of the first convolution "
                                    "(default the reference's 2**14 / img_size: 64 at 256 px).",
                                    at_least=1)
    lambda_reg: float = setting(1.0, "StarGAN v2: weight of R1 on real images (default 1).",
                                at_least=0)
    lambda_sty: float = setting(1.0, "StarGAN v2: weight of the style reconstruction loss "
                                "(default 1).", at_least=0)
    lambda_ds: float = setting(1.0, "StarGAN v2: initial weight of the diversity-sensitive "
                               "loss, decayed linearly to 0 over --ds_iter iterations (default "
                               "1; AFHQ 2).", at_least=0)
    lambda_cyc: float = setting(1.0, "StarGAN v2: weight of the cycle-consistency loss "
                                "(default 1).", at_least=0)
    ds_iter: int = setting(100000, "StarGAN v2: iterations over which lambda_ds decays to 0 "
                           "(default 100000).", at_least=1)
    lr: float = setting(1e-4, "StarGAN v2: learning rate of G, E and D (default 1e-4).",
                        above=0)
    f_lr: float = setting(1e-6, "StarGAN v2: learning rate of the mapping network (default "
                          "1e-6; --lr, default 1e-4, is that of G, E and D).", above=0)
    beta1: float = setting(0.0, "StarGAN v2: Adam beta1 (default 0).", at_least=0, below=1)
    beta2: float = setting(0.99, "StarGAN v2: Adam beta2 (default 0.99).", at_least=0, below=1)
    weight_decay: float = setting(1e-4, "StarGAN v2: Adam's L2 weight decay, added to the "
                                  "gradients as PyTorch's Adam does (default 1e-4).",
                                  at_least=0)
    ema_beta: float = setting(0.999, "StarGAN v2: decay of the EMA copies of G, F and E per "
                              "iteration (default 0.999, the reference's; short runs such as "
                              "the CPU demo use less so that the EMA forgets the "
                              "initialisation).", at_least=0, below=1)
    randcrop_prob: float = setting(0.5, "StarGAN v2: probability of the random resized crop "
                                   "(scale 0.8-1, ratio 0.9-1.1) of a training image (default "
                                   "0.5).", at_least=0, at_most=1)
    ref_step_style_encoder: bool = setting(False, "StarGAN v2: also step the style encoder in "
                                           "the reference-guided generator update (the "
                                           "reference steps G only: default false; "
                                           "clovaai/stargan-v2 issues #80, #106, #151).")
    wing: Optional[str] = setting(None, "StarGAN v2 with --w_hpf > 0: the FAN landmark network "
                                  "that gives the face masks: the official wing.ckpt, or a run "
                                  "converted with tools/convert_stargan_v2.py --wing.")
    domain_names: tuple = ()

    def validate(self):
        """Raises OptionsError naming the flag for what the settings' bounds do not cover."""
        size = self.img_size
        require(size >= 16 and size & (size - 1) == 0, "img_size",
                f"must be a power of two >= 16, got {size}")
        require(self.w_hpf == 0 or size >= 256, "w_hpf",
                f"the face masks' high-pass connections work at 32/64/128 px inside a 256-px "
                f"generator; at img_size {size} use --w_hpf=0")
        require(self.w_hpf == 0 or bool(self.wing), "wing",
                f"--w_hpf={self.w_hpf:g} needs the FAN's face masks: give --wing=wing.ckpt (the "
                "reference's expr/checkpoints/wing.ckpt) or a run converted with it; use "
                "--w_hpf=0 for non-face data (AFHQ)")
        if self.wing:
            require(pathlib.Path(self.wing).exists(), "wing", f"{self.wing} does not exist")
