"""The adaptive augmentation strength controller of ADA (Karras et al. 2020, section 3).

Every `interval` minibatches, p <- clip(p + sign(r_t - target) * N / (ada_kimg * 1000), 0, 1)
where r_t = E[sign(D(augmented reals))] over the minibatches since the last update (all
replicas) and N the number of images they contained, so p can move from 0 to 1 in `ada_kimg`
thousand images. r_t near 1 means D is confident on every real image: it is overfitting.

Unlike the reference, p is capped at 1. Each transform fires with probability multiplier * p and
every multiplier is <= 1, so values above 1 change nothing except how long it takes p to come back
down: uncapped, p kept climbing in users' runs (to 21.8 in NVlabs/stylegan2-ada-pytorch#175)
and could then not react when D stopped overfitting.
"""

import math

import tensorflow as tf


class AdaController(tf.Module):
    """Accumulates E[sign(D(real))] between updates and moves p.

    The running (sum, count) of signs is a pair of variables, saved with the run, so that a
    resumed run makes exactly the updates the uninterrupted run makes.

    Args:
        target: Target value of r_t (0.6).
        interval: Minibatches between updates (4).
        ada_kimg: Images (in thousands) for p to move by 1 (500; 100 for transfer learning).
        max_p: Upper bound of p (1).
    """

    def __init__(self, target=0.6, interval=4, ada_kimg=500, max_p=1.0):
        super().__init__(name="ada")
        if not 0 <= target <= 1:
            raise ValueError(f"ADA target must be in [0, 1], got {target}")
        if interval < 1 or ada_kimg <= 0:
            raise ValueError("ADA interval must be >= 1 and ada_kimg > 0")
        self.target = float(target)
        self.interval = int(interval)
        self.ada_kimg = float(ada_kimg)
        self.max_p = float(max_p)
        self.signs = tf.Variable([0.0, 0.0], dtype=tf.float64, trainable=False,
                                 name="signs_sum_count")

    def adjust(self, p, rt, num_images):
        """New p after `num_images` images whose mean sign of D(real) was `rt`."""
        if math.isnan(rt):
            return p
        step = math.copysign(1.0, rt - self.target) if rt != self.target else 0.0
        return min(max(p + step * num_images / (self.ada_kimg * 1000), 0.0), self.max_p)

    def observe(self, sum_count):
        """Adds a step's 'Loss/signs/real' statistic ([sum, count] over all replicas)."""
        self.signs.assign_add(tf.cast(sum_count, tf.float64))

    def update(self, p, batch_size):
        """Returns the new p after an interval of `batch_size` minibatches and resets the stats."""
        total, count = self.signs.numpy()
        self.signs.assign([0.0, 0.0])
        rt = total / count if count > 0 else float("nan")
        return self.adjust(p, rt, batch_size * self.interval)
