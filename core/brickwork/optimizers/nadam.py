"""Nadam: Adam with Nesterov momentum and Dozat's momentum schedule."""
from __future__ import annotations

from brickwork.dtypes import floatx
from brickwork.ops import convert_to_numpy, kernels
from brickwork.optimizers.base_optimizer import Optimizer


class Nadam(Optimizer):
    """As ``keras.optimizers.Nadam``. With ``u_i = beta_1 * (1 - 0.5 * 0.96**i)``
    and ``U_t = u_1 * ... * u_t`` (kept in a variable, updated once per step)::

        m += (g - m) * (1 - beta_1);  v += (g**2 - v) * (1 - beta_2)
        m_hat = u_(t+1) * m / (1 - U_t * u_(t+1)) + (1 - u_t) * g / (1 - U_t)
        w -= learning_rate * m_hat / (sqrt(v / (1 - beta_2**t)) + epsilon)
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
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
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self._momentums, self._velocities = [], []
        self._u_product = None

    def build(self, var_list):
        if self.built:
            return
        var_list = list(var_list)
        dtype = var_list[0].dtype if var_list else floatx()
        super().build(var_list)
        self._momentums, self._velocities = self.add_optimizer_variables(
            var_list, ["momentum", "velocity"])
        # Created after the slots, as Keras does: it is saved last.
        self._u_product = self._new_variable(1.0, (), dtype, "variable")

    def _update(self, grads, variables):
        step = self._step() + 1
        u_t = self.beta_1 * (1.0 - 0.5 * 0.96**step)
        self._u_product.assign(float(convert_to_numpy(self._u_product)) * u_t)
        super()._update(grads, variables)

    def update_step(self, gradient, variable, learning_rate):
        index = self._get_variable_index(variable)
        kernels().nadam_update(variable.value, gradient, self._momentums[index].value,
                               self._velocities[index].value, learning_rate, self.beta_1,
                               self.beta_2, self.epsilon, self._step() + 1,
                               float(convert_to_numpy(self._u_product)))

    def get_config(self):
        config = super().get_config()
        config.update({"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon})
        return config
