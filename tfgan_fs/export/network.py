"""The generator that is traced into an export: G_ema rebuilt from a checkpoint's config."""

import inspect

from tfgan_fs.networks import Generator
from tfgan_fs.runs.checkpoints import CheckpointError, load_network_configs, restore_weights

REFERENCE_IMPL = "ref"


def _force_reference_impl(config):
    """Returns a copy of a Keras config with every `impl` option set to 'ref', at any depth."""
    if isinstance(config, dict):
        return {key: REFERENCE_IMPL if key == "impl" else _force_reference_impl(value)
                for key, value in config.items()}
    if isinstance(config, list):
        return [_force_reference_impl(value) for value in config]
    return config


def build_export_generator(path, name="G_ema"):
    """Builds network `name` of a run dir or checkpoint for export, with its weights.

    The network is always rebuilt from the checkpoint's saved config (never reused from a
    training process), so that the implementation of every op is chosen here:
    **exports contain stock TensorFlow ops only**, because TF Serving cannot load custom ops.
    This is the one place that forces the pure-TF reference implementation: every `impl`
    option in the config becomes 'ref', and so does the Generator's own `impl` argument once
    it has one.

    Returns:
        (generator, checkpoint directory).

    Raises:
        CheckpointError: if `path` holds no loadable checkpoint or no network `name`.
    """
    ckpt, configs = load_network_configs(path)
    if name not in configs:
        raise CheckpointError(f"{ckpt} has no network {name!r} (has {sorted(configs)})")
    config = _force_reference_impl(configs[name])
    if "impl" in inspect.signature(Generator.__init__).parameters:
        config["impl"] = REFERENCE_IMPL
    G = Generator.from_config(config)
    restore_weights({name: G}, ckpt)
    return G, ckpt
