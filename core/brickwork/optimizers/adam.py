"""Adam, with the optional AMSGrad variant."""
from __future__ import annotations

from brickwork.ops import kernels
from brickwork.optimizers.base_optimizer import Optimizer


class Adam(Optimizer):
    """As ``keras.optimizers.Adam``; at step ``t`` (from 1)::

        alpha = learning_rate * sqrt(1 - beta_2**t) / (1 - beta_1**t)
        m += (g - m) * (1 - beta_1)
        v += (g**2 - v) * (1 - beta_2)
        v_hat = maximum(v_hat, v)                  (amsgrad: used instead of v)
        w -= alpha * m / (sqrt(v) + epsilon)
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 amsgrad=False, weight_decay=None, clipnorm=None, clipvalue=None,
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
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.amsgrad = amsgrad
        self._momentums, self._velocities, self._velocity_hats = [], [], []

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        # Keras creates momentum and velocity interleaved per variable, then
        # all velocity_hat slots: that order is the saved-weights order.
        self._momentums, self._velocities = self.add_optimizer_variables(
            var_list, ["momentum", "velocity"])
        if self.amsgrad:
            self._velocity_hats = self.add_optimizer_variables(var_list, "velocity_hat")

    def update_step(self, gradient, variable, learning_rate):
        index = self._get_variable_index(variable)
        v_hat = self._velocity_hats[index].value if self.amsgrad else None
        kernels().adam_update(variable.value, gradient, self._momentums[index].value,
                              self._velocities[index].value, v_hat, learning_rate,
                              self.beta_1, self.beta_2, self.epsilon, self._step() + 1)

    def get_config(self):
        config = super().get_config()
        config.update({"beta_1": self.beta_1, "beta_2": self.beta_2,
                       "epsilon": self.epsilon, "amsgrad": self.amsgrad})
        return config
