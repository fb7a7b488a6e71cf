"""The tiny training configuration shared by the multi-worker test and its worker processes."""

from tfgan_fs.data import open_dataset
from tfgan_fs.methods import BUILTIN, ResolveEnv

DATA = "builtin:shapes?resolution=16&count=32"
BATCH = 8
STEPS = 4


def tiny_options(num_replicas):
    """ADA with a fast controller, PL and R1 both due at step 0, 4 steps of batch 8.

    gamma and the EMA half-life are given because `--cfg=auto` derives them from the replica
    count (as the reference does), and the runs compared must train the same model.
    """
    args = dict(data=DATA, batch=BATCH, cbase=128, cmax=8, map=1, mbstd_group=2, gamma=0.01,
                ema=0.01,
                kimg=BATCH * STEPS / 1000, tick=BATCH * STEPS / 1000, snap=1, seed=5,
                p=0.3, ada_kimg=0.05, augpipe="blit")
    return BUILTIN.resolve(args, ResolveEnv(info=open_dataset(DATA).info,
                                            num_replicas=num_replicas))
