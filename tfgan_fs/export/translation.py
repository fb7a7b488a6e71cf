"""The exported StarGAN v2 translator: a `tf.Module` with the serving signatures of a Translator.

Signatures (inputs -> outputs; N is dynamic, 1 <= N <= max_batch, and every input of one request
has the same N):
    translate_latent:    x, y, z     -> images, images_float   G(x, F_y(z))
    translate_reference: x, y, x_ref -> images, images_float   G(x, E_y(x_ref))
    translate_style:     x, s        -> images, images_float   G(x, s)
    style_latent:        z, y        -> styles                 F_y(z)    (Choi et al. 2020, eq. 1)
    style_reference:     x_ref, y    -> styles                 E_y(x_ref)
    serving_default:     translate_latent (TF Serving's REST API uses it without signature_name)

with x, x_ref [N, img_size, img_size, 3] float32 in [-1, 1] (uint8 pixels u as u / 127.5 - 1;
values up to X_TOLERANCE outside are accepted, to allow other roundings),
y [N] int32 target domain indices in [0, num_domains), z [N, latent_dim] float32,
s and styles [N, style_dim] float32, images [N, img_size, img_size, 3] uint8 (`to_uint8_tensor`:
clip(images_float * 127.5 + 128) truncated, as StyleGAN2's export and `tfgan_fs.images`) and
images_float [N, img_size, img_size, 3] float32 (G's output, unclipped, nominally [-1, 1]).

When the generator has w_hpf > 0, the FAN that gives its face masks is part of the graph (the
masks are computed from x inside the translating signatures), so a run without a FAN cannot be
exported. Every input is checked in the graph (`validation`). The StarGAN v2 networks use stock
TensorFlow ops only, so the export needs no reference-implementation switch.

Saved with the model as variables (read them with `tf.saved_model.load(path).<name>`), as
StyleGAN2's export saves `max_batch`: max_batch, num_domains, latent_dim, style_dim, img_size,
w_hpf and domain_names (one string per domain; empty when unknown).
"""

import json
import pathlib
import types

import tensorflow as tf

from tfgan_fs.export.module import servable_variables
from tfgan_fs.export.validation import (checked_batch, checked_finite, checked_images,
                                        checked_indices)
from tfgan_fs.export.writer import ExportError, check_destination, write_saved_model
from tfgan_fs.images import to_uint8_tensor
from tfgan_fs.runs.checkpoints import find_checkpoint, load_network_configs
from tfgan_fs.translation import load_translator

TRANSLATOR_SIGNATURE_NAMES = ("serving_default", "translate_latent", "translate_reference",
                   "translate_style", "style_latent", "style_reference")
X_TOLERANCE = 0.01  # x, x_ref may exceed [-1, 1] by this much (other uint8 -> float roundings)
RUN_METADATA_FILES = ("training_options.json", "conversion.json")  # searched for domain_names
TRANSLATOR_KEYS = ("generator_ema", "generator")


class TranslatorExportError(ExportError):
    """A translator cannot be exported as asked; the message names the flag or file at fault."""


def is_translator_configs(configs):
    """True if a checkpoint's network configs ({key: config}) are those of a StarGAN v2 run."""
    return any(key in configs for key in TRANSLATOR_KEYS)


def check_exportable(w_hpf, has_fan, where="the translator"):
    """Raises TranslatorExportError if a generator with `w_hpf` needs a FAN and has none."""
    if w_hpf > 0 and not has_fan:
        raise TranslatorExportError(
            f"{where}: the generator has w_hpf {w_hpf:g}, so the export needs the "
            "FAN's face masks in its graph, but the run has no FAN; convert the checkpoint "
            "again with tools/convert_stargan_v2.py --wing=<the official wing.ckpt> and export "
            "that run")


def recorded_domain_names(path):
    """(domain names, file) recorded by a run, or (None, None).

    Looks for a `domain_names` list in the run dir's training_options.json (top level, or the
    method's `config` of a training run; `fewshot` in runs made before the method registry),
    then conversion.json (`path` may be the run dir or one of its checkpoint directories).
    """
    path = pathlib.Path(path)
    run_dirs = [path] if path.is_dir() else []
    run_dirs.append(find_checkpoint(path).parent.parent)
    for run_dir in dict.fromkeys(p.resolve() for p in run_dirs):
        for name in RUN_METADATA_FILES:
            file = run_dir / name
            if not file.is_file():
                continue
            try:
                record = json.loads(file.read_text(encoding="utf-8"))
                names = record.get("domain_names")
                for key in ("config", "fewshot"):  # a training run (now, before the registry)
                    if names is None and isinstance(record.get(key), dict):
                        names = record[key].get("domain_names") or None
            except (ValueError, AttributeError) as err:
                raise TranslatorExportError(f"{file}: not a JSON object ({err})") from err
            if names is not None:
                if not isinstance(names, list):
                    raise TranslatorExportError(f"{file}: domain_names must be a list of "
                                                f"names, got {names!r}")
                return names, file
    return None, None


