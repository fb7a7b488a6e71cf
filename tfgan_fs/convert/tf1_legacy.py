"""TF1 StyleGAN2(-ADA) networks -> reference PyTorch kwargs and state dicts.

Follows NVlabs/stylegan2-ada-pytorch `legacy.py` (`convert_tf_generator`,
`convert_tf_discriminator`): the same kwarg table and defaults, the same variable-name patterns
and transforms (conv weights HWIO -> OIHW, up-convolution and G skip weights flipped, dense
weights transposed, `mod_bias + 1` as the affine bias, `dlatent_avg` as `w_avg`, `noise{n}` as
`noise_const`). The result then goes through the PyTorch path (`pt_kwargs`, `weights`).
Progressive-growing ('lod') pickles (StyleGAN2 configs A-D, StyleGAN1) are not supported.
"""

import re

import numpy as np

from tfgan_fs.convert.errors import ConversionError, UnsupportedNetworkError

MIN_VERSION = 4
IGNORED_VARIABLES = re.compile(r"(.*/)?lod")  # progressive-growing level, unused by config F
MAX_LISTED = 40


class _Kwargs:
    """Reads TF static kwargs like legacy.py's `kwarg()`, remembering the names it knows."""

    def __init__(self, tf_kwargs):
        self.tf_kwargs = dict(tf_kwargs)
        self.known = set()

    def __call__(self, name, default=None, none=None):
        self.known.add(name)
        value = self.tf_kwargs.get(name, default)
        return value if value is not None else none

    def check(self, what):
        unknown = sorted(set(self.tf_kwargs) - self.known)
        if unknown:
            raise ConversionError(f"cannot convert the TF1 {what}: unknown static kwargs "
                                  f"{', '.join(f'{k}={self.tf_kwargs[k]!r}' for k in unknown)}")


def generator_kwargs(tf_kwargs):
    """TF1 G_main static kwargs -> reference `Generator` kwargs (legacy.py's table)."""
    kwarg = _Kwargs(tf_kwargs)
    kwargs = dict(
        z_dim=kwarg("latent_size", 512),
        c_dim=kwarg("label_size", 0),
        w_dim=kwarg("dlatent_size", 512),
        img_resolution=kwarg("resolution", 1024),
        img_channels=kwarg("num_channels", 3),
        mapping_kwargs=dict(
            num_layers=kwarg("mapping_layers", 8),
            embed_features=kwarg("label_fmaps", None),
            layer_features=kwarg("mapping_fmaps", None),
            activation=kwarg("mapping_nonlinearity", "lrelu"),
            lr_multiplier=kwarg("mapping_lrmul", 0.01),
            w_avg_beta=kwarg("w_avg_beta", 0.995, none=1),
        ),
        synthesis_kwargs=dict(
            channel_base=kwarg("fmap_base", 16384) * 2,
            channel_max=kwarg("fmap_max", 512),
            num_fp16_res=kwarg("num_fp16_res", 0),
            conv_clamp=kwarg("conv_clamp", None),
            architecture=kwarg("architecture", "skip"),
            resample_filter=kwarg("resample_kernel", [1, 3, 3, 1]),
            use_noise=kwarg("use_noise", True),
            activation=kwarg("nonlinearity", "lrelu"),
        ),
    )
    for name in ("truncation_psi", "truncation_cutoff", "style_mixing_prob", "structure"):
        kwarg(name)
    kwarg.check("generator")
    return kwargs


def discriminator_kwargs(tf_kwargs):
    """TF1 D_main static kwargs -> reference `Discriminator` kwargs (legacy.py's table)."""
    kwarg = _Kwargs(tf_kwargs)
    kwargs = dict(
        c_dim=kwarg("label_size", 0),
        img_resolution=kwarg("resolution", 1024),
        img_channels=kwarg("num_channels", 3),
        architecture=kwarg("architecture", "resnet"),
        channel_base=kwarg("fmap_base", 16384) * 2,
        channel_max=kwarg("fmap_max", 512),
        num_fp16_res=kwarg("num_fp16_res", 0),
        conv_clamp=kwarg("conv_clamp", None),
        cmap_dim=kwarg("mapping_fmaps", None),
        block_kwargs=dict(
            activation=kwarg("nonlinearity", "lrelu"),
            resample_filter=kwarg("resample_kernel", [1, 3, 3, 1]),
            freeze_layers=kwarg("freeze_layers", 0),
        ),
        mapping_kwargs=dict(
            num_layers=kwarg("mapping_layers", 0),
            embed_features=kwarg("mapping_fmaps", None),
            layer_features=kwarg("mapping_fmaps", None),
            activation=kwarg("nonlinearity", "lrelu"),
            lr_multiplier=kwarg("mapping_lrmul", 0.1),
        ),
        epilogue_kwargs=dict(
            mbstd_group_size=kwarg("mbstd_group_size", None),
            mbstd_num_channels=kwarg("mbstd_num_features", 1),
            activation=kwarg("nonlinearity", "lrelu"),
        ),
    )
    kwarg("structure")
    kwarg.check("discriminator")
    return kwargs


