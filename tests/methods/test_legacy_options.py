"""Runs written before the method registry still resume.

`fixtures/legacy/*.json` and `*.flags` are the `training_options.json` and `effective.flags`
that tfgan_fs wrote at commit ed805c8 (before the registry) for the runs of
`tools/check_behaviour.py` (quickstart, ada, ggdr, mixdl, cdc, nada, stargan_v2) and for two
tiny runs (`tiny_ada`, `tiny_mixdl`: 16x16, 2 steps of 4; their flags are in the .flags files).
The checkpoint format did not change (the same variable names, checked by check_behaviour.py),
so what must still be read is these records.
"""

import dataclasses
import json
import pathlib
import shutil

import numpy as np
import pytest
import tensorflow as tf
from absl import flags

from tfgan_fs.methods import BUILTIN, CDCConfig, MixDLConfig
from tfgan_fs.methods import NADAConfig, StarGANv2Config, StyleGAN2Config
from tfgan_fs.data import open_dataset
from tfgan_fs.training import command
from tfgan_fs.training.loop import Trainer

LEGACY = pathlib.Path(__file__).parent / "fixtures" / "legacy"
CONFIGS = {"quickstart": StyleGAN2Config, "ada": StyleGAN2Config, "ggdr": StyleGAN2Config,
           "mixdl": MixDLConfig, "cdc": CDCConfig, "nada": NADAConfig,
           "stargan_v2": StarGANv2Config, "tiny_ada": StyleGAN2Config,
           "tiny_mixdl": MixDLConfig}


def legacy(name):
    return BUILTIN.options_from_json((LEGACY / f"{name}.json").read_text())


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_legacy_records_read_as_the_methods_config(name):
    raw = json.loads((LEGACY / f"{name}.json").read_text())
    options = legacy(name)
    assert type(options.config) is CONFIGS[name]
    assert options.method == raw.get("method_name", "stylegan2")
    # The schedule in the method's unit: kimg, or the iterations the flags gave.
    if options.schedule.unit == "iter":
        assert options.schedule.total == round(raw["total_kimg"] * 1000 / raw["batch_size"])
        assert isinstance(options.schedule.total, int)
    else:
        assert options.schedule.total == raw["total_kimg"]
    assert (options.schedule.snap, options.schedule.keep) == (raw["snap"],
                                                               raw["keep_checkpoints"])
    for key in ("seed", "batch_size", "batch_gpu", "desc", "data", "max_images", "metrics"):
        assert getattr(options, key) == raw[key], key
    # Every method setting of the old record is in the config, with its value.
    old = {**(raw["method"] or {}), **(raw["fewshot"] or {})}
    new = dataclasses.asdict(options.config)
    for key, value in old.items():
        assert json.loads(json.dumps(new[key])) == value, key
    # A legacy record written back is a current one, and reads back the same.
    assert BUILTIN.options_from_json(options.to_json()) == options


@pytest.mark.parametrize("name", ["quickstart", "ada", "ggdr", "mixdl", "cdc", "stargan_v2",
                                  "tiny_ada", "tiny_mixdl"])
def test_legacy_records_equal_what_their_flags_resolve_to_now(name):
    """The old record of a run is what the registry resolves the run's own flags to (NADA's
    flags name files of the machine that made them, so it is left out)."""
    options = legacy(name)
    args = json_flags(name)
    spec = BUILTIN.get(options.method)
    data = spec.open_data(options.data)
    env = dataclasses.replace(spec.creation_env(options, args), info=data.info)
    assert BUILTIN.resolve(args, env) == options


def json_flags(name):
    flag_values = flags.FlagValues()
    command.define_flags(flag_values, BUILTIN)
    names = set(command.option_names(BUILTIN))
    values = {}
    for line in (LEGACY / f"{name}.flags").read_text().splitlines():
        key, _, text = line.removeprefix("--").partition("=")
        if key in names:
            values[key] = flag_values[key].parser.parse(text)
    return values


@pytest.mark.parametrize("name", ["tiny_ada",
                                  pytest.param("tiny_mixdl", marks=pytest.mark.slow)])
def test_a_legacy_run_resumes_as_it_would_have(tmp_path, name):
    """A run dir with the legacy record resumes through the train command (its flags checked
    against the record) and ends where an uninterrupted run ends."""
    options = legacy(name)
    data = open_dataset(options.data)
    quiet = dict(log=lambda *a, **k: None)
    (tmp_path / "straight").mkdir()
    straight = Trainer(dataclasses.replace(
        options, schedule=dataclasses.replace(options.schedule, total=0.016)),
        tmp_path / "straight", data, **quiet)
    straight.run()
    run = tmp_path / "legacy"
    run.mkdir()
    Trainer(options, run, data, **quiet).run()  # 2 steps, as the legacy run
    shutil.copy(LEGACY / f"{name}.json", run / "training_options.json")
    shutil.copy(LEGACY / f"{name}.flags", run / "effective.flags")
    flag_values = flags.FlagValues()
    command.define_flags(flag_values, BUILTIN)
    flag_values(["train.py", f"--resume={run}",
                 *(LEGACY / f"{name}.flags").read_text().split(), "--kimg=0.016"])
    command.main(["train.py"], flag_values, BUILTIN)
    # The run keeps its record (a resume does not rewrite it) and reads it again.
    assert (run / "training_options.json").read_text() == (LEGACY / f"{name}.json").read_text()
    ckpt = run / "checkpoints" / "ckpt-000000016"
    assert (run / "checkpoints" / "latest").read_text().strip() == ckpt.name
    # Every variable (networks, optimizers, ADA's p and statistics, images seen, steps) as the
    # straight run; only the tick count differs (a resumed run does not report at its start).
    resumed = tf.train.load_checkpoint(str(ckpt / "state"))
    expected = tf.train.load_checkpoint(str(tmp_path / "straight" / "checkpoints" / ckpt.name
                                            / "state"))
    names = sorted(expected.get_variable_to_shape_map())
    assert sorted(resumed.get_variable_to_shape_map()) == names and len(names) > 100
    for name in names:
        if name.startswith(("_CHECKPOINTABLE_OBJECT_GRAPH", "progress/tick/")):
            continue
        np.testing.assert_allclose(resumed.get_tensor(name), expected.get_tensor(name),
                                   rtol=0, atol=1e-6, err_msg=name)
