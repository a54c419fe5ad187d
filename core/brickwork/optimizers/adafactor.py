"""Adafactor: second moments kept as row and column factors."""
from __future__ import annotations

import numpy as np

from brickwork.ops import backend_xp
from brickwork.optimizers._common import power, rms, scalar
from brickwork.optimizers.base_optimizer import Optimizer
from brickwork.variables import Variable


class Adafactor(Optimizer):
    """As ``keras.optimizers.Adafactor`` (Shazeer & Stern, 2018). At step
    ``t`` (from 1), with ``G = g**2 + epsilon_1`` and ``b = 1 - t**beta_2_decay``::

        rho = min(learning_rate, 1 / sqrt(t))
        alpha = max(epsilon_2, rms(w)) * rho
        rank >= 2:  r = b r + (1 - b) mean(G, -1);  c = b c + (1 - b) mean(G, -2)
                    v = (r / mean(r, -1))[..., None] * c[..., None, :]
        rank < 2:   v = b v + (1 - b) G
        u = g / sqrt(v);  w -= alpha * u / max(1, rms(u) / clip_threshold)

    Variables, in Keras' order (its save order): per model variable, the row
    and column factors (named after the variable; for variables of rank < 2,
    two unused int32 scalars, as Keras keeps), then ``<path>_velocity``.
    """

    def __init__(self, learning_rate=0.001, beta_2_decay=-0.8, epsilon_1=1e-30, epsilon_2=1e-3,
                 clip_threshold=1.0, relative_step=True, weight_decay=None, clipnorm=None,
                 clipvalue=None, global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None, **kwargs):
        super().__init__(
            learning_rate=learning_rate, name=name, weight_decay=weight_decay,
            clipnorm=clipnorm, clipvalue=clipvalue, global_clipnorm=global_clipnorm,
            use_ema=use_ema, ema_momentum=ema_momentum,
            ema_overwrite_frequency=ema_overwrite_frequency,
            loss_scale_factor=loss_scale_factor,
            gradient_accumulation_steps=gradient_accumulation_steps, **kwargs)
        self.beta_2_decay = beta_2_decay
        self.epsilon_1 = epsilon_1
        self.epsilon_2 = epsilon_2
        self.clip_threshold = clip_threshold
        self.relative_step = relative_step
        self._r, self._c, self._v = [], [], []

    def _placeholder(self, name):
        """Keras' unused factor of a variable of rank < 2: an int32 0, tracked
        (and saved) like the others."""
        variable = Variable(0, shape=(), dtype="int32", trainable=False, name=name)
        variable.path = f"{self.name}/{name}"
        self._variables.append(variable)
        return variable

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._r, self._c, self._v = [], [], []
        for var in var_list:
            shape = tuple(var.shape)
            if len(shape) < 2:
                self._r.append(self._placeholder(var.name))
                self._c.append(self._placeholder(var.name))
            else:
                self._r.append(self.add_variable(shape=shape[:-1], dtype=var.dtype,
                                                 name=var.name))
                self._c.append(self.add_variable(shape=shape[:-2] + shape[-1:], dtype=var.dtype,
                                                 name=var.name))
            self._v.append(self.add_variable_from_reference(var, "velocity"))

    def update_step(self, gradient, variable, learning_rate):
        xp = backend_xp()
        w = variable.value
        dtype = w.dtype
        index = self._get_variable_index(variable)
        step = scalar(self._step() + 1, dtype)
        one = scalar(1, dtype)
        lr = scalar(learning_rate, dtype)
        rho = min(lr, one / np.sqrt(step))
        alpha = xp.maximum(scalar(self.epsilon_2, dtype), rms(xp, w)) * rho
        regulated = xp.square(gradient) + scalar(self.epsilon_1, dtype)
        beta_2 = one - power(step, self.beta_2_decay, dtype)
        v = self._v[index].value
        if w.ndim >= 2:
            r, c = self._r[index].value, self._c[index].value
            r[...] = beta_2 * r + (one - beta_2) * xp.mean(regulated, axis=-1)
            c[...] = beta_2 * c + (one - beta_2) * xp.mean(regulated, axis=-2)
            v[...] = xp.expand_dims(r / xp.mean(r, axis=-1, keepdims=True), -1) * \
                xp.expand_dims(c, -2)
        else:
            v[...] = beta_2 * v + (one - beta_2) * regulated
        update = gradient / xp.sqrt(v)
        update = update / xp.maximum(one, rms(xp, update) / scalar(self.clip_threshold, dtype))
        w -= alpha * update

    def get_config(self):
        config = super().get_config()
        config.update({"beta_2_decay": self.beta_2_decay, "epsilon_1": self.epsilon_1,
                       "epsilon_2": self.epsilon_2, "clip_threshold": self.clip_threshold,
                       "relative_step": self.relative_step})
        return config
