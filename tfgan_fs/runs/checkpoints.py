"""Run state checkpoints: written atomically, restored exactly, loadable by the tools.

Layout under a run directory::

    checkpoints/
      latest                       name of the newest complete checkpoint
      ckpt-000012000/              one checkpoint per snapshot, named by images seen
        state.index, state.data-*  tf.train.Checkpoint of networks, optimizers, terms, progress
        network.json               Keras configs of the networks (rebuild without the run's flags)
        progress.json              images seen, step and tick, for humans and tools

A checkpoint is written into a temporary directory and renamed into place, and `latest` is
replaced atomically, so a crash at any moment leaves the previous checkpoint intact.
"""

import json
import os
import pathlib
import re
import shutil

import tensorflow as tf

from tfgan_fs.networks import Discriminator, Generator

STATE_PREFIX = "state"
NETWORKS_FILE = "network.json"
PROGRESS_FILE = "progress.json"
LATEST_FILE = "latest"


class CheckpointError(ValueError):
    """A checkpoint is missing, incomplete or does not match the networks."""


class Progress(tf.Module):
    """Training counters saved with the run: images seen, steps taken, ticks done."""

    def __init__(self):
        super().__init__(name="progress")
        self.nimg = tf.Variable(0, dtype=tf.int64, trainable=False, name="nimg")
        self.step = tf.Variable(0, dtype=tf.int64, trainable=False, name="step")
        self.tick = tf.Variable(0, dtype=tf.int64, trainable=False, name="tick")

    def as_dict(self):
        return {"nimg": int(self.nimg.numpy()), "kimg": float(self.nimg.numpy()) / 1000,
                "step": int(self.step.numpy()), "tick": int(self.tick.numpy())}


def _write_text_atomic(path, text):
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def find_checkpoint(path):
    """Resolves a run dir, its checkpoints dir or a checkpoint dir to a checkpoint directory.

    Raises:
        CheckpointError: if nothing loadable is there.
    """
    path = pathlib.Path(path)
    if not path.exists():
        raise CheckpointError(f"{path} does not exist")
    if (path / f"{STATE_PREFIX}.index").exists():
        return path
    for root in (path / "checkpoints", path):
        latest = root / LATEST_FILE
        if latest.exists():
            ckpt = root / latest.read_text(encoding="utf-8").strip()
            if (ckpt / f"{STATE_PREFIX}.index").exists():
                return ckpt
            raise CheckpointError(f"{latest} names {ckpt.name}, which is missing or incomplete")
    raise CheckpointError(f"no checkpoint in {path} (expected a run directory with "
                          f"checkpoints/{LATEST_FILE}, or a checkpoint directory with "
                          f"{STATE_PREFIX}.index)")


def _mismatch_error(path, err):
    return CheckpointError(
        f"cannot restore {path}: it does not match the networks built from the current options "
        f"({str(err).splitlines()[0]}). The architecture (resolution, channels, --cfg, --cbase, "
        f"--cmax, --map, --cond) must be the same as in the run that wrote it.")