def _checked_domain_names(names, num_domains, source):
    names = [str(n) for n in names]
    if len(names) != num_domains or not all(names) or len(set(names)) != len(names):
        raise TranslatorExportError(
            f"{source}: domain names must be {num_domains} distinct non-empty names (one per "
            f"domain of the network), got {names}")
    return names


class TranslatorExport(tf.Module):
    """Wraps a StarGAN v2 `Translator` for `tf.saved_model.save`; see the module docstring.

    Args:
        translator: The `tfgan_fs.translation.Translator` (with its FAN when w_hpf > 0).
        max_batch: Largest batch any signature accepts.
        domain_names: One name per domain (saved as metadata), or None.
        x_tolerance: How far x and x_ref may lie outside [-1, 1].

    Raises:
        TranslatorExportError: no FAN for w_hpf > 0, or domain names that do not fit.
    """

    def __init__(self, translator, max_batch=64, domain_names=None, x_tolerance=X_TOLERANCE):
        super().__init__(name="translator_export")
        if int(max_batch) < 1:
            raise ValueError(f"max_batch must be >= 1, got {max_batch}")
        check_exportable(translator.w_hpf, translator.fan is not None)
        names = ([] if domain_names is None else
                 _checked_domain_names(domain_names, translator.num_domains, "domain_names"))
        self._translator = translator
        self._max_batch = int(max_batch)
        self._x_tolerance = float(x_tolerance)
        # The networks' tf.Variables are tracked, not the networks: see `servable_variables`.
        networks = dict(generator=translator.generator,
                        mapping_network=translator.mapping_network,
                        style_encoder=translator.style_encoder, fan=translator.fan)
        self.network_variables = {key: servable_variables(net) for key, net in networks.items()
                                  if net is not None}
        # Metadata saved with the model.
        meta = dict(max_batch=(self._max_batch, tf.int64),
                    num_domains=(translator.num_domains, tf.int64),
                    latent_dim=(translator.latent_dim, tf.int64),
                    style_dim=(translator.style_dim, tf.int64),
                    img_size=(translator.img_size, tf.int64),
                    w_hpf=(translator.w_hpf, tf.float32))
        for key, (value, dtype) in meta.items():
            setattr(self, key, tf.Variable(value, dtype=dtype, trainable=False, name=key))
        self.domain_names = tf.Variable(tf.constant(names, tf.string, shape=[len(names)]),
                                        trainable=False, name="domain_names")
        # F, E and G (+ FAN) as graph functions that every signature calls: each network is
        # traced and saved once. A namespace, not a dict, so that tf.Module does not track them.
        image = tf.TensorSpec([None, translator.img_size, translator.img_size, 3], tf.float32)
        y = tf.TensorSpec([None], tf.int32)
        z = tf.TensorSpec([None, translator.latent_dim], tf.float32)
        s = tf.TensorSpec([None, translator.style_dim], tf.float32)
        self._nets = types.SimpleNamespace(**{
            name: tf.function(fn, input_signature=spec, autograph=False)
            for name, fn, spec in (
                ("style_latent", translator.style_latent, [z, y]),
                ("style_reference", translator.style_reference, [image, y]),
                ("translate", lambda x, s: translator.translate(x, s), [image, s]))})

    def metadata(self):
        """The saved metadata as a dict of Python values."""
        out = {key: getattr(self, key).numpy().item() for key in
               ("max_batch", "num_domains", "latent_dim", "style_dim", "img_size", "w_hpf")}
        out["domain_names"] = [n.decode() for n in self.domain_names.numpy()]
        return out

    # Checked inputs.

    def _x(self, x, name, batch_like=None):
        return checked_images(x, name, self._translator.img_size, self._max_batch, batch_like,
                              self._x_tolerance)

    def _y(self, y, batch_like):
        return checked_indices(y, "y", self._translator.num_domains, self._max_batch,
                               batch_like, what="domain index")

    def _vectors(self, v, name, dim, batch_like=None):
        return checked_finite(checked_batch(v, name, [dim], self._max_batch, batch_like), name)

    # Graph pieces.

    def _style_latent(self, z, y, batch_like=None):
        z = self._vectors(z, "z", self._translator.latent_dim, batch_like)
        y = self._y(y, (z, "z") if batch_like is None else batch_like)
        return tf.cast(self._nets.style_latent(z, y), tf.float32)

    def _style_reference(self, x_ref, y, batch_like=None):
        x_ref = self._x(x_ref, "x_ref", batch_like)
        y = self._y(y, (x_ref, "x_ref") if batch_like is None else batch_like)
        return tf.cast(self._nets.style_reference(x_ref, y), tf.float32)

    def _translate(self, x, s):
        img = tf.cast(self._nets.translate(x, s), tf.float32)
        return {"images": to_uint8_tensor(img), "images_float": tf.identity(img)}

    def _translate_latent(self, x, y, z):
        x = self._x(x, "x")
        return self._translate(x, self._style_latent(z, y, batch_like=(x, "x")))

    def _translate_reference(self, x, y, x_ref):
        x = self._x(x, "x")
        return self._translate(x, self._style_reference(x_ref, y, batch_like=(x, "x")))

    def _translate_style(self, x, s):
        x = self._x(x, "x")
        return self._translate(x, self._vectors(s, "s", self._translator.style_dim, (x, "x")))

    # Signatures.

    def signatures(self):
        """Returns {name: concrete function} for `tf.saved_model.save(signatures=...)`."""
        t = self._translator
        size = t.img_size
        x = tf.TensorSpec([None, size, size, 3], tf.float32, name="x")
        x_ref = tf.TensorSpec([None, size, size, 3], tf.float32, name="x_ref")
        y = tf.TensorSpec([None], tf.int32, name="y")
        z = tf.TensorSpec([None, t.latent_dim], tf.float32, name="z")
        s = tf.TensorSpec([None, t.style_dim], tf.float32, name="s")
        fns = {
            "translate_latent": (lambda x, y, z: self._translate_latent(x, y, z), [x, y, z]),
            "translate_reference": (lambda x, y, x_ref: self._translate_reference(x, y, x_ref),
                                    [x, y, x_ref]),
            "translate_style": (lambda x, s: self._translate_style(x, s), [x, s]),
            "style_latent": (lambda z, y: {"styles": self._style_latent(z, y)}, [z, y]),
            "style_reference": (lambda x_ref, y: {"styles": self._style_reference(x_ref, y)},
                                [x_ref, y]),
        }
        signatures = {}
        for name, (fn, spec) in fns.items():
            fn.__name__ = name  # names the graph functions (and error messages) readably
            signatures[name] = tf.function(fn, input_signature=spec, autograph=False)
            signatures[name] = signatures[name].get_concrete_function()
        signatures["serving_default"] = signatures["translate_latent"]
        return signatures


