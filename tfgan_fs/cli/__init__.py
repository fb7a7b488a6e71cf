"""Helpers of the command-line tools in tools/ (argument parsing only)."""
