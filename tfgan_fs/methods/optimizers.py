"""Optimizers: Adam with the lazy-regularisation correction (Karras et al. 2020, appendix B),
and the layer-selective Adam of StyleGAN-NADA."""

import dataclasses

import keras
import tensorflow as tf


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


class SelectiveAdam(keras.optimizers.Optimizer):
    """Adam (PyTorch's formula) that updates only the selected groups of variables.

    StyleGAN-NADA's adaptive layer selection freezes all but k layers each step; in PyTorch a
    frozen parameter has no gradient and Adam leaves it, its moments and its step count alone.
    Here the selection is a tensor read at run time (no retrace per selection): `selection`
    holds one flag per group, `groups` maps each variable (by path) to its group, and a variable
    whose group is off keeps its value, moments and step. Each variable counts its own steps
    for the bias correction, as PyTorch does. With every group on this is PyTorch's Adam:

        m <- b1 m + (1 - b1) g;  v <- b2 v + (1 - b2) g^2;  t <- t + 1
        x <- x - lr / (1 - b1^t) * m / (sqrt(v / (1 - b2^t)) + eps)

    Args:
        learning_rate, beta_1, beta_2, epsilon: Adam's hyperparameters.
        selection: tf.Variable [num_groups], nonzero = update the group's variables.
        groups: {variable path: group index} of every variable the optimizer trains.
        name: Optimizer name.
    """

    def __init__(self, learning_rate, beta_1, beta_2, epsilon, selection, groups, name=None):
        super().__init__(learning_rate=learning_rate, name=name)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.selection = selection
        self.groups = dict(groups)

    def build(self, var_list):
        if self.built:
            return
        missing = [v.path for v in var_list if v.path not in self.groups]
        if missing:
            raise ValueError(f"SelectiveAdam: no group for {missing}")
        super().build(var_list)
        self._group_ids = [self.groups[v.path] for v in var_list]
        self._momentums, self._velocities = self.add_optimizer_variables(
            var_list, ["momentum", "velocity"])
        self._steps = [self.add_variable((), dtype="float32", name=f"{v.name}_step")
                       for v in var_list]

    def update_step(self, gradient, variable, learning_rate):
        index = self._get_variable_index(variable)
        on = tf.not_equal(self.selection[self._group_ids[index]], 0)
        m, v, t = self._momentums[index], self._velocities[index], self._steps[index]
        g = tf.cast(gradient, variable.dtype)
        new_m = self.beta_1 * m + (1 - self.beta_1) * g
        new_v = self.beta_2 * v + (1 - self.beta_2) * tf.square(g)
        new_t = t + 1.0
        step = (tf.cast(learning_rate, variable.dtype) / (1 - self.beta_1 ** new_t) * new_m
                / (tf.sqrt(new_v / (1 - self.beta_2 ** new_t)) + self.epsilon))
        self.assign(m, tf.where(on, new_m, m))
        self.assign(v, tf.where(on, new_v, v))
        self.assign(t, tf.where(on, new_t, t))
        self.assign(variable, tf.where(on, variable - step, variable))

    def get_config(self):
        config = super().get_config()
        config.update(beta_1=self.beta_1, beta_2=self.beta_2, epsilon=self.epsilon)
        return config


class TorchAdam(keras.optimizers.Optimizer):
    """`torch.optim.Adam` with its L2 `weight_decay` (added to the gradient, not decoupled as
    Keras' `weight_decay` is) and its epsilon placement (StarGAN v2 trains with it):

        g <- g + wd x;  m <- b1 m + (1 - b1) g;  v <- b2 v + (1 - b2) g^2
        x <- x - lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)

    t counts this optimizer's updates, as PyTorch counts the steps of a parameter that gets a
    gradient in every step.
    """

    def __init__(self, learning_rate, beta_1=0.9, beta_2=0.999, epsilon=1e-8, l2=0.0,
                 name=None):
        super().__init__(learning_rate=learning_rate, name=name)
        self.beta_1, self.beta_2, self.epsilon, self.l2 = beta_1, beta_2, epsilon, l2

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._momentums, self._velocities = self.add_optimizer_variables(
            var_list, ["momentum", "velocity"])

    def update_step(self, gradient, variable, learning_rate):
        index = self._get_variable_index(variable)
        m, v = self._momentums[index], self._velocities[index]
        t = tf.cast(self.iterations + 1, variable.dtype)
        g = tf.cast(gradient, variable.dtype)
        if self.l2:
            g = g + self.l2 * variable
        new_m = self.beta_1 * m + (1 - self.beta_1) * g
        new_v = self.beta_2 * v + (1 - self.beta_2) * tf.square(g)
        denom = tf.sqrt(new_v) / tf.sqrt(1 - self.beta_2 ** t) + self.epsilon
        self.assign(m, new_m)
        self.assign(v, new_v)
        self.assign_sub(variable, tf.cast(learning_rate, variable.dtype) / (1 - self.beta_1 ** t)
                        * new_m / denom)

    def get_config(self):
        config = super().get_config()
        config.update(beta_1=self.beta_1, beta_2=self.beta_2, epsilon=self.epsilon, l2=self.l2)
        return config