class RunState:
    """Everything that must survive a crash: a `tf.train.Checkpoint` of the method and progress.

    Args:
        method: The Method (its networks, optimizers and terms are saved).
        progress: Progress counters.
        extras: Further trackables of the loop (e.g. the ADA controller's statistics).
    """

    def __init__(self, method, progress, extras=None):
        self.method = method
        self.progress = progress
        self.checkpoint = tf.train.Checkpoint(progress=progress, **method.checkpoint_items(),
                                              **(extras or {}))

    def save(self, checkpoints_dir, keep=0, is_chief=True):
        """Writes a checkpoint atomically; returns its directory (None on non-chief workers).

        Non-chief workers of a multi-worker run take part in the save (required by
        tf.distribute) but write to a temporary directory that is deleted.
        """
        checkpoints_dir = pathlib.Path(checkpoints_dir)
        checkpoints_dir.mkdir(parents=True, exist_ok=True)
        name = f"ckpt-{int(self.progress.nimg.numpy()):09d}"
        tmp = checkpoints_dir / f".tmp-{name}-{os.getpid()}"
        if tmp.exists():
            shutil.rmtree(tmp)
        tmp.mkdir()
        try:
            self.checkpoint.write(str(tmp / STATE_PREFIX))
            if not is_chief:
                return None
            configs = {key: net.get_config() for key, net in self.method.networks.items()}
            (tmp / NETWORKS_FILE).write_text(json.dumps(configs, indent=2), encoding="utf-8")
            (tmp / PROGRESS_FILE).write_text(json.dumps(self.progress.as_dict(), indent=2),
                                             encoding="utf-8")
            final = checkpoints_dir / name
            if final.exists():  # the same images-seen count saved again (e.g. after a resume)
                stale = checkpoints_dir / f".stale-{name}-{os.getpid()}"
                os.rename(final, stale)
                shutil.rmtree(stale)
            os.rename(tmp, final)
        finally:
            if tmp.exists():
                shutil.rmtree(tmp)
        _write_text_atomic(checkpoints_dir / LATEST_FILE, name)
        if keep:
            complete = sorted(p for p in checkpoints_dir.glob("ckpt-*")
                              if (p / f"{STATE_PREFIX}.index").exists())
            for old in complete[:-keep]:
                shutil.rmtree(old)
        return final

    def restore(self, path):
        """Restores everything (for --resume) from a run dir or checkpoint; returns its path."""
        ckpt = find_checkpoint(path)
        try:
            status = self.checkpoint.read(str(ckpt / STATE_PREFIX))
            status.assert_existing_objects_matched()
        except (ValueError, AssertionError, tf.errors.OpError) as err:
            raise _mismatch_error(ckpt, err) from err
        return ckpt


def _checkpoint_decoder_resolutions(ckpt, key):
    """Resolutions of the GGDR decoder stages (`{key}/b{res}_dec/...`) saved in `ckpt`."""
    pattern = re.compile(rf"^{re.escape(key)}/b(\d+)_dec/")
    return sorted({int(m.group(1)) for m in (pattern.match(name) for name, _ in
                                             tf.train.list_variables(str(ckpt / STATE_PREFIX)))
                   if m})


def _without(D, layers):
    """A trackable with D's children except `layers` (names; same checkpoint names)."""
    proxy = tf.Module(name=D.name)
    for name, child in D._trackable_children().items():
        if name not in layers:
            setattr(proxy, name, child)
    return proxy


def _new_heads(D, key, ckpt):
    """Names of D's few-shot heads (patch heads, projection) that `ckpt` does not have."""
    saved = {name.split("/")[1] for name, _ in tf.train.list_variables(str(ckpt / STATE_PREFIX))
             if name.startswith(key + "/")}
    heads = [layer.name for layer in D.patch_layers] + ([D.proj.name] if D.proj else [])
    return [name for name in heads if name not in saved]


