"""The method registry: a new method is one module (here: this file) plus one registry line.

A hinge-loss StyleGAN2 variant is defined below, registered with `BUILTIN.with_method`, and
trained through tools/train.py's code path (`tfgan_fs.training.command`) with its own flag, which
--help lists under its own heading; nothing else in the repository knows it.
"""

import dataclasses
import json
import pathlib
import re

import pytest
import tensorflow as tf
from absl import flags

from tfgan_fs.methods import BUILTIN, OptionsError, Registry, ResolveEnv, StyleGAN2Config
from tfgan_fs.methods.base import Term, TermResult
from tfgan_fs.methods.options import Setting, setting
from tfgan_fs.methods.spec import GENERAL_SETTINGS
from tfgan_fs.methods.stylegan2 import StyleGAN2, StyleGAN2Spec
from tfgan_fs.data import open_dataset
from tfgan_fs.runs import checkpoints
from tfgan_fs.training import command

TINY = ["--data=builtin:shapes?resolution=16&count=16", "--batch=4", "--cbase=128",
        "--cmax=8", "--map=1", "--mbstd_group=2", "--aug=noaug", "--seed=3"]


# --- the toy method: what a new method's module holds ----------------------------------------

@dataclasses.dataclass
class HingeConfig(StyleGAN2Config):
    """StyleGAN2 with the hinge loss (Lim & Ye 2017) of margin `hinge_margin`."""
    hinge_margin: float = setting(1.0, "Hinge: margin of D's hinge loss (default 1).", above=0)


class HingeDiscriminatorLoss(Term):
    """relu(m - D(x)) + relu(m + D(G(z)))."""

    def __init__(self, phase, margin):
        super().__init__(phase)
        self.margin = margin

    def __call__(self, ctx):
        loss = (ctx.real.per_image(lambda x: tf.nn.relu(self.margin - x))
                + ctx.fake.per_image(lambda x: tf.nn.relu(self.margin + x)))
        return TermResult(loss, {"Loss/D/loss": loss, "Loss/D/hinge": loss,
                                 "Loss/signs/real": ctx.real.per_image(tf.sign)})


class HingeGeneratorLoss(Term):
    """-D(G(z))."""

    def __call__(self, ctx):
        loss = -ctx.fake.per_image()
        return TermResult(loss, {"Loss/G/loss": loss})


class HingeStyleGAN2(StyleGAN2):
    def adversarial_term(self, net, phase):
        if net == "G":
            return HingeGeneratorLoss(phase.name)
        return HingeDiscriminatorLoss(phase.name, self.config.hinge_margin)


class HingeSpec(StyleGAN2Spec):
    name = "hinge"
    title = "StyleGAN2 with the hinge loss (a test's method)"
    config_class = HingeConfig
    method_class = HingeStyleGAN2


REGISTRY = BUILTIN.with_method(HingeSpec())  # the one registry line


# --- through tools/train.py's code path --------------------------------------------------------

def train_command(argv, registry=REGISTRY):
    """Parses `argv` with the flags generated from `registry` and runs the training command."""
    flag_values = flags.FlagValues()
    command.define_flags(flag_values, registry)
    rest = flag_values(["train.py"] + argv)
    command.main(rest, flag_values, registry)
    return flag_values


def run_dir_of(outdir):
    (run,) = [p for p in pathlib.Path(outdir).iterdir() if p.is_dir()]
    return run


def test_a_new_method_trains_two_steps_and_resumes_through_the_train_command(tmp_path):
    train_command(TINY + ["--method=hinge", "--hinge_margin=0.5", "--kimg=0.008",
                          "--tick=0.004", "--snap=1", f"--outdir={tmp_path}"])
    run = run_dir_of(tmp_path)
    assert run.name.endswith("-noaug-hinge")
    options = json.loads((run / "training_options.json").read_text())
    assert options["method"] == "hinge" and options["config"]["hinge_margin"] == 0.5
    assert "--method=hinge" in (run / "effective.flags").read_text()
    stats = [json.loads(line) for line in (run / "stats.jsonl").read_text().splitlines()]
    assert [row["kimg"] for row in stats] == [0.004, 0.008]  # 2 steps of 4 images
    # The hinge term trained D: its loss is reported, the logistic loss's scores are not.
    assert all(0 <= row["Loss/D/hinge"] < 10 for row in stats)
    assert not any("Loss/scores/fake" in row for row in stats)
    assert checkpoints.find_checkpoint(run).name == "ckpt-000000008"
    # --resume reads the new method's options back through the registry.
    train_command([f"--resume={run}", "--kimg=0.012"])
    assert checkpoints.find_checkpoint(run).name == "ckpt-000000012"
    resumed = REGISTRY.options_from_json((run / "training_options.json").read_text())
    assert isinstance(resumed.config, HingeConfig) and resumed.config.hinge_margin == 0.5


