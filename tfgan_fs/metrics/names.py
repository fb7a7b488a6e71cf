"""The metrics users know by name, and their settings.

Names and settings follow NVlabs/stylegan2-ada-pytorch `metrics/metric_main.py`:

| name | what | generated | real |
|---|---|---|---|
| fid50k_full | Fréchet Inception distance | 50k | all |
| kid50k_full | kernel Inception distance (100 subsets of <= 1000) | 50k | up to 1M |
| pr50k3_full | improved precision & recall, k = 3, VGG16 fc2 | 50k | up to 200k |
| is50k | Inception score, 10 splits | 50k | - |
| ppl2_wend | perceptual path length, w space, endpoints, no crop, eps 1e-4 | 50k | - |
| lpips_div | mean pairwise LPIPS (VGG) of generated samples (MixDL's diversity) | 100 | - |
| intra_lpips | intra-cluster LPIPS over the nearest training images (few-shot) | 1000 | <= 100 |

Count-parameterised forms: `fid<N>k[_full]`, `kid<N>k[_full]`, `pr<N>k<K>[_full]`, `is<N>k`,
`ppl_<z|w><full|end>` (legacy, centre crop), and a sample count N appended to `ppl2_wend<N>`,
`lpips_div<N>`, `intra_lpips<N>`. Without
`_full` the real set has as many images as the generated one (the legacy definitions).
"""

import dataclasses
import re

NETWORK_OF = {"fid": "inception", "kid": "inception", "is": "inception", "pr": "vgg16",
              "ppl": "lpips", "lpips_div": "lpips", "intra_lpips": "lpips"}


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
    (r"lpips_div(\d+)?", lambda m: dict(kind="lpips_div", num_gen=int(m[1] or 100))),
    (r"intra_lpips(\d+)?", lambda m: dict(kind="intra_lpips", num_gen=int(m[1] or 1000))),
]

KNOWN_EXAMPLES = ("fid50k_full", "kid50k_full", "pr50k3_full", "is50k", "ppl2_wend",
                  "fid5k", "fid10k_full", "lpips_div", "intra_lpips")


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