def _decoder_plan(networks, ckpt):
    """Checks GGDR decoders of checkpoint and networks (--init_from); returns the networks to
    restore, where a D with a decoder the checkpoint lacks is restored without it, and notes.

    - checkpoint D with decoder up to R, network D without one or up to another resolution: an
      error naming --reg_type/--ggdr_res (the decoder is part of what a GGDR D learned);
    - checkpoint D without decoder (StyleGAN2-ADA), network D with one (a new GGDR run from
      StyleGAN2 weights): everything else is loaded and the decoder keeps its initialisation,
      as the reference's resume (`copy_params_and_buffers(..., require_all=False)`) does.
    """
    networks, notes = dict(networks), []
    for key, net in list(networks.items()):
        if not isinstance(net, Discriminator):
            continue
        skip = _new_heads(net, key, ckpt)
        if skip:
            notes.append(f"Note: {key} in {ckpt} has no {', '.join(skip)}: they keep their "
                         "random initialisation (new patch-level/projection heads).")
        have = _checkpoint_decoder_resolutions(ckpt, key)
        want = list(net.decoder_resolutions)
        if have == want:
            if skip:
                networks[key] = _without(net, set(skip))
            continue
        if have:
            res = have[-1]
            this = (f"this run's {key} has one up to {net.decoder_res}x{net.decoder_res} "
                    f"(--reg_type=ggdr --ggdr_res={net.decoder_res})" if want else
                    f"this run's {key} has none (--reg_type=none)")
            raise CheckpointError(
                f"cannot initialise from {ckpt}: its {key} has GGDR's decoder up to {res}x{res} "
                f"({', '.join(f'b{r}_dec' for r in have)}), but {this}. Train with "
                f"--reg_type=ggdr --ggdr_res={res} to use that discriminator.")
        networks[key] = _without(net, {b.name for b in net.decoder_blocks} | set(skip))
        notes.append(f"Note: {key} in {ckpt} has no GGDR decoder (a StyleGAN2 discriminator): "
                     f"loaded {key} without it; its decoder layers "
                     f"{', '.join(b.name for b in net.decoder_blocks)} keep their random "
                     "initialisation, as when the reference GGDR code resumes from a StyleGAN2 "
                     "pickle.")
    return networks, notes


def restore_weights(networks, path, log=None):
    """Loads only the weights of `networks` ({'G': G, ...}) from a checkpoint (--init_from).

    Discriminators' GGDR decoders are checked first (see `_decoder_plan`): a checkpoint D with a
    decoder needs a network D with the same `decoder_res`; a checkpoint D without one loads into
    a D with one, whose decoder keeps its initialisation (a note goes to `log`).

    Raises:
        CheckpointError: if the checkpoint lacks one of the networks, shapes differ or the GGDR
            decoders do not match.
    """
    ckpt = find_checkpoint(path)
    try:
        networks, notes = _decoder_plan(networks, ckpt)
        status = tf.train.Checkpoint(**networks).read(str(ckpt / STATE_PREFIX))
        status.expect_partial().assert_existing_objects_matched()
    except CheckpointError:
        raise
    except (ValueError, AssertionError, tf.errors.OpError) as err:
        raise _mismatch_error(ckpt, err) from err
    for note in notes if log else ():
        log(note)
    return ckpt


def check_source_resolution(path, resolution):
    """Raises CheckpointError if the generator saved at `path` is not `resolution` pixels."""
    ckpt, configs = load_network_configs(path)
    res = configs.get("G_ema", configs.get("G", {})).get("img_resolution")
    if res is not None and int(res) != int(resolution):
        raise CheckpointError(
            f"--init_from: the generator in {ckpt} makes {res}x{res} images but the training "
            f"data is {resolution}x{resolution}; use data at {res}x{res} (dataset_tool.py "
            f"--resolution={res}) or a source network of {resolution}x{resolution}")


def load_network_configs(path):
    """Returns (checkpoint dir, {name: Keras config}) of a run dir or checkpoint."""
    ckpt = find_checkpoint(path)
    configs_path = ckpt / NETWORKS_FILE
    if not configs_path.exists():
        raise CheckpointError(f"{configs_path} is missing")
    return ckpt, json.loads(configs_path.read_text(encoding="utf-8"))


def load_network(path, name="G_ema"):
    """Builds network `name` ('G_ema', 'G' or 'D') from a run dir or checkpoint, with weights."""
    ckpt, configs = load_network_configs(path)
    if name not in configs:
        raise CheckpointError(f"{ckpt} has no network {name!r} (has {sorted(configs)})")
    cls = Discriminator if name == "D" else Generator
    net = cls.from_config(configs[name])
    restore_weights({name: net}, ckpt)
    return net
