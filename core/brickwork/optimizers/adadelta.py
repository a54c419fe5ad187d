"""Adadelta: step sizes from running averages of squared gradients and updates."""
from __future__ import annotations

from brickwork.ops import kernels
from brickwork.optimizers.base_optimizer import Optimizer


class Adadelta(Optimizer):
    """As ``keras.optimizers.Adadelta``::

        a_g = rho * a_g + (1 - rho) * g**2
        delta = -sqrt(a_d + epsilon) * g / sqrt(a_g + epsilon)
        a_d = rho * a_d + (1 - rho) * delta**2
        w += learning_rate * delta
    """

    def __init__(self, learning_rate=0.001, rho=0.95, epsilon=1e-7,
                 weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None, **kwargs):
        super().__init__(
            learning_rate=learning_rate, name=name, weight_decay=weight_decay,
            clipnorm=clipnorm, clipvalue=clipvalue, global_clipnorm=global_clipnorm,
            use_ema=use_ema, ema_momentum=ema_momentum,
            ema_overwrite_frequency=ema_overwrite_frequency,
            loss_scale_factor=loss_scale_factor,
            gradient_accumulation_steps=gradient_accumulation_steps, **kwargs)
        self.rho = rho
        self.epsilon = epsilon
        self._accumulated_grads, self._accumulated_delta_vars = [], []

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._accumulated_grads, self._accumulated_delta_vars = self.add_optimizer_variables(
            var_list, ["accumulated_grad", "accumulated_delta_var"])

    def update_step(self, gradient, variable, learning_rate):
        index = self._get_variable_index(variable)
        kernels().adadelta_update(variable.value, gradient,
                                  self._accumulated_grads[index].value,
                                  self._accumulated_delta_vars[index].value, learning_rate,
                                  self.rho, self.epsilon)

    def get_config(self):
        config = super().get_config()
        config.update({"rho": self.rho, "epsilon": self.epsilon})
        return config
