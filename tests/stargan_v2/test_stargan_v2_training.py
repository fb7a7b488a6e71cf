"""StarGAN v2 through the shared Trainer: exact resume (lambda_ds included), --init_from a
converted official checkpoint, and the option checks."""

import os
import pathlib

import numpy as np
import pytest

from resolve_options import build_options
from tfgan_fs.convert import stargan_v2 as conv
from tfgan_fs.data import open_dataset
from tfgan_fs.data.array_data import ArrayData
from tfgan_fs.data.dataset_info import DatasetInfo
from tfgan_fs.export.translation import recorded_domain_names
from tfgan_fs.methods import OptionsError
from tfgan_fs.training.loop import Trainer

DATA = "builtin:shapes?resolution=16&count=64"
TINY = dict(method="stargan_v2", data=DATA, img_size=16, dim_in=8, max_conv_dim=16,
            latent_dim=4, hidden_dim=8, style_dim=4, w_hpf=0.0, batch=4, output_interval=1,
            snap=1, lambda_ds=2.0, ds_iter=10, randcrop_prob=0.5)
FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures")


def options(**kwargs):
    args = {**TINY, **kwargs}
    return build_options(args, open_dataset(args["data"]).info)


def state(trainer):
    m = trainer.method
    values = {f"{k}/{v.path}": v.numpy() for k, net in m.networks.items() for v in net.weights}
    values.update({f"{k}_opt/{i}": v.numpy() for k, opt in m.optimizers.items()
                   for i, v in enumerate(opt.variables)})
    values["lambda_ds"] = m.lambda_ds.numpy()
    return values


def test_resume_continues_exactly_with_the_decayed_lambda_ds(tmp_path):
    opts = options(iter=4)
    data = open_dataset(DATA)
    straight = Trainer(opts, tmp_path / "a", data, log=lambda *a: None)
    straight.run()
    assert float(straight.method.lambda_ds.numpy()) == pytest.approx(2.0 * (1 - 4 / 10))
    # Continue from the checkpoint after 2 iterations in another directory.
    middle = tmp_path / "a" / "checkpoints" / "ckpt-000000008"
    assert (middle / "state.index").exists()
    (tmp_path / "b").mkdir()
    resumed = Trainer(opts, tmp_path / "b", data, log=lambda *a: None, resume=middle)
    assert int(resumed.progress.step.numpy()) == 2
    assert float(resumed.method.lambda_ds.numpy()) == pytest.approx(2.0 * (1 - 2 / 10))
    resumed.run()
    a, b = state(straight), state(resumed)
    assert a.keys() == b.keys()
    for key in a:  # the same computations in the same order on the same machine
        np.testing.assert_allclose(b[key], a[key], rtol=1e-6, atol=1e-7, err_msg=key)
    stats = (tmp_path / "a" / "stats.jsonl").read_text().splitlines()
    assert len(stats) == 4 and '"Loss/G/lambda_ds"' in stats[-1]
    for name in ("fakes", "translate_reference", "cycle"):
        assert (tmp_path / "a" / f"{name}-iter000004.png").exists(), name
    # The domain names are recorded with the run (export.py and translate.py read them).
    names, _ = recorded_domain_names(tmp_path / "a")
    assert names == ["circle", "square", "triangle", "ring"]


def three_domain_data(size=64):
    images = np.random.RandomState(0).randint(0, 255, (6, size, size, 3)).astype(np.uint8)
    labels = np.array([0, 1, 2, 0, 1, 2])
    info = DatasetInfo("three", size, 3, 6, 3, ("a", "b", "c"), (2, 2, 2))
    return ArrayData(info, images, labels)


def test_init_from_a_converted_official_checkpoint(tmp_path):
    """nets_ema.ckpt (G, F, E, no D) starts G, F, E and their EMA copies; D stays fresh."""
    run = tmp_path / "official"
    conv.write_run_dir(conv.convert_checkpoint(os.path.join(FIXTURES, "nets_ema.ckpt")), run)
    data = three_domain_data()
    args = dict(TINY, img_size=64, dim_in=8, max_conv_dim=16, latent_dim=8, hidden_dim=32,
                style_dim=16)
    opts = build_options(args, data.info)
    messages = []
    trainer = Trainer(opts, tmp_path / "run", data, log=messages.append, init_from=run)
    converted = conv.load(run)
    nets = trainer.method.networks
    for key in ("generator", "mapping_network", "style_encoder"):
        for ours in (key, key + "_ema"):
            for a, b in zip(nets[ours].weights, converted[key].weights):
                np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert any("no discriminator" in m for m in messages)

    small = build_options(dict(args, style_dim=8), data.info)
    with pytest.raises(ValueError, match="style_dim 16 vs 8"):
        Trainer(small, tmp_path / "run2", data, log=lambda *a: None, init_from=run)


@pytest.mark.parametrize("extra, flag, message", [
    (dict(gamma=10.0), "stargan_v2", "does not read --gamma"),
    (dict(w_hpf=1.0, img_size=256), "wing", "needs the FAN's face masks"),
    (dict(w_hpf=1.0), "w_hpf", "at img_size 16 use --w_hpf=0"),
    (dict(randcrop_prob=1.5), "randcrop_prob", "must be in [0, 1]"),
    (dict(metrics="fid_latent"), "val_data", "give --val_data"),
    (dict(batch=0), "batch", "must be >= 1"),
])
def test_bad_options_name_the_flag(extra, flag, message):
    with pytest.raises(OptionsError, match=flag) as err:
        options(**extra)
    assert message in str(err.value)


def test_unlabeled_data_is_refused():
    info = DatasetInfo("plain", 16, 3, 10)
    with pytest.raises(OptionsError, match="--data: StarGAN v2 translates between domains"):
        build_options(dict(TINY, data="x"), info)


def test_stargan_flags_are_refused_by_other_methods():
    with pytest.raises(OptionsError, match=r"does not read --lambda_cyc \(a setting of "
                       r"--method=stargan_v2\)"):
        build_options(dict(data=DATA, lambda_cyc=1.0), open_dataset(DATA).info)


def read_flags(name):
    path = pathlib.Path(__file__).resolve().parents[2] / "configs" / name
    return dict(line.split("=", 1) for line in path.read_text().splitlines()
                if line.startswith("--"))


def test_recipe_flagfiles_hold_the_reference_commands():
    afhq, celeba = read_flags("stargan_v2_afhq.flags"), read_flags("stargan_v2_celeba_hq.flags")
    assert (afhq["--w_hpf"], afhq["--lambda_ds"], afhq["--batch"]) == ("0", "2", "8")
    assert (celeba["--w_hpf"], celeba["--lambda_ds"]) == ("1", "1") and "--wing" in celeba
    for flags in (afhq, celeba):
        assert (flags["--lambda_reg"], flags["--lambda_sty"], flags["--lambda_cyc"]) == (
            "1", "1", "1")
        assert (flags["--iter"], flags["--lr"], flags["--f_lr"]) == ("100000", "1e-4", "1e-6")
