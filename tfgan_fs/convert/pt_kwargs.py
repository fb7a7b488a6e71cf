"""StyleGAN2-ADA PyTorch constructor kwargs -> tfgan_fs network configs.

tfgan_fs' `Generator` and `Discriminator` take the reference's argument names, so most kwargs
pass through; those that only choose a memory layout (`fp16_channels_last`) are dropped, and the
few the reference allows but tfgan_fs does not implement must have their default value
(e.g. synthesis `activation='lrelu'`, `kernel_size=3`). Anything else is an error that lists it.

GGDR (naver-ai/GGDR `training.networks_ggdr`): its Generator takes the StyleGAN2-ADA kwargs, its
Discriminator adds `decoder_res` (the U-Net decoder `b8_dec` .. `b{decoder_res}_dec`, passed on
to tfgan_fs' `decoder_res`) and `w_dim=512`, which that constructor accepts but never uses (no
layer depends on it and it is not stored), so it is dropped whatever its value. GGDR's own
train.py does not pass `w_dim`, so it is only in `init_kwargs` of hand-built discriminators.
"""

from tfgan_fs.convert.errors import ConversionError

G_TOP = {"z_dim", "c_dim", "w_dim", "img_resolution", "img_channels", "mapping_kwargs",
         "synthesis_kwargs"}
G_REQUIRED = {"z_dim", "c_dim", "w_dim", "img_resolution", "img_channels"}
MAPPING = {"num_layers", "embed_features", "layer_features", "activation", "lr_multiplier",
           "w_avg_beta"}
SYNTHESIS = {"channel_base", "channel_max", "num_fp16_res", "architecture", "resample_filter",
             "conv_clamp", "use_noise"}
D_TOP = {"c_dim", "img_resolution", "img_channels", "architecture", "channel_base",
         "channel_max", "num_fp16_res", "conv_clamp", "cmap_dim", "block_kwargs",
         "mapping_kwargs", "epilogue_kwargs", "decoder_res"}
D_UNUSED = {"w_dim"}  # networks_ggdr.Discriminator(w_dim=512): accepted and unused there
D_REQUIRED = {"c_dim", "img_resolution", "img_channels"}
D_BLOCK = {"activation", "resample_filter", "freeze_layers"}
D_EPILOGUE = {"mbstd_group_size", "mbstd_num_channels", "activation"}
LAYOUT_ONLY = {"fp16_channels_last"}  # memory format of the reference's fp16 layers: NHWC here
FIXED = {"activation": "lrelu", "kernel_size": 3}  # SynthesisLayer arguments without a knob here


def _take(kwargs, known, where, fixed=None, problems=None, unused=()):
    """Returns the known kwargs; records unknown ones (and fixed ones with other values)."""
    out = {}
    for key, value in (kwargs or {}).items():
        if key in known:
            out[key] = value
        elif key in LAYOUT_ONLY or key in unused:
            continue
        elif fixed and key in fixed:
            if value != fixed[key]:
                problems.append(f"{where}.{key}={value!r} (only {fixed[key]!r} is supported)")
        else:
            problems.append(f"{where}.{key}={value!r}")
    return out


def _check(problems, what):
    if problems:
        raise ConversionError(f"cannot convert {what}: unsupported or unknown constructor "
                              f"arguments: {', '.join(problems)}")


def generator_config(kwargs, name="G"):
    """Generator init kwargs (reference names) -> kwargs of `tfgan_fs.networks.Generator`."""
    problems = []
    top = _take(kwargs, G_TOP, name, problems=problems)
    problems += [f"{name}.{key} (missing)" for key in sorted(G_REQUIRED - set(top))]
    mapping = _take(top.get("mapping_kwargs"), MAPPING, f"{name}.mapping_kwargs",
                    problems=problems)
    synthesis = _take(top.get("synthesis_kwargs"), SYNTHESIS, f"{name}.synthesis_kwargs", FIXED,
                      problems)
    _check(problems, name)
    config = {key: int(top[key]) for key in sorted(G_REQUIRED)}
    config["mapping_kwargs"] = mapping
    config["synthesis_kwargs"] = synthesis
    return config


def discriminator_config(kwargs, name="D"):
    """Discriminator init kwargs (reference names) -> kwargs of `tfgan_fs.networks.Discriminator`.

    `decoder_res` (GGDR) becomes D's decoder; `w_dim` (GGDR, unused there) is dropped. The
    reference's minibatch-std layer groups samples with a stride (sample i in group
    i mod N/G); tfgan_fs groups consecutive samples. Outputs agree when a batch holds one group
    (N <= mbstd_group_size) or G = 1; otherwise they differ, which is statistically equivalent.
    """
    problems = []
    top = _take(kwargs, D_TOP, name, problems=problems, unused=D_UNUSED)
    problems += [f"{name}.{key} (missing)" for key in sorted(D_REQUIRED - set(top))]
    if "decoder_res" in top:
        res, img_res = top["decoder_res"], top.get("img_resolution")
        if not (isinstance(res, int) and isinstance(img_res, int) and 8 <= res <= img_res
                and res & (res - 1) == 0):
            problems.append(f"{name}.decoder_res={res!r} (GGDR's decoder needs a power of two "
                            f"between 8 and img_resolution={img_res!r})")
    block = _take(top.get("block_kwargs"), D_BLOCK, f"{name}.block_kwargs", problems=problems)
    mapping = _take(top.get("mapping_kwargs"), MAPPING, f"{name}.mapping_kwargs",
                    problems=problems)
    epilogue = _take(top.get("epilogue_kwargs"), D_EPILOGUE, f"{name}.epilogue_kwargs",
                     problems=problems)
    _check(problems, name)
    config = {key: value for key, value in top.items()
              if key not in ("block_kwargs", "mapping_kwargs", "epilogue_kwargs")}
    config.update(block_kwargs=block, mapping_kwargs=mapping, epilogue_kwargs=epilogue)
    return config
