"""Compiles the custom ops in ``tf_ops/`` against the installed TensorFlow wheel.

One shared library, ``tfgan_fs_ops.so``, holds both ops (upfirdn2d and bias_act): their CPU
kernels always, their CUDA kernels when a CUDA nvcc whose major version matches TensorFlow's
CUDA (12 for TF 2.21) is found. Flags come from ``tf.sysconfig.get_compile_flags()`` /
``get_link_flags()`` (C++17, the wheel's ``_GLIBCXX_USE_CXX11_ABI``); see reference/tfeco.md
section 5. Builds are cached in ``$TFGAN_FS_OPS_CACHE`` (default ``~/.cache/tfgan_fs/ops``)::

    <cache>/<source key>/<variant key>/tfgan_fs_ops.so  + build.json

The source key hashes the sources, the TensorFlow version and its flags; the variant key hashes
the exact commands and compiler versions. A build runs under a file lock (fcntl) in a temporary
directory that is renamed into place, so concurrent builds and interrupted builds are safe.
Nothing here runs at import time.
"""

import concurrent.futures
import dataclasses
import fcntl
import hashlib
import json
import os
import pathlib
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from typing import Optional

LIBRARY_NAME = "tfgan_fs_ops.so"
MANIFEST_NAME = "build.json"
SOURCE_DIR = pathlib.Path(__file__).resolve().parents[2] / "tf_ops"
OP_DIRS = ("upfirdn2d", "bias_act")
CUDA_ARCHS = ("70", "80", "86", "89", "90")  # sm_XX; compute_90 PTX is embedded as well
BUILD_COMMAND = "python tools/build_ops.py"
CXX_FLAGS = ("-O3", "-fPIC", "-Wno-deprecated-declarations")
NVCC_FLAGS = ("-O3", "-Xcompiler", "-fPIC", "--expt-relaxed-constexpr", "-DNDEBUG")


class BuildError(RuntimeError):
    """The custom ops could not be built; the message names the failing command."""


@dataclasses.dataclass(frozen=True)
class Nvcc:
    """A CUDA compiler: its path, version and toolkit root."""

    path: str
    version: tuple
    root: pathlib.Path


@dataclasses.dataclass(frozen=True)
class BuildPlan:
    """What to compile and how; `commands` are argv lists run in order (compiles in parallel)."""

    compiles: tuple
    link: tuple
    cuda: Optional[Nvcc]
    archs: tuple
    source_key: str
    variant_key: str

    @property
    def directory(self):
        return cache_dir() / self.source_key / self.variant_key


def cache_dir():
    """The build cache: ``$TFGAN_FS_OPS_CACHE`` or ``~/.cache/tfgan_fs/ops``."""
    env = os.environ.get("TFGAN_FS_OPS_CACHE")
    return pathlib.Path(env) if env else pathlib.Path.home() / ".cache" / "tfgan_fs" / "ops"


def source_files(source_dir=SOURCE_DIR):
    """All sources and headers of the ops, sorted; raises BuildError if the tree is missing."""
    files = []
    for name in OP_DIRS:
        op_dir = pathlib.Path(source_dir) / name
        if not op_dir.is_dir():
            raise BuildError(f"custom op sources not found: {op_dir} is missing (the tf_ops/ "
                             "tree ships with a source checkout; install with `pip install -e .`)")
        files += sorted(p for p in op_dir.iterdir() if p.suffix in (".cc", ".cu", ".h"))
    return files


def _tf_flags():
    import tensorflow as tf
    return (tf.__version__, list(tf.sysconfig.get_compile_flags()),
            list(tf.sysconfig.get_link_flags()), tf.sysconfig.get_build_info())


def source_key(source_dir=SOURCE_DIR):
    """Hash of the sources, the TensorFlow version and its compile/link flags."""
    version, cflags, lflags, _ = _tf_flags()
    digest = hashlib.sha256()
    for path in source_files(source_dir):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    digest.update(json.dumps([version, cflags, lflags, sys.version_info[:2]]).encode())
    return f"tf{version}-{digest.hexdigest()[:16]}"


