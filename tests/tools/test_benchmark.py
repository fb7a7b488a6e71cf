"""The training-step benchmark: whole 16-minibatch cycles, consistent rates, one row per impl;
the StyleGAN-NADA benchmark (`--op=nada`); the built-in data benchmark (`--op=data`)."""

import json
import os
import pathlib
import subprocess
import sys
import types

import pytest

from tfgan_fs.benchmarks import builtin_data, nada_step as nada, train_step

REPO = pathlib.Path(__file__).resolve().parents[2]


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


def test_data_benchmark_reports_each_builtin_dataset():
    rows = builtin_data.run(types.SimpleNamespace(warmup=0, iters=1))
    assert [row["spec"] for row in rows] == ["builtin:shapes", "builtin:faces"]
    for row in rows:
        assert row["images"] == 4096 and row["resolution"] == 32 and row["sec_per_open"] > 0
        assert row["img_per_sec"] == pytest.approx(4096 / row["sec_per_open"])


def test_train_benchmark_refuses_xla_with_the_geometric_pipe():
    settings = types.SimpleNamespace(res=16, batch=4, cfg="auto", aug="fixed", p=0.2,
                                     augpipe="bgc", fp32=True, xla=True, strategy="default",
                                     impl=["ref"], warmup=1, iters=1, reg_type="none",
                                     ggdr_res=None, method="stylegan2")
    with pytest.raises(ValueError, match="--xla: --augpipe=bgc"):
        train_step.run(settings)


def test_nada_benchmark_prints_positive_seconds_per_iteration_and_parameter_counts():
    # The tool itself at a tiny size (8x8 paper256 generator, tiny CLIP), as a subprocess: one
    # JSON line per configuration. Default --batch (2) and --auto_layer_k (num_ws).
    result = subprocess.run(
        [sys.executable, str(REPO / "tools" / "benchmark.py"), "--op=nada", "--res=8",
         "--clip_size=tiny", "--impl=ref", "--auto_layer_iters=1", "--auto_layer_batch=2",
         "--warmup=1", "--iters=1"],
        cwd=REPO, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}, capture_output=True,
        text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    (row,) = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert row["op"] == "nada" and row["impl"] == "ref" and row["res"] == 8
    assert row["batch"] == 2 and row["clip_size"] == "tiny"
    assert row["num_ws"] == 4 and row["auto_layer_k"] == 4 and row["auto_layer_iters"] == 1
    assert row["sec_per_iter"] > 0 and row["warmup_sec"] > 0
    assert row["img_per_sec"] == pytest.approx(2 / row["sec_per_iter"])
    assert row["G_params"] > 0 and row["trained_params"] > 0
    assert row["clip_params"] >= row["clip_vision_params"] + row["clip_text_params"] > 0


def test_nada_benchmark_clip_has_vit_b32_sizes():
    # Parameter counts only (nothing runs): OpenAI's ViT-B/32 CLIP has 151.3M parameters, 25.3M
    # of them the text encoder's 49408 x 512 token embeddings.
    clip = nada.build_clip("vit_b32")
    backbone = clip.backbone
    assert clip.input_size == 224 and clip.embedding_dim == 512
    assert backbone.text_encoder.vocabulary_size == 49408
    assert nada.count_params(backbone.weights) == pytest.approx(151.3e6, rel=0.01)
