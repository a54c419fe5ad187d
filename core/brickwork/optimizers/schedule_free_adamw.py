"""Schedule-free AdamW: interpolation and averaging instead of a schedule."""
from __future__ import annotations

from brickwork.ops import backend_xp
from brickwork.optimizers._common import power, scalar
from brickwork.optimizers.base_optimizer import Optimizer


class ScheduleFreeAdamW(Optimizer):
    """As ``keras.optimizers.ScheduleFreeAdamW`` (Defazio et al., 2024).

    The model variable holds ``y``; the ``momentum`` slot holds ``z``
    (initialised to the variable's value at build); at step ``t``, with the
    learning rate ramped by ``min(t / warmup_steps, 1)`` when ``warmup_steps``::

        v += (g**2 - v) * (1 - beta_2)
        z -= learning_rate * g / (sqrt(v / (1 - beta_2**t)) + epsilon)
        x = (y - (1 - beta_1) * z) / beta_1
        x = (1 - 1/t) * x + (1/t) * z
        y = (1 - beta_1) * z + beta_1 * x

    ``x`` is recovered from ``y`` and the already updated ``z``, which is what
    Keras computes on its torch and TensorFlow backends (its code reads the
    slot after updating it in place); Keras on JAX uses ``z`` before the
    update instead.
    """

    def __init__(self, learning_rate=0.0025, beta_1=0.9, beta_2=0.999, epsilon=1e-8,
                 warmup_steps=0, weight_decay=None, clipnorm=None, clipvalue=None,
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
        self.warmup_steps = warmup_steps
        self._momentums, self._velocities = [], []

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._momentums, self._velocities = self.add_optimizer_variables(
            var_list, ["momentum", "velocity"])
        for momentum, var in zip(self._momentums, var_list):
            momentum.assign(var.value)

    def update_step(self, gradient, variable, learning_rate):
        xp = backend_xp()
        y = variable.value
        dtype = y.dtype
        index = self._get_variable_index(variable)
        step = scalar(self._step() + 1, dtype)
        one = scalar(1, dtype)
        lr = scalar(learning_rate, dtype)
        beta_1 = scalar(self.beta_1, dtype)
        if self.warmup_steps > 0:
            lr = lr * min(step / scalar(self.warmup_steps, dtype), one)
        z, v = self._momentums[index].value, self._velocities[index].value
        bias_correction_2 = one - power(self.beta_2, step, dtype)
        v += (xp.square(gradient) - v) * (one - scalar(self.beta_2, dtype))
        z -= lr * gradient / (xp.sqrt(v / bias_correction_2) + scalar(self.epsilon, dtype))
        weight = one / step
        x = (y - (one - beta_1) * z) / beta_1
        x = (one - weight) * x + weight * z
        y[...] = (one - beta_1) * z + beta_1 * x

    def get_config(self):
        config = super().get_config()
        config.update({"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon,
                       "warmup_steps": self.warmup_steps})
        return config
