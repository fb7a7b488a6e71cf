"""GeneratorMethod: the methods whose product is a generator G_ema(z, c) -> images.

The StyleGAN2 family (StyleGAN2-ADA, GGDR, MixDL, CDC) and StyleGAN-NADA. What they share: the
forward passes a `StepContext` runs for their terms (`run_mapping`, `run_synthesis`, `run_D`,
with their results as `GenOutput` / `DOutput`), their fakes (`generate`), the snapshot grid of
G_ema on fixed latents, and the metrics of G_ema (`tfgan_fs.metrics.metric_main`).
"""

import dataclasses
from typing import Optional

import numpy as np
import tensorflow as tf

from tfgan_fs import images as image_io
from tfgan_fs.methods.base import Method
from tfgan_fs.metrics.metric_main import calc_metric


@dataclasses.dataclass
class GenOutput:
    """Generator forward result: images [N, H, W, C], ws [N, num_ws, w_dim], on request the
    block features {resolution: NHWC} and the list of every conv layer's output."""
    img: tf.Tensor
    ws: tf.Tensor
    features: Optional[dict] = None
    layers: Optional[list] = None


@dataclasses.dataclass
class DOutput:
    """Discriminator forward result: logits [N, 1] and, on request, D's block features, the
    GGDR decoder's maps and maps augmented together with the images ({resolution: NHWC}),
    the patch heads' logits (a list of [N, r, r, 1]) with the index of the head drawn for this
    forward, and the projection head's embedding [N, dim]."""
    logits: tf.Tensor
    features: Optional[dict] = None
    decoder: Optional[dict] = None
    aligned: Optional[dict] = None
    patches: Optional[list] = None
    patch_index: Optional[tf.Tensor] = None
    embedding: Optional[tf.Tensor] = None

    def per_image(self, fn=tf.identity):
        """[N]: fn(logits), or with patch logits the mean of fn over the drawn head's patches
        of each image (so that a mean over images is the mean over all patches, as the
        references' `softplus(D(x)).mean()` on patch logits). `fn` is elementwise."""
        if self.patches is None:
            return tf.reshape(fn(self.logits), [-1])
        per_head = []
        for p in self.patches:
            n = tf.shape(p)[0]
            per_head.append(tf.reduce_mean(tf.reshape(fn(tf.reshape(p, [-1])), [n, -1]), 1))
        return tf.gather(tf.stack(per_head), self.patch_index)


class GeneratorMethod(Method):
    """A Method with a generator `G_ema(z, c)` (see the module docstring).

    Subclasses set `G_ema`, `z_dim`, `c_dim` and implement `sample_labels`, `run_mapping`,
    `run_synthesis` and `run_D` (D-less methods: not needed).
    """

    G_ema: object
    z_dim: int
    c_dim: int

    def sample_labels(self, seed, batch_size, batched=True):
        """Labels [N, c_dim] for generated images; `batched` as `rng.normal`."""
        raise NotImplementedError

    def run_mapping(self, z, c, seed, mixing=True):
        raise NotImplementedError

    def run_synthesis(self, ws, seed, return_features=False, return_layers=False):
        raise NotImplementedError

    def run_D(self, img, c, seed, return_features=False, return_decoder=False, aligned=None,
              return_patches=False, return_embedding=False):
        raise NotImplementedError

    def generate(self, ctx):
        """The fakes of `ctx.phase` (GenOutput): by default G(gen_z, gen_c) through
        `run_mapping` (style mixing) with random noise. Methods whose phases judge other
        fakes (CDC's anchors, MixDL's mixups) override this."""
        ws = ctx.run_mapping(ctx.gen_z, ctx.gen_c, "gen")
        return ctx.run_synthesis(ws, "gen", return_features=ctx.gen_features_needed)

    def snapshot_pictures(self, z, c):
        """Named uint8 pictures [H, W, 3] saved at every snapshot besides the fakes grid (e.g.
        GGDR's features); `z`, `c` are fixed latents and labels."""
        return {}

    def snapshot_inputs(self, data, seed):
        """A grid of latents `z`, labels `c` (one class per row for a conditional G) and the
        grid's size, drawn from `seed`."""
        grid_w, grid_h = image_io.grid_shape(self.G_ema.img_resolution)
        n = grid_w * grid_h
        z = np.random.RandomState(seed).randn(n, self.z_dim).astype(np.float32)
        c = np.zeros([n, self.c_dim], np.float32)
        if self.c_dim:
            c[np.arange(n), (np.arange(n) // grid_w) % self.c_dim] = 1
        return {"z": z, "c": c, "grid_w": grid_w, "grid_h": grid_h}

    def fakes_grid(self, fixed, batch_size=32):
        """'fakes': G_ema samples of the fixed latents (constant noise), one uint8 picture."""
        G_ema = self.G_ema

        @tf.function
        def generate(z, c):
            return G_ema(z, c, noise_mode="const")

        z, c = fixed["z"], fixed["c"]
        outputs = [generate(z[i:i + batch_size], c[i:i + batch_size])
                   for i in range(0, len(z), batch_size)]
        return image_io.make_grid(image_io.to_uint8(np.concatenate(outputs)), fixed["grid_w"])

    def snapshot(self, fixed, max_samples=8):
        """{name: uint8 picture} saved at every snapshot: 'fakes' and `snapshot_pictures`."""
        n = min(max_samples, len(fixed["z"]))
        return {"fakes": self.fakes_grid(fixed),
                **self.snapshot_pictures(fixed["z"][:n], fixed["c"][:n])}

    def calc_metrics(self, names, context):
        """[result of each metric in `names`] of G_ema (`metric_main.calc_metric`)."""
        return [calc_metric(name, self.G_ema, context) for name in names]
