"""Probes a MixDL / StyleGAN2 run for speckle (docs/mixdl_quality.md): the learned noise
strengths, the high-frequency energy ratio of G_ema samples to the training images with random,
constant and no noise inputs (the noise's share of the high frequencies), pairwise and
nearest-training-image RMS distances, and a grid of 32 samples.

    python docs/experiments/mixdl_probe.py RUN_DIR [grid.png]   # PROBE_DATA=builtin:faces
"""
import json
import os
import pathlib
import sys

import numpy as np
from PIL import Image

from tfgan_fs.data import open_dataset
from tfgan_fs.metrics.high_frequency import laplacian_energy
from tfgan_fs.runs.checkpoints import load_network


def main(run, out=None):
    G = load_network(run, "G_ema")
    reals = open_dataset(os.environ.get("PROBE_DATA", "builtin:shapes")).load_images(10)[0]
    reals = reals.astype(np.float32) / 127.5 - 1
    z = np.random.RandomState(123).randn(64, G.z_dim).astype(np.float32)
    res = {}
    for mode in ("random", "const", "none"):
        img = np.clip(np.asarray(G(z, None, noise_mode=mode)), -1, 1)
        res[f"hf_ratio_{mode}"] = laplacian_energy(img) / laplacian_energy(reals)
        if mode != "random":
            continue
        d = np.sqrt(((img[:, None] - img[None]) ** 2).mean(axis=(2, 3, 4)))
        res["pair_rms"] = float(d[np.triu_indices(64, 1)].mean())
        nn = np.sqrt(((img[:, None] - reals[None]) ** 2).mean(axis=(2, 3, 4)))
        res["nn_rms"], res["nn_hit"] = float(nn.min(1).mean()), len(set(nn.argmin(1)))
        if out:
            r = img.shape[1]
            grid = ((img[:32] + 1) * 127.5).astype(np.uint8).reshape(4, 8, r, r, 3)
            grid = grid.transpose(0, 2, 1, 3, 4).reshape(4 * r, 8 * r, 3)
            Image.fromarray(grid).resize((24 * r, 12 * r), Image.NEAREST).save(out)
    real_d = np.sqrt(((reals[:, None] - reals[None]) ** 2).mean(axis=(2, 3, 4)))
    res["real_pair_rms"] = float(real_d[np.triu_indices(10, 1)].mean())
    res["noise"] = {v.path.split("/", 2)[-1].replace("/noise_strength", ""):
                    round(float(v.numpy()), 4) for v in G.weights if v.name == "noise_strength"}
    print(json.dumps(res))


if __name__ == "__main__":
    main(pathlib.Path(sys.argv[1]), sys.argv[2] if len(sys.argv) > 2 else None)
