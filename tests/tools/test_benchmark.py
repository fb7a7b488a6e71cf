"""The training-step benchmark: whole 16-minibatch cycles, consistent rates, one row per impl."""

import types

import pytest

from tfgan_fs.benchmarks import train_step


def test_train_benchmark_times_whole_cycles_and_reports_consistent_rates():
    settings = types.SimpleNamespace(res=16, batch=4, cfg="auto", aug="noaug", p=0.2,
                                     augpipe="bgc", fp32=True, xla=False, strategy="default",
                                     impl=["ref"], warmup=1, iters=5, reg_type="ggdr",
                                     ggdr_res=None, method="cdc")
    (row,) = train_step.run(settings)  # CDC (from a saved source) with GGDR: every seam piece
    assert row["method"] == "cdc"
    assert row["reg_type"] == "ggdr" and row["ggdr_res"] == 8  # res / 4 clipped to >= 8
    assert row["impl"] == "ref" and row["iters"] == 16  # 5 rounded up to one R1 cycle
    assert row["batch"] == 4 and row["replicas"] == 1 and row["fp16_res"] == 0
    assert row["img_per_sec"] == pytest.approx(4 / row["sec_per_iter"])
    assert row["sec_per_kimg"] == pytest.approx(row["sec_per_iter"] / 4 * 1000)
    assert row["sec_per_iter"] > 0 and row["peak_host_mem_gb"] > 0


def test_train_benchmark_refuses_xla_with_the_geometric_pipe():
    settings = types.SimpleNamespace(res=16, batch=4, cfg="auto", aug="fixed", p=0.2,
                                     augpipe="bgc", fp32=True, xla=True, strategy="default",
                                     impl=["ref"], warmup=1, iters=1, reg_type="none",
                                     ggdr_res=None, method="stylegan2")
    with pytest.raises(ValueError, match="--xla: --augpipe=bgc"):
        train_step.run(settings)
