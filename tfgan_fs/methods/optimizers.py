"""Optimizers with the lazy-regularisation correction (Karras et al. 2020, appendix B)."""

import dataclasses

import keras


@dataclasses.dataclass(frozen=True)
class AdamConfig:
    """Adam hyperparameters as the reference writes them: lr, (beta1, beta2), eps."""
    lr: float = 0.002
    betas: tuple = (0.0, 0.99)
    eps: float = 1e-8


def lazy_regularization_adam(config, reg_interval=None, name=None):
    """Adam whose statistics account for a regulariser applied every `reg_interval` steps.

    When a regularisation phase shares the optimizer with the main phase and runs every k-th
    step, the optimizer sees k + 1 updates per k minibatches, so the reference scales
    lr by c = k / (k + 1) and raises each beta to the power c. With k = 16 (R1) and lr 0.0025
    this gives lr 0.002353 and beta2 0.99 ** (16/17) = 0.99059.

    Args:
        config: AdamConfig.
        reg_interval: The lazy regularisation interval k, or None for no correction.
        name: Optimizer name.

    Returns:
        A `keras.optimizers.Adam`.
    """
    ratio = 1.0 if reg_interval is None else reg_interval / (reg_interval + 1)
    beta1, beta2 = (beta ** ratio for beta in config.betas)
    return keras.optimizers.Adam(learning_rate=config.lr * ratio, beta_1=beta1, beta_2=beta2,
                                 epsilon=config.eps, name=name)
