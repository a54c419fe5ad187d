"""RMSprop, with optional momentum and centering."""
from __future__ import annotations

from brickwork.ops import kernels
from brickwork.optimizers.base_optimizer import Optimizer


class RMSprop(Optimizer):
    """As ``keras.optimizers.RMSprop``::

        v = rho * v + (1 - rho) * g**2
        a = rho * a + (1 - rho) * g                (centered)
        increment = learning_rate * g / sqrt(v [- a**2] + epsilon)
        m = momentum * m + increment; w -= m       (momentum > 0)
        w -= increment                             (otherwise)
    """

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7,
                 centered=False, weight_decay=None, clipnorm=None, clipvalue=None,
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
        self.momentum = momentum
        self.epsilon = epsilon
        self.centered = centered
        self._velocities, self._momentums, self._average_gradients = [], [], []

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        # Keras' order: all velocities, then momentums, then average gradients.
        self._velocities = self.add_optimizer_variables(var_list, "velocity")
        if self.momentum > 0:
            self._momentums = self.add_optimizer_variables(var_list, "momentum")
        if self.centered:
            self._average_gradients = self.add_optimizer_variables(var_list, "average_gradient")

    def update_step(self, gradient, variable, learning_rate):
        index = self._get_variable_index(variable)
        momentum = self._momentums[index].value if self.momentum > 0 else None
        average = self._average_gradients[index].value if self.centered else None
        kernels().rmsprop_update(variable.value, gradient, self._velocities[index].value,
                                 momentum, average, learning_rate, self.rho, self.momentum,
                                 self.epsilon)

    def get_config(self):
        config = super().get_config()
        config.update({"rho": self.rho, "momentum": self.momentum,
                       "epsilon": self.epsilon, "centered": self.centered})
        return config