def _run_text(argv):
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=60).stdout
    except (OSError, subprocess.SubprocessError):
        return ""


def nvcc_version(path):
    """(major, minor) of an nvcc binary, or None if it does not run."""
    match = re.search(r"release (\d+)\.(\d+)", _run_text([path, "--version"]))
    return (int(match.group(1)), int(match.group(2))) if match else None


def find_nvcc(explicit=None):
    """Finds nvcc: `explicit`, $TFGAN_FS_NVCC, $CUDA_HOME/bin, PATH, or the nvcc pip package.

    Returns:
        `Nvcc`, or None when none runs. (The PyPI nvidia-cuda-nvcc-cu12 12.x wheels checked so
        far ship ptxas but no nvcc binary; the package is still searched in case one does.)
    """
    candidates = [explicit, os.environ.get("TFGAN_FS_NVCC")]
    for env in ("CUDA_HOME", "CUDA_PATH"):
        if os.environ.get(env):
            candidates.append(os.path.join(os.environ[env], "bin", "nvcc"))
    candidates.append(shutil.which("nvcc"))
    try:
        import nvidia.cuda_nvcc  # noqa: F401  (pip package nvidia-cuda-nvcc-cu12)
        for root in nvidia.cuda_nvcc.__path__:
            candidates.append(os.path.join(root, "bin", "nvcc"))
    except ImportError:
        pass
    for path in candidates:
        if path and os.path.isfile(path) and os.access(path, os.X_OK):
            version = nvcc_version(path)
            if version:
                real = pathlib.Path(path).resolve()
                return Nvcc(str(real), version, real.parent.parent)
    return None


def supported_archs(nvcc):
    """The `CUDA_ARCHS` this nvcc can compile for (CUDA 13 dropped sm_70)."""
    listed = _run_text([nvcc.path, "--list-gpu-arch"])
    if not listed:
        return CUDA_ARCHS
    return tuple(a for a in CUDA_ARCHS if f"compute_{a}" in listed)


def tf_cuda_major():
    """Major CUDA version TensorFlow was built with (12 for TF 2.21), None for CPU builds."""
    version = _tf_flags()[3].get("cuda_version")
    return int(str(version).split(".")[0]) if version else None


def _gencode(archs):
    flags = []
    for arch in archs:
        flags += ["-gencode", f"arch=compute_{arch},code=sm_{arch}"]
    if archs:
        flags += ["-gencode", f"arch=compute_{archs[-1]},code=compute_{archs[-1]}"]
    return flags


def _cudart_static(nvcc):
    for sub in ("lib64", "lib", "targets/x86_64-linux/lib", "targets/sbsa-linux/lib"):
        path = nvcc.root / sub / "libcudart_static.a"
        if path.is_file():
            return path
    return None


def _cuda_include(nvcc):
    include = nvcc.root / "include"
    if (include / "cuda_runtime.h").is_file():
        return include
    import tensorflow as tf  # the wheel bundles CUDA headers under third_party/gpus
    return pathlib.Path(tf.sysconfig.get_include()) / "third_party" / "gpus" / "cuda" / "include"


def compile_commands(out_dir, cxx="g++", nvcc=None, archs=(), source_dir=SOURCE_DIR):
    """The compile commands (argv lists) for the host sources and, with `nvcc`, the CUDA ones."""
    _, cflags, _, _ = _tf_flags()
    out_dir = pathlib.Path(out_dir)
    commands = []
    for path in source_files(source_dir):
        include = ["-I", str(path.parent)]
        if path.suffix == ".cc":
            cuda = ["-DGOOGLE_CUDA=1", "-I", str(_cuda_include(nvcc))] if nvcc else []
            commands.append([cxx, "-c", *CXX_FLAGS, *cuda, *include, *cflags,
                             "-o", str(out_dir / f"{path.stem}.o"), str(path)])
        elif path.suffix == ".cu" and nvcc:
            commands.append([nvcc.path, "-c", "-std=c++17", *NVCC_FLAGS, *include,
                             *_gencode(archs), "-o", str(out_dir / f"{path.stem}.cu.o"),
                             str(path)])
    return commands


