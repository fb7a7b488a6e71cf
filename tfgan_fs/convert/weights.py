"""Copies a StyleGAN2-ADA PyTorch state dict into a tfgan_fs network (names and layouts).

tfgan_fs layers mirror the reference's module names, so a variable's path minus the network
name is the PyTorch parameter name ('G_ema/synthesis/b8/conv0/affine/weight' <->
'synthesis.b8.conv0.affine.weight'). Stored values follow the same conventions (raw parameters,
equalized-lr gains applied at run time, lr-multiplied mapping weights stored as N(0, 1/lrmul),
affine biases initialised to 1), so only layouts change:

- convolution weights OIHW -> HWIO;
- dense weights [out, in] -> [in, out];
- the synthesis constant [C, H, W] -> [H, W, C];
- D's epilogue `b4.fc.weight` [out, C*H*W] (NCHW flatten) -> [H*W*C, out] (NHWC flatten).

`resample_filter` buffers are not variables here: they are checked against the filter the
tfgan_fs layer computes from its config. `reference_state` goes the other way (exports).
"""

import numpy as np

from tfgan_fs.convert.errors import ConversionError

MAX_LISTED = 40


def pt_name(network, variable):
    """The reference parameter name of a tfgan_fs variable of `network`."""
    prefix = network.name + "/"
    path = variable.path
    if not path.startswith(prefix):
        raise ConversionError(f"variable {path} is not under network {network.name}")
    return path[len(prefix):].replace("/", ".")


def expected_names(network):
    """{reference name: variable} for every variable of a tfgan_fs network."""
    return {pt_name(network, v): v for v in network.weights}


def _owner(network, dotted):
    obj = network
    for part in dotted.split("."):
        obj = getattr(obj, part, None)
        if obj is None:
            return None
    return obj


def _to_tfgan_layout(network, name, value):
    if name.endswith(".const") and value.ndim == 3:
        return value.transpose(1, 2, 0)
    if value.ndim == 4:
        return value.transpose(2, 3, 1, 0)
    if name == "b4.fc.weight" and hasattr(network, "b4") and hasattr(network.b4, "fc"):
        channels, res = network.b4.in_channels, network.b4.resolution
        out = value.shape[0]
        if value.shape[1] != channels * res * res:
            return value.T
        return value.reshape(out, channels, res, res).transpose(2, 3, 1, 0).reshape(-1, out)
    if value.ndim == 2 and name.endswith(".weight"):
        return value.T
    return value


def _to_reference_layout(network, name, value):
    """Inverse of `_to_tfgan_layout`: a tfgan_fs value in the reference's layout."""
    if name.endswith(".const") and value.ndim == 3:
        return value.transpose(2, 0, 1)
    if value.ndim == 4:
        return value.transpose(3, 2, 0, 1)
    if name == "b4.fc.weight" and hasattr(network, "b4") and hasattr(network.b4, "fc"):
        channels, res = network.b4.in_channels, network.b4.resolution
        out = value.shape[1]
        return value.reshape(res, res, channels, out).transpose(3, 2, 0, 1).reshape(out, -1)
    if value.ndim == 2 and name.endswith(".weight"):
        return value.T
    return value


def reference_state(network):
    """{reference (StyleGAN2-ADA PyTorch) name: ndarray in its layout} of a tfgan_fs network."""
    return {name: np.ascontiguousarray(_to_reference_layout(network, name, variable.numpy()))
            for name, variable in expected_names(network).items()}


def report_problems(what, groups):
    """Raises ConversionError naming `what` and each non-empty group ({label: [names]})."""
    problems = [f"{label}: {_listing(names)}" for label, names in groups.items() if names]
    if problems:
        raise ConversionError(f"cannot convert {what}: " + "; ".join(problems))


def _listing(items):
    items = sorted(items)
    more = len(items) - MAX_LISTED
    return ", ".join(items[:MAX_LISTED]) + (f", ... ({more} more)" if more > 0 else "")


def assign_state(network, state, what):
    """Assigns `state` ({reference name: ndarray}) to `network`; every variable exactly once.

    Raises:
        ConversionError: listing unknown parameters (no such variable), missing ones (variables
            without a value), shape mismatches and resample filters that differ from the config.
    """
    expected = expected_names(network)
    unknown, mismatched, values = [], [], {}
    for name, value in state.items():
        value = np.asarray(value)
        if name.endswith("resample_filter"):
            owner = _owner(network, name.rsplit(".", 1)[0]) if "." in name else network
            layer_filter = getattr(owner, "_filter", None)
            if layer_filter is None:
                unknown.append(name)
            elif value.shape != layer_filter.shape or not np.allclose(value, layer_filter,
                                                                      atol=1e-6):
                mismatched.append(f"{name} (filter differs from resample_filter of the config)")
            continue
        if name not in expected:
            unknown.append(f"{name} {list(value.shape)}")
            continue
        converted = _to_tfgan_layout(network, name, value)
        target = tuple(expected[name].shape)
        if converted.shape != target:
            mismatched.append(f"{name}: {list(value.shape)} in the pickle, network expects "
                              f"{list(target)} (after layout change)")
            continue
        values[name] = converted
    missing = sorted(set(expected) - set(values) - {m.split(":")[0] for m in mismatched})
    report_problems(what, {"unknown parameters": unknown, "missing parameters": missing,
                           "mismatched parameters": mismatched})
    for name, value in values.items():
        variable = expected[name]
        variable.assign(value.astype(variable.dtype))
    return len(values)