def _conv(w):
    return np.asarray(w).transpose(3, 2, 0, 1)


def _up_conv(w):
    return np.asarray(w)[::-1, ::-1].transpose(3, 2, 0, 1)


def _noise_index(r, offset):
    return int(np.log2(int(r))) * 2 - offset


def _generator_rules():
    """(pattern, function(tf, *groups)) pairs of legacy.convert_tf_generator, in its order."""
    s = "synthesis"

    def layer(scope):
        def var(t, r, leaf):
            return np.asarray(t[f"{s}/{r}x{r}/{scope}/{leaf}"])
        return [
            (r"\.weight", lambda t, r: (_up_conv if scope == "Conv0_up" else _conv)(
                var(t, r, "weight"))),
            (r"\.bias", lambda t, r: var(t, r, "bias")),
            (r"\.noise_strength", lambda t, r: var(t, r, "noise_strength")),
            (r"\.affine\.weight", lambda t, r: var(t, r, "mod_weight").T),
            (r"\.affine\.bias", lambda t, r: var(t, r, "mod_bias") + 1),
        ]

    rules = [
        (r"mapping\.w_avg", lambda t: t["dlatent_avg"]),
        (r"mapping\.embed\.weight", lambda t: np.asarray(t["mapping/LabelEmbed/weight"]).T),
        (r"mapping\.embed\.bias", lambda t: t["mapping/LabelEmbed/bias"]),
        (r"mapping\.fc(\d+)\.weight", lambda t, i: np.asarray(t[f"mapping/Dense{i}/weight"]).T),
        (r"mapping\.fc(\d+)\.bias", lambda t, i: t[f"mapping/Dense{i}/bias"]),
        (r"synthesis\.b(4)\.const", lambda t, r: np.asarray(t[f"{s}/4x4/Const/const"])[0]),
        (r"synthesis\.b(4)\.conv1\.noise_const", lambda t, r: np.asarray(t[f"{s}/noise0"])[0, 0]),
    ]
    rules += [(r"synthesis\.b(4)\.conv1" + p, f) for p, f in layer("Conv")]
    rules += [(r"synthesis\.b(\d+)\.conv0" + p, f) for p, f in layer("Conv0_up")]
    rules.append((r"synthesis\.b(\d+)\.conv0\.noise_const",
                  lambda t, r: np.asarray(t[f"{s}/noise{_noise_index(r, 5)}"])[0, 0]))
    rules += [(r"synthesis\.b(\d+)\.conv1" + p, f) for p, f in layer("Conv1")]
    rules.append((r"synthesis\.b(\d+)\.conv1\.noise_const",
                  lambda t, r: np.asarray(t[f"{s}/noise{_noise_index(r, 4)}"])[0, 0]))
    rules += [
        (r"synthesis\.b(\d+)\.torgb\.weight", lambda t, r: _conv(t[f"{s}/{r}x{r}/ToRGB/weight"])),
        (r"synthesis\.b(\d+)\.torgb\.bias", lambda t, r: t[f"{s}/{r}x{r}/ToRGB/bias"]),
        (r"synthesis\.b(\d+)\.torgb\.affine\.weight",
         lambda t, r: np.asarray(t[f"{s}/{r}x{r}/ToRGB/mod_weight"]).T),
        (r"synthesis\.b(\d+)\.torgb\.affine\.bias",
         lambda t, r: np.asarray(t[f"{s}/{r}x{r}/ToRGB/mod_bias"]) + 1),
        (r"synthesis\.b(\d+)\.skip\.weight", lambda t, r: _up_conv(t[f"{s}/{r}x{r}/Skip/weight"])),
    ]
    return rules