def plan(cuda="auto", nvcc_path=None, cxx=None, source_dir=SOURCE_DIR, log=print):
    """Decides what to build.

    Args:
        cuda: 'auto' (CUDA kernels when a matching nvcc is found), 'on' (required) or 'off'.
        nvcc_path: nvcc to use instead of searching.
        cxx: Host C++ compiler (default $CXX or g++).
        source_dir: The tf_ops/ tree.
        log: Where notes about the decision go.

    Returns:
        `BuildPlan`.

    Raises:
        BuildError: no C++ compiler, or cuda='on' without a usable nvcc 12.x.
    """
    if cuda not in ("auto", "on", "off"):
        raise BuildError(f"cuda must be 'auto', 'on' or 'off', got {cuda!r}")
    cxx = cxx or os.environ.get("CXX") or "g++"
    cxx_version = _run_text([cxx, "--version"]).splitlines()[:1]
    if not cxx_version:
        raise BuildError(f"C++ compiler {cxx!r} not found; install g++ (or set $CXX)")
    nvcc, archs = None, ()
    if cuda != "off":
        nvcc = find_nvcc(nvcc_path)
        want = tf_cuda_major()
        problem = None
        if nvcc is None:
            problem = "no nvcc found (PATH, $CUDA_HOME, $TFGAN_FS_NVCC)"
        elif want is None:
            problem = "this TensorFlow is a CPU-only build"
        elif nvcc.version[0] != want:
            problem = (f"nvcc {nvcc.version[0]}.{nvcc.version[1]} at {nvcc.path} does not match "
                       f"TensorFlow's CUDA {want}.x (set $TFGAN_FS_NVCC or $CUDA_HOME to a CUDA "
                       f"{want}.x toolkit)")
        elif _cudart_static(nvcc) is None:
            problem = f"libcudart_static.a not found under {nvcc.root}"
        if problem:
            if cuda == "on":
                raise BuildError(f"cannot build the CUDA kernels: {problem}")
            log(f"Building the CPU kernels only: {problem}.")
            nvcc = None
        else:
            archs = supported_archs(nvcc)
    src_key = source_key(source_dir)
    placeholder = pathlib.Path("@OUT@")
    compiles = compile_commands(placeholder, cxx, nvcc, archs, source_dir)
    objects = [c[c.index("-o") + 1] for c in compiles]
    _, _, lflags, _ = _tf_flags()
    cuda_libs = ([str(_cudart_static(nvcc)), "-ldl", "-lrt", "-lpthread"] if nvcc else [])
    link = [cxx, "-shared", "-o", str(placeholder / LIBRARY_NAME), *objects, *cuda_libs,
            *lflags]
    ident = json.dumps([compiles, link, cxx_version, nvcc and list(nvcc.version)])
    kind = f"cuda{nvcc.version[0]}.{nvcc.version[1]}" if nvcc else "cpu"
    variant = f"{kind}-{hashlib.sha256(ident.encode()).hexdigest()[:12]}"
    return BuildPlan(tuple(map(tuple, compiles)), tuple(link), nvcc, tuple(archs), src_key,
                     variant)


def _materialise(command, out_dir):
    return [a.replace("@OUT@", str(out_dir)) for a in command]


def _run(command, log):
    log("$ " + shlex.join(command))
    proc = subprocess.run(command, capture_output=True, text=True)
    if proc.returncode != 0:
        tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-40:])
        raise BuildError(f"command failed (exit {proc.returncode}): {shlex.join(command)}\n{tail}")


