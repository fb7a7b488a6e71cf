"""Helpers of the command-line tools in tools/ (argument parsing, errors).

Importing this package is the tools' one bootstrap: each tool imports it before anything that
loads TensorFlow, and it keeps TensorFlow's C++ INFO and WARNING lines off the console (a tool
run with TF_CPP_MIN_LOG_LEVEL set keeps that value). The tools find `tfgan_fs` because the
project is installed (`pip install -e .`, as the README's commands do).
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
