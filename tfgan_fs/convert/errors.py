"""Errors of the network-pickle converter (all are ValueErrors the CLI reports in one line)."""

import pickle


class ConversionError(ValueError):
    """The pickle was read but cannot be converted (missing or unknown parameters, bad shapes)."""


class UnsupportedNetworkError(ConversionError):
    """The pickle holds a network kind the converter does not know (e.g. StyleGAN3)."""


class PickleRefusedError(pickle.UnpicklingError, ValueError):
    """The pickle asked for a global (class or function) that is not on the allow-list."""
