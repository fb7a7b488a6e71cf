"""The metrics users know by name, and their settings.

Names and settings follow NVlabs/stylegan2-ada-pytorch `metrics/metric_main.py`:

| name | what | generated | real |
|---|---|---|---|
| fid50k_full | Fréchet Inception distance | 50k | all |
| kid50k_full | kernel Inception distance (100 subsets of <= 1000) | 50k | up to 1M |
| pr50k3_full | improved precision & recall, k = 3, VGG16 fc2 | 50k | up to 200k |
| is50k | Inception score, 10 splits | 50k | - |
| ppl2_wend | perceptual path length, w space, endpoints, no crop, eps 1e-4 | 50k | - |
| lpips_div | mean pairwise LPIPS-VGG of samples; mean, std of 5 runs (MixDL) | 5 x 100 | - |
| nn_lpips | mean LPIPS to the nearest training image (MixDL memorisation) | 1000 | <= 100 |
| intra_lpips | intra-cluster LPIPS around the training images (CDC) | 1000 | <= 100 |
| pix_div, nn_pix, intra_pix | the same with the pixel distance (no weights) | as above | as above |
| hf_ratio | high-frequency (Laplacian) energy of samples / of real images: speckle > 1 > blur | 1000 | <= 1000 |
| fid_latent, lpips_latent | StarGAN v2: per-task FID, LPIPS-Alex (latent) | 10 per val img | trg train |
| fid_reference, lpips_reference | the same, reference-guided | as above | as above |

Count-parameterised forms: `fid<N>k[_full]`, `kid<N>k[_full]`, `pr<N>k<K>[_full]`, `is<N>k`,
`ppl_<z|w><full|end>` (legacy, centre crop), and a sample count N appended to `ppl2_wend<N>`,
`lpips_div<N>`, `nn_lpips<N>`, `intra_lpips<N>`, `pix_div<N>`, `nn_pix<N>`, `intra_pix<N>`,
`hf_ratio<N>` (for `*_div<N>`, N samples per run; `hf_ratio<N>` compares with up to N real
images: the run's training images for a few-shot run). Without `_full` the real set has as many images as the
generated one (the legacy definitions). "real" is the dataset of `--metric_data` if given, else
the training dataset; the few-shot metrics (`nn_*`, `intra_*`) always use the run's training
images (its first `--max_images`). The pixel distance is the mean squared difference of the
images in [-1, 1] (`lpips_sets.pixel_distance`).

The StarGAN v2 translation metrics (`fid_latent`, `lpips_latent`, `fid_reference`,
`lpips_reference`; Choi et al. 2020, clovaai/stargan-v2 `metrics/eval.py`) take no count: every
validation image is translated `NUM_OUTS_PER_DOMAIN` = 10 times into every other domain. They
need a StarGAN v2 translator and validation images and are computed by
`tfgan_fs.metrics.translation.calc_translation_metrics`, not `metric_main.calc_metric`.
"""

import dataclasses
import re

from tfgan_fs.translation.grids import NUM_OUTS_PER_DOMAIN

NETWORK_OF = {"fid": "inception", "kid": "inception", "is": "inception", "pr": "vgg16",
              "ppl": "lpips", "fid_translation": "inception", "lpips_translation": "lpips",
              "hf": None}
DIVERSITY_RUNS = 5  # MixDL compute_lpips.py --n_run
TRANSLATION_KINDS = ("fid_translation", "lpips_translation")
TRANSLATION_MODES = ("latent", "reference")
TRANSLATION_METRICS = ("fid_latent", "lpips_latent", "fid_reference", "lpips_reference")


@dataclasses.dataclass(frozen=True)
class MetricSpec:
    """A parsed metric name: its kind and settings."""
    name: str
    kind: str
    num_gen: int
    max_real: object = None      # None = the whole dataset
    nhood_size: int = 3
    space: str = "w"
    sampling: str = "end"
    crop: bool = False
    distance: str = None         # 'lpips' or 'pix' for the set metrics (div, nn, intra)
    num_runs: int = 1            # div: independent runs of num_gen samples each
    mode: str = None             # translation metrics: 'latent' or 'reference' style codes