def run_commands(compiles, link, out_dir, log=print, jobs=None):
    """Runs the compile commands in parallel, then the link command, with outputs in `out_dir`."""
    jobs = jobs or max(1, os.cpu_count() or 1)
    with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
        futures = [pool.submit(_run, _materialise(c, out_dir), log) for c in compiles]
        for future in futures:
            future.result()
    if link:
        _run(_materialise(link, out_dir), log)


def build(build_plan, log=print, force=False):
    """Builds `build_plan` into the cache unless an identical build is there.

    Returns:
        Path of the shared library.

    Raises:
        BuildError: naming the command that failed.
    """
    target = build_plan.directory
    library = target / LIBRARY_NAME
    if library.is_file() and not force:
        log(f"Up to date: {library}")
        return library
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target.parent / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if library.is_file() and not force:  # built by another process meanwhile
            log(f"Up to date: {library}")
            return library
        tmp = pathlib.Path(tempfile.mkdtemp(prefix="tmp-", dir=target.parent))
        try:
            run_commands(build_plan.compiles, build_plan.link, tmp, log)
            manifest = {"cuda": build_plan.cuda is not None,
                        "nvcc": build_plan.cuda and list(build_plan.cuda.version),
                        "archs": list(build_plan.archs),
                        "commands": [shlex.join(_materialise(c, target))
                                     for c in (*build_plan.compiles, build_plan.link)]}
            (tmp / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2))
            for path in tmp.glob("*.o"):
                path.unlink()
            if target.exists():
                shutil.rmtree(target)
            os.replace(tmp, target)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    log(f"Built: {library}")
    return library


def built_libraries(source_dir=SOURCE_DIR):
    """Cached libraries for the current sources and TensorFlow, CUDA builds first, newest first.

    Returns:
        List of (library path, manifest dict).
    """
    root = cache_dir() / source_key(source_dir)
    found = []
    for library in root.glob(f"*/{LIBRARY_NAME}") if root.is_dir() else ():
        try:
            manifest = json.loads((library.parent / MANIFEST_NAME).read_text())
        except (OSError, ValueError):
            continue
        found.append((library, manifest))
    found.sort(key=lambda item: (not item[1].get("cuda"), -item[0].stat().st_mtime))
    return found


def check_cuda_sources(nvcc=None, archs=None, host=True, log=print):
    """Compiles the CUDA sources (and, with `host`, the GOOGLE_CUDA host code) without linking.

    For CI or test steps on machines with an nvcc but no GPU: any nvcc >= 12 is accepted, for
    the archs of `CUDA_ARCHS` it supports (or `archs`).

    Args:
        nvcc: `Nvcc` to use (default: `find_nvcc()`).
        archs: sm_XX numbers to compile for (default: all supported).
        host: Also compile the .cc files with -DGOOGLE_CUDA=1.
        log: Where the commands are printed.

    Returns:
        The `Nvcc` used.

    Raises:
        BuildError: no nvcc >= 12, or a compile error.
    """
    nvcc = nvcc or find_nvcc()
    if nvcc is None or nvcc.version[0] < 12:
        raise BuildError("no nvcc >= 12 found (PATH, $CUDA_HOME, $TFGAN_FS_NVCC)")
    archs = tuple(archs) if archs else supported_archs(nvcc)
    with tempfile.TemporaryDirectory(prefix="tfgan_fs_cuda_check-") as tmp:
        commands = compile_commands(tmp, os.environ.get("CXX") or "g++", nvcc, archs)
        if not host:
            commands = [c for c in commands if c[0] == nvcc.path]
        run_commands(commands, None, tmp, log)
    return nvcc


def build_from_environment(log=print):
    """Builds with the defaults (cuda='auto'); used when $TFGAN_FS_BUILD_OPS=1."""
    return build(plan(log=log), log=log)
