"""Lamb: Adam's direction scaled layer-wise by a trust ratio."""
from __future__ import annotations

from brickwork.ops import backend_xp
from brickwork.optimizers._common import power, scalar
from brickwork.optimizers.base_optimizer import Optimizer


class Lamb(Optimizer):
    """As ``keras.optimizers.Lamb`` (You et al., 2019); at step ``t``::

        m += (g - m) * (1 - beta_1);  v += (g**2 - v) * (1 - beta_2)
        u = (m / (1 - beta_1**t)) / (sqrt(v / (1 - beta_2**t)) + epsilon)
        ratio = |w| / |u| when both norms are > 0, else 1
        w -= ratio * learning_rate * u
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None,
                 use_ema=False, ema_momentum=0.99, ema_overwrite_frequency=None,
                 loss_scale_factor=None, gradient_accumulation_steps=None, name=None, **kwargs):
        super().__init__(
            learning_rate=learning_rate, name=name, weight_decay=weight_decay,
            clipnorm=clipnorm, clipvalue=clipvalue, global_clipnorm=global_clipnorm,
            use_ema=use_ema, ema_momentum=ema_momentum,
            ema_overwrite_frequency=ema_overwrite_frequency,
            loss_scale_factor=loss_scale_factor,
            gradient_accumulation_steps=gradient_accumulation_steps, **kwargs)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self._momentums, self._velocities = [], []

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._momentums, self._velocities = self.add_optimizer_variables(
            var_list, ["momentum", "velocity"])

    def update_step(self, gradient, variable, learning_rate):
        xp = backend_xp()
        w = variable.value
        dtype = w.dtype
        index = self._get_variable_index(variable)
        step = self._step() + 1
        beta_1_power = power(self.beta_1, step, dtype)
        beta_2_power = power(self.beta_2, step, dtype)
        m, v = self._momentums[index].value, self._velocities[index].value
        m += (gradient - m) * (1 - self.beta_1)
        v += (xp.square(gradient) - v) * (1 - self.beta_2)
        one = scalar(1, dtype)
        update = (m / (one - beta_1_power)) / (xp.sqrt(v / (one - beta_2_power)) + self.epsilon)
        w_norm = xp.sqrt(xp.sum(w ** 2))
        u_norm = xp.sqrt(xp.sum(update ** 2))
        usable = (w_norm > 0) & (u_norm > 0)
        ratio = xp.where(usable, w_norm / xp.where(usable, u_norm, one), one)
        w -= ratio * scalar(learning_rate, dtype) * update

    def get_config(self):
        config = super().get_config()
        config.update({"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon})
        return config
