"""Stochastic gradient descent, with optional (Nesterov) momentum."""
from __future__ import annotations

from brickwork.ops import kernels
from brickwork.optimizers.base_optimizer import Optimizer


class SGD(Optimizer):
    """As ``keras.optimizers.SGD``. With ``momentum`` > 0::

        m = momentum * m - learning_rate * g
        w += m                                     (nesterov=False)
        w += momentum * m - learning_rate * g      (nesterov=True)

    and plain ``w -= learning_rate * g`` otherwise.
    """

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, weight_decay=None,
                 clipnorm=None, clipvalue=None, global_clipnorm=None, use_ema=False,
                 ema_momentum=0.99, ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None, **kwargs):
        super().__init__(
            learning_rate=learning_rate, name=name, weight_decay=weight_decay,
            clipnorm=clipnorm, clipvalue=clipvalue, global_clipnorm=global_clipnorm,
            use_ema=use_ema, ema_momentum=ema_momentum,
            ema_overwrite_frequency=ema_overwrite_frequency,
            loss_scale_factor=loss_scale_factor,
            gradient_accumulation_steps=gradient_accumulation_steps, **kwargs)
        if not isinstance(momentum, float) or momentum < 0 or momentum > 1:
            raise ValueError(f"`momentum` must be a float between [0, 1]. Received: "
                             f"momentum={momentum!r}")
        self.momentum = momentum
        self.nesterov = nesterov
        self.momentums = []

    def build(self, variables):
        if self.built:
            return
        super().build(variables)
        if self.momentum != 0:
            self.momentums = self.add_optimizer_variables(variables, "momentum")

    def update_step(self, gradient, variable, learning_rate):
        buffer = None
        if self.momentum != 0:
            buffer = self.momentums[self._get_variable_index(variable)].value
        kernels().sgd_update(variable.value, gradient, buffer, learning_rate,
                             self.momentum, self.nesterov)

    def get_config(self):
        config = super().get_config()
        config.update({"momentum": self.momentum, "nesterov": self.nesterov})
        return config