def _discriminator_rules():
    """(pattern, function(tf, *groups)) pairs of legacy.convert_tf_discriminator."""
    return [
        (r"b(\d+)\.fromrgb\.weight", lambda t, r: _conv(t[f"{r}x{r}/FromRGB/weight"])),
        (r"b(\d+)\.fromrgb\.bias", lambda t, r: t[f"{r}x{r}/FromRGB/bias"]),
        (r"b(\d+)\.conv(\d+)\.weight",
         lambda t, r, i: _conv(t[f"{r}x{r}/Conv{i}{['', '_down'][int(i)]}/weight"])),
        (r"b(\d+)\.conv(\d+)\.bias",
         lambda t, r, i: t[f"{r}x{r}/Conv{i}{['', '_down'][int(i)]}/bias"]),
        (r"b(\d+)\.skip\.weight", lambda t, r: _conv(t[f"{r}x{r}/Skip/weight"])),
        (r"mapping\.embed\.weight", lambda t: np.asarray(t["LabelEmbed/weight"]).T),
        (r"mapping\.embed\.bias", lambda t: t["LabelEmbed/bias"]),
        (r"mapping\.fc(\d+)\.weight", lambda t, i: np.asarray(t[f"Mapping{i}/weight"]).T),
        (r"mapping\.fc(\d+)\.bias", lambda t, i: t[f"Mapping{i}/bias"]),
        (r"b4\.conv\.weight", lambda t: _conv(t["4x4/Conv/weight"])),
        (r"b4\.conv\.bias", lambda t: t["4x4/Conv/bias"]),
        (r"b4\.fc\.weight", lambda t: np.asarray(t["4x4/Dense0/weight"]).T),
        (r"b4\.fc\.bias", lambda t: t["4x4/Dense0/bias"]),
        (r"b4\.out\.weight", lambda t: np.asarray(t["Output/weight"]).T),
        (r"b4\.out\.bias", lambda t: t["Output/bias"]),
    ]


class _Recorder(dict):
    """The TF variables, recording which ones the rules read."""

    def __init__(self, variables):
        super().__init__(variables)
        self.read = set()
        self.absent = set()

    def __getitem__(self, key):
        if key not in self:
            self.absent.add(key)
            raise KeyError(key)
        self.read.add(key)
        return super().__getitem__(key)


def _listing(items):
    items = sorted(items)
    more = len(items) - MAX_LISTED
    return ", ".join(items[:MAX_LISTED]) + (f", ... ({more} more)" if more > 0 else "")


def tf1_state(variables, names, kind, what):
    """Reference-layout state {name: array} for `names`, read from TF1 `variables`.

    Args:
        variables: {TF variable name (component-prefixed): ndarray}.
        names: The reference parameter names the target network needs.
        kind: 'Generator' or 'Discriminator'.
        what: Description for error messages.

    Raises:
        UnsupportedNetworkError: for progressive-growing ('lod') networks.
        ConversionError: listing TF variables that are missing or not used by any parameter.
    """
    if any(re.search(r"(ToRGB|FromRGB)_lod\d+/", name) for name in variables):
        raise UnsupportedNetworkError(f"{what}: progressive-growing TF1 networks (ToRGB_lod / "
                                      "FromRGB_lod variables) are not supported")
    rules = _generator_rules() if kind == "Generator" else _discriminator_rules()
    tf = _Recorder(variables)
    state, unmatched = {}, []
    for name in names:
        for pattern, fn in rules:
            match = re.fullmatch(pattern, name)
            if match:
                try:
                    state[name] = np.array(fn(tf, *match.groups()), dtype=np.float32)
                except KeyError:
                    pass
                break
        else:
            unmatched.append(name)
    unused = [name for name in variables
              if name not in tf.read and not IGNORED_VARIABLES.fullmatch(name)]
    problems = []
    if tf.absent or unmatched:
        problems.append("missing TF variables: " + _listing(
            list(tf.absent) + [f"(no rule for {n})" for n in unmatched]))
    if unused:
        problems.append(f"unknown TF variables: {_listing(unused)}")
    if problems:
        raise ConversionError(f"cannot convert {what}: " + "; ".join(problems))
    return state