def test_the_new_methods_flag_is_checked_and_refused_by_other_methods(tmp_path, capsys):
    with pytest.raises(SystemExit):
        train_command(TINY + ["--method=hinge", "--hinge_margin=0", f"--outdir={tmp_path}"])
    assert "error: --hinge_margin: must be > 0, got 0" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        train_command(TINY + ["--hinge_margin=0.5", f"--outdir={tmp_path}"])
    assert ("--method=stylegan2 does not read --hinge_margin (a setting of --method=hinge)"
            in capsys.readouterr().err)
    assert not list(tmp_path.iterdir())  # nothing written


def test_help_lists_the_new_method_and_its_flag_under_its_heading():
    flag_values = flags.FlagValues()
    command.define_flags(flag_values, REGISTRY)
    text = command.help_text(flag_values, REGISTRY, "doc")
    heading = text.index("--method=hinge: StyleGAN2 with the hinge loss")
    entry = text.index("  --hinge_margin: Hinge: margin of D's hinge loss (default 1).")
    assert heading < entry and text.index("--method=stargan_v2:") < heading
    assert "and the flags of --method=stylegan2 listed above" in text[heading:entry]
    # Every flag of every method is listed once under the heading of its declaring module.
    for name in REGISTRY.settings():
        assert re.search(rf"^  --(\[no\])?{name}:", text, re.MULTILINE), name


# --- the registry itself -----------------------------------------------------------------------

def test_each_builtin_method_reads_its_own_flags_and_the_shared_ones():
    readers = {name: BUILTIN.readers(name) for name in BUILTIN.settings()}
    assert readers["kl_wt"] == ["mixdl", "cdc"]
    assert readers["lr"] == ["nada", "stargan_v2"]
    assert readers["data"] == ["stylegan2", "mixdl", "cdc", "stargan_v2"]
    assert readers["iter"] == ["nada", "stargan_v2"]
    assert readers["kimg"] == ["stylegan2", "mixdl", "cdc"]
    assert all(readers.values()), [k for k, v in readers.items() if not v]
    # A shared flag keeps each method's help text.
    lr = BUILTIN.settings()["lr"]
    assert [s.help.split(":")[0] for s in lr] == ["NADA", "StarGAN v2"]


def test_conflicting_flag_kinds_and_duplicate_names_are_refused():
    class IntLr(HingeSpec):
        name = "intlr"

        def settings(self):
            return super().settings() + (Setting("lr", int, "an int lr", owner="x"),)

    with pytest.raises(ValueError, match="--lr is declared as a float .* and a int"):
        BUILTIN.with_method(IntLr())
    with pytest.raises(ValueError, match="duplicate method names"):
        Registry([HingeSpec(), HingeSpec()])
    with pytest.raises(OptionsError, match="--method: must be one of stylegan2, mixdl, cdc, "
                       "nada, stargan_v2, got 'hinge'"):
        BUILTIN.get("hinge")


def test_settings_bounds_name_the_flag():
    batch = next(s for s in GENERAL_SETTINGS if s.name == "batch")
    with pytest.raises(OptionsError, match="--batch: must be >= 1, got 0"):
        batch.check(0)
    info = open_dataset("builtin:shapes?resolution=16&count=16").info
    env = ResolveEnv(info=info)
    for args, message in [({"p": 1.5, "aug": "fixed"}, r"--p: must be in \[0, 1\], got 1.5"),
                          ({"method": "stargan_v2", "beta2": 1.0},
                           r"--beta2: must be in \[0, 1\), got 1"),
                          ({"method": "mixdl", "mixup_dist": "x", "max_images": 8, "batch": 4},
                           "--mixup_dist: must be one of dirichlet, gaussian, uniform")]:
        with pytest.raises(OptionsError, match=message):
            BUILTIN.resolve({"data": "builtin:shapes", **args}, env)