def export_translator(network, outdir, version=1, max_batch=64, domain_names=None,
                      overwrite=False):
    """Exports the StarGAN v2 translator of a run dir or checkpoint as `outdir/<version>`.

    The networks are the EMA copies of a training run, or those of a converted run
    (`tfgan_fs.translation.load_translator`), with the FAN when w_hpf > 0.

    Args:
        network: Run directory or checkpoint directory.
        outdir: TF Serving model base directory (created if needed).
        version: Version number (the name of the directory written).
        max_batch: Largest batch a request may have.
        domain_names: One name per domain, or None for those the run records
            (`recorded_domain_names`), if any.
        overwrite: Replace an existing export of the same version.

    Returns:
        (version directory, checkpoint directory exported, saved metadata dict).

    Raises:
        ExportError: see `check_destination`; TranslatorExportError: no FAN for w_hpf > 0, or
        domain names that do not fit; TranslatorLoadError / CheckpointError: `network` is not a
        loadable StarGAN v2 run.
    """
    final = check_destination(outdir, version, overwrite)
    ckpt, configs = load_network_configs(network)
    names = None
    if is_translator_configs(configs):  # else load_translator says what the run holds
        # Checked from the configs of the networks load_translator takes (the EMA copies
        # first), before they are built; Generator's default w_hpf is 1.
        generator, mapping = (_ema_or_plain(configs, key) for key in
                              ("generator", "mapping_network"))
        check_exportable(float(generator.get("w_hpf", 1)), "fan" in configs,
                         where=f"--network {network}")
        source = "--domain_names"
        if domain_names is None:
            domain_names, source = recorded_domain_names(network)
        if domain_names is not None and mapping is not None:
            names = _checked_domain_names(domain_names, mapping["num_domains"], source)
    translator = load_translator(network)
    module = TranslatorExport(translator, max_batch=max_batch, domain_names=names)
    return write_saved_model(module, final), ckpt, module.metadata()


def _ema_or_plain(configs, key):
    return configs.get(key + "_ema", configs.get(key))
