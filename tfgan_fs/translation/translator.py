"""The inference side of a StarGAN v2 run: generator, mapping network, style encoder (and FAN).

A `Translator` is what sampling (`tools/translate.py`), the evaluation protocol
(`tfgan_fs.metrics.translation`) and export read. `load_translator` builds it from a run dir
written by training (`--method=stargan_v2`: the EMA networks `*_ema`) or by
`tools/convert_stargan_v2.py` (the networks of the converted file, under the reference's keys).

Style codes (Choi et al. 2020, eq. 1-2): s = F_y(z) (latent-guided) or s = E_y(x_ref)
(reference-guided); translation G(x, s), with the FAN's face masks when w_hpf > 0.
"""

import dataclasses
from typing import Optional

import keras
import tensorflow as tf

from tfgan_fs.networks import stargan_v2 as nets
from tfgan_fs.networks.fan import FAN
from tfgan_fs.runs.checkpoints import STATE_PREFIX, load_network_configs

TRAINED_KEYS = ("generator", "mapping_network", "style_encoder", "discriminator")
EMA_SUFFIX = "_ema"
INFERENCE_KEYS = ("generator", "mapping_network", "style_encoder")


class TranslatorLoadError(ValueError):
    """A run dir does not hold StarGAN v2 networks (the message names the path and keys)."""


@dataclasses.dataclass
class Translator:
    """StarGAN v2 inference networks.

    Attributes:
        generator: G(x, s[, masks]).
        mapping_network: F(z, y) -> s.
        style_encoder: E(x, y) -> s.
        fan: The FAN landmark network giving the face masks (needed when w_hpf > 0), or None.
    """
    generator: keras.Model
    mapping_network: keras.Model
    style_encoder: keras.Model
    fan: Optional[object] = None

    @property
    def num_domains(self):
        return self.mapping_network.num_domains

    @property
    def latent_dim(self):
        return self.mapping_network.latent_dim

    @property
    def style_dim(self):
        return self.mapping_network.style_dim

    @property
    def img_size(self):
        return self.generator.img_size

    @property
    def w_hpf(self):
        return float(self.generator.w_hpf)

    def style_latent(self, z, y):
        """s = F_y(z): z [N, latent_dim] float32, y [N] int domain indices."""
        return self.mapping_network(z, y)

    def style_reference(self, x_ref, y):
        """s = E_y(x_ref): x_ref [N, H, W, 3] in [-1, 1]."""
        return self.style_encoder(x_ref, y)

    def masks(self, x):
        """The FAN's two face masks of x (None when w_hpf = 0: no high-pass connections)."""
        if self.w_hpf <= 0:
            return None
        if self.fan is None:
            raise TranslatorLoadError(
                f"this generator has w_hpf {self.w_hpf:g} and needs the FAN's face masks; "
                "convert the official wing.ckpt with tools/convert_stargan_v2.py --wing")
        return self.fan.get_masks(x)

    def translate(self, x, s, masks=None):
        """G(x, s): x [N, H, W, 3] in [-1, 1]; masks from the FAN when w_hpf > 0 and not
        given."""
        if masks is None:
            masks = self.masks(x)
        return self.generator(x, s, masks=masks)

    def translate_latent(self, x, y, z):
        return self.translate(x, self.style_latent(z, y))

    def translate_reference(self, x, y, x_ref):
        return self.translate(x, self.style_reference(x_ref, y))


def network_class(key):
    """The Keras class of a checkpoint key ('generator', 'style_encoder_ema', ...)."""
    base = key[:-len(EMA_SUFFIX)] if key.endswith(EMA_SUFFIX) else key
    return nets.NETWORK_CLASSES.get(base)


def build_networks(configs):
    """{key: built network} from {key: Keras config} (StarGAN v2 keys only)."""
    out = {}
    for key, cfg in configs.items():
        cls = network_class(key)
        if cls is None:
            continue
        cfg = {k: v for k, v in cfg.items() if k != "name"}
        out[key] = cls(name=key, **cfg).build_for_size()
    return out


def load_translator(path, ema=True, log=None):
    """The Translator of a run dir or checkpoint.

    Training runs hold `generator`, ... and their EMA copies `generator_ema`, ...; with `ema`
    (the default, as the reference samples and evaluates `nets_ema`) the EMA copies are used.
    Converted runs hold the networks of the converted file under the plain keys. A `fan` entry
    (converted from wing.ckpt) gives the face masks.
    """
    ckpt, configs = load_network_configs(path)
    keys = {}
    for key in INFERENCE_KEYS:
        candidates = [key + EMA_SUFFIX, key] if ema else [key, key + EMA_SUFFIX]
        found = [k for k in candidates if k in configs]
        if not found:
            raise TranslatorLoadError(
                f"{ckpt} has no StarGAN v2 {key} (networks: {sorted(configs)}); is it a "
                "--method=stargan_v2 run or a tools/convert_stargan_v2.py output?")
        keys[key] = found[0]
    networks = build_networks({k: configs[k] for k in keys.values()})
    trackables = {k: networks[k] for k in keys.values()}
    fan = None
    if "fan" in configs:
        fan = FAN.from_config(configs["fan"])
        fan.build_for_size()
        trackables["fan"] = fan
    status = tf.train.Checkpoint(**trackables).read(str(ckpt / STATE_PREFIX))
    status.assert_existing_objects_matched().expect_partial()
    if log is not None:
        log(f"Loaded StarGAN v2 networks {', '.join(keys.values())} from {ckpt}")
    return Translator(networks[keys["generator"]], networks[keys["mapping_network"]],
                      networks[keys["style_encoder"]], fan)
