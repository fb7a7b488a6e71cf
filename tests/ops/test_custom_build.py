"""The build module: cache keys, reuse, the nvcc policy, and compiling the CUDA sources."""

import shutil

import pytest

from tfgan_fs.ops import build


def test_source_key_changes_with_the_sources(tmp_path):
    copy = tmp_path / "tf_ops"
    shutil.copytree(build.SOURCE_DIR, copy)
    key = build.source_key(copy)
    assert key == build.source_key(build.SOURCE_DIR) and key.startswith("tf2.")
    kernel = copy / "bias_act" / "bias_act.h"
    kernel.write_text(kernel.read_text() + "\n// changed\n")
    assert build.source_key(copy) != key


def test_missing_sources_name_the_directory(tmp_path):
    with pytest.raises(build.BuildError, match="tf_ops/ tree"):
        build.source_files(tmp_path)


def test_cached_build_is_reused_without_compiling(custom_ops, monkeypatch):
    plan = build.plan(log=lambda msg: None)
    monkeypatch.setattr(build, "run_commands",
                        lambda *a, **k: pytest.fail("an up-to-date build must not compile"))
    messages = []
    assert build.build(plan, log=messages.append) == plan.directory / build.LIBRARY_NAME
    assert messages and messages[0].startswith("Up to date")
    assert any(lib == plan.directory / build.LIBRARY_NAME for lib, _ in build.built_libraries())


def test_build_prints_commands_and_renames_atomically(tmp_path, monkeypatch):
    """A (fake) successful build lands in the cache in one rename, with its commands printed."""
    monkeypatch.setenv("TFGAN_FS_OPS_CACHE", str(tmp_path))
    plan = build.BuildPlan(compiles=(("true", "-o", "@OUT@/a.o"),),
                           link=("cp", "/dev/null", "@OUT@/" + build.LIBRARY_NAME),
                           cuda=None, archs=(), source_key="src", variant_key="cpu-x")
    messages = []
    library = build.build(plan, log=messages.append)
    assert library == tmp_path / "src" / "cpu-x" / build.LIBRARY_NAME and library.is_file()
    assert "$ true -o " in messages[0] and messages[1].startswith("$ cp /dev/null")
    assert not list((tmp_path / "src").glob("tmp-*"))  # no half-written directory left
    failing = build.BuildPlan(compiles=(("false",),), link=(), cuda=None, archs=(),
                              source_key="src", variant_key="cpu-y")
    with pytest.raises(build.BuildError, match="command failed .*: false"):
        build.build(failing, log=lambda msg: None)
    assert not (tmp_path / "src" / "cpu-y").exists()
    assert not list((tmp_path / "src").glob("tmp-*"))


def test_nvcc_policy(monkeypatch):
    messages = []
    monkeypatch.setattr(build, "find_nvcc", lambda explicit=None: None)
    plan = build.plan(cuda="auto", log=messages.append)
    assert plan.cuda is None and "CPU kernels only: no nvcc found" in messages[0]
    with pytest.raises(build.BuildError, match="cannot build the CUDA kernels: no nvcc"):
        build.plan(cuda="on", log=messages.append)
    fake = build.Nvcc("/opt/cuda-13/bin/nvcc", (13, 0), build.SOURCE_DIR)
    monkeypatch.setattr(build, "find_nvcc", lambda explicit=None: fake)
    monkeypatch.setattr(build, "tf_cuda_major", lambda: 12)
    plan = build.plan(cuda="auto", log=messages.append)
    assert plan.cuda is None and "nvcc 13.0 at /opt/cuda-13/bin/nvcc does not match" in messages[-1]


def matching_nvcc():
    """The nvcc the build would use for TensorFlow's CUDA, or a skip naming why there is none
    (a CUDA 13 nvcc can be installed beside a TensorFlow built for CUDA 12)."""
    nvcc, want = build.find_nvcc(), build.tf_cuda_major()
    if want is None:
        pytest.skip("this TensorFlow is a CPU-only build: no CUDA kernels to compile")
    if nvcc is None:
        pytest.skip(f"no nvcc on this machine (TensorFlow was built with CUDA {want}.x)")
    if nvcc.version[0] != want:
        pytest.skip(f"nvcc {nvcc.version[0]}.{nvcc.version[1]} at {nvcc.path} does not match "
                    f"TensorFlow's CUDA {want}.x (set $TFGAN_FS_NVCC to a CUDA {want}.x nvcc)")
    return nvcc


def test_cuda_sources_compile():
    """Compile-only check of the .cu files with the nvcc of TensorFlow's CUDA (no GPU needed)."""
    nvcc = matching_nvcc()
    arch = build.supported_archs(nvcc)[-1:]  # one arch here; tools/build_ops.py --check_cuda: all
    build.check_cuda_sources(nvcc=nvcc, archs=arch, host=False, log=lambda msg: None)


@pytest.mark.slow
def test_cuda_sources_and_gpu_host_code_compile_for_all_archs():
    nvcc = matching_nvcc()
    build.check_cuda_sources(nvcc=nvcc, host=True, log=lambda msg: None)