def network_of(spec):
    """The feature network a metric needs ('inception', 'vgg16', 'lpips'), or None."""
    if spec.distance is not None:
        return "lpips" if spec.distance == "lpips" else None
    return NETWORK_OF[spec.kind]


def is_translation_metric(spec):
    """Whether a MetricSpec is one of the StarGAN v2 translation metrics (`TRANSLATION_METRICS`)."""
    return spec.kind in TRANSLATION_KINDS


_PATTERNS = [
    (r"fid(\d+)k(_full)?", lambda m: dict(kind="fid", num_gen=int(m[1]) * 1000,
                                          max_real=None if m[2] else int(m[1]) * 1000)),
    (r"kid(\d+)k(_full)?", lambda m: dict(kind="kid", num_gen=int(m[1]) * 1000,
                                          max_real=1000000 if m[2] else int(m[1]) * 1000)),
    (r"pr(\d+)k(\d+)(_full)?", lambda m: dict(kind="pr", num_gen=int(m[1]) * 1000,
                                              nhood_size=int(m[2]),
                                              max_real=200000 if m[3] else int(m[1]) * 1000)),
    (r"is(\d+)k", lambda m: dict(kind="is", num_gen=int(m[1]) * 1000)),
    (r"ppl2_(w|z)(end|full)(\d+)?", lambda m: dict(kind="ppl", num_gen=int(m[3] or 50000),
                                                    space=m[1], sampling=m[2], crop=False)),
    (r"ppl_(w|z)(end|full)(\d+)?", lambda m: dict(kind="ppl", num_gen=int(m[3] or 50000),
                                                   space=m[1], sampling=m[2], crop=True)),
    (r"(lpips|pix)_div(\d+)?", lambda m: dict(kind="div", distance=m[1],
                                               num_gen=int(m[2] or 100),
                                               num_runs=DIVERSITY_RUNS)),
    (r"(nn|intra)_(lpips|pix)(\d+)?", lambda m: dict(kind=m[1], distance=m[2],
                                                     num_gen=int(m[3] or 1000))),
    (r"hf_ratio(\d+)?", lambda m: dict(kind="hf", num_gen=int(m[1] or 1000))),
    (r"(fid|lpips)_(latent|reference)", lambda m: dict(kind=f"{m[1]}_translation",
                                                        num_gen=NUM_OUTS_PER_DOMAIN,
                                                        mode=m[2])),
]

KNOWN_EXAMPLES = ("fid50k_full", "kid50k_full", "pr50k3_full", "is50k", "ppl2_wend",
                  "fid5k", "fid10k_full", "lpips_div", "nn_lpips", "intra_lpips", "pix_div",
                  "nn_pix", "intra_pix", "hf_ratio", "fid_latent", "lpips_reference")


def parse_metric(name):
    """MetricSpec of a metric name; ValueError listing the valid forms otherwise."""
    for pattern, make in _PATTERNS:
        match = re.fullmatch(pattern, name)
        if match:
            spec = MetricSpec(name=name, **make(match))
            if spec.num_gen < 2:
                raise ValueError(f"metric {name!r} needs at least 2 samples")
            return spec
    raise ValueError(f"unknown metric {name!r}; valid names look like "
                     f"{', '.join(KNOWN_EXAMPLES)} (see tfgan_fs/metrics/metric_main.py)")


def parse_metric_list(text):
    """'fid50k_full,kid50k_full' -> [MetricSpec, ...]; '' or 'none' -> []."""
    names = [n.strip() for n in (text or "").split(",") if n.strip()]
    if names == ["none"]:
        return []
    return [parse_metric(n) for n in names]
