"""Build the custom TensorFlow ops (upfirdn2d, bias_act) of tf_ops/ for the installed TensorFlow.

    python tools/build_ops.py                 # CPU kernels, plus CUDA kernels if nvcc 12.x is found
    python tools/build_ops.py --cuda=off      # CPU kernels only
    python tools/build_ops.py --check_cuda    # compile the CUDA sources only (no GPU needed)

Prints every command it runs and the path of the library; the build is cached (see
`tfgan_fs.ops.build`), so running it again is instant. Exit status 1 on failure.
"""

import time

from absl import app
from absl import flags

from tfgan_fs.cli.errors import fail

FLAGS = flags.FLAGS
flags.DEFINE_enum("cuda", "auto", ["auto", "on", "off"], "CUDA kernels: auto (when an nvcc "
                  "matching TensorFlow's CUDA major version is found), on (required), off.")
flags.DEFINE_string("nvcc", None, "nvcc to use (default: $TFGAN_FS_NVCC, $CUDA_HOME/bin, PATH).")
flags.DEFINE_boolean("force", False, "Rebuild even if the cache has this build.")
flags.DEFINE_boolean("check_cuda", False, "Only compile the CUDA sources and the GPU host code "
                     "(any nvcc >= 12, every supported arch), without linking or caching.")


def main(argv):
    if len(argv) > 1:
        fail(f"unexpected arguments {argv[1:]}")
    from tfgan_fs.ops import build
    start = time.perf_counter()
    try:
        if FLAGS.check_cuda:
            nvcc = build.find_nvcc(FLAGS.nvcc)
            nvcc = build.check_cuda_sources(nvcc=nvcc)
            print(f"CUDA sources compile with nvcc {nvcc.version[0]}.{nvcc.version[1]} "
                  f"({time.perf_counter() - start:.1f} s).")
            return
        plan = build.plan(cuda=FLAGS.cuda, nvcc_path=FLAGS.nvcc)
        library = build.build(plan, force=FLAGS.force)
    except build.BuildError as err:
        fail(str(err))
    kind = "CPU + CUDA (sm_" + ", sm_".join(plan.archs) + ")" if plan.cuda else "CPU"
    print(f"Custom ops ({kind} kernels): {library} ({time.perf_counter() - start:.1f} s)")


if __name__ == "__main__":
    app.run(main)
