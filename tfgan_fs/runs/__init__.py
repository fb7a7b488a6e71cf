"""Run state on disk: checkpoints (written atomically, restored exactly) and run directories.

Below methods, training, translation, convert and export, which all read or write runs.
"""
