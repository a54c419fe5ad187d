"""Muon: orthogonalised momentum for matrices, AdamW for everything else."""
from __future__ import annotations

import math
import re

from brickwork.ops import backend_xp
from brickwork.optimizers._common import power, scalar
from brickwork.optimizers.base_optimizer import Optimizer


class Muon(Optimizer):
    """As ``keras.optimizers.Muon`` (Jordan et al., 2024; Liu et al., 2025).

    2-D variables take the Muon step, others (and 2-D variables whose path
    contains "embedding" with ``exclude_embeddings``, or matches a regular
    expression of ``exclude_layers``) the AdamW step::

        Muon:   m = momentum * m + g
                u = g + momentum * m   (nesterov)   or   u = m
                O = newton_schulz5(u, ns_steps)   (~ U V^T of u's SVD)
                w -= learning_rate * O * sqrt(max(rows, cols)) * rms_rate
        AdamW:  Adam with learning_rate * adam_lr_ratio, beta_1 = adam_beta_1,
                beta_2 = adam_beta_2

    Weight decay is ``weight_decay`` on Muon variables and
    ``adam_weight_decay`` on AdamW ones. Slots, in Keras' order: per
    variable ``<path>_momentum``, then ``<path>_velocity`` for AdamW ones.
    """

    def __init__(self, learning_rate=0.001, adam_beta_1=0.9, adam_beta_2=0.999,
                 adam_weight_decay=0.004, epsilon=1e-7, weight_decay=0.004, clipnorm=None,
                 clipvalue=None, global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None, exclude_layers=None,
                 exclude_embeddings=True, muon_a=3.4445, muon_b=-4.7750, muon_c=2.0315,
                 adam_lr_ratio=1, momentum=0.95, ns_steps=5, nesterov=True, rms_rate=0.2,
                 **kwargs):
        super().__init__(
            learning_rate=learning_rate, name=name, weight_decay=weight_decay,
            clipnorm=clipnorm, clipvalue=clipvalue, global_clipnorm=global_clipnorm,
            use_ema=use_ema, ema_momentum=ema_momentum,
            ema_overwrite_frequency=ema_overwrite_frequency,
            loss_scale_factor=loss_scale_factor,
            gradient_accumulation_steps=gradient_accumulation_steps, **kwargs)
        self.adam_beta_1 = adam_beta_1
        self.adam_beta_2 = adam_beta_2
        self.epsilon = epsilon
        self.muon_a = muon_a
        self.muon_b = muon_b
        self.muon_c = muon_c
        self.adam_lr_ratio = adam_lr_ratio
        self.momentum = momentum
        self.ns_steps = ns_steps
        self.nesterov = nesterov
        self.exclude_embeddings = exclude_embeddings
        self.exclude_layers = exclude_layers or []
        self.adam_weight_decay = adam_weight_decay
        self.rms_rate = rms_rate
        self.momentums, self.adam_velocities = [], []

    def _should_use_adamw(self, variable):
        if len(variable.shape) != 2:
            return True
        path = getattr(variable, "path", variable.name)
        if self.exclude_embeddings and "embedding" in path.lower():
            return True
        return any(re.search(keyword, path) for keyword in self.exclude_layers)

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self.momentums = [None] * len(var_list)
        self.adam_velocities = [None] * len(var_list)
        for var in var_list:
            index = self._get_variable_index(var)
            self.momentums[index] = self.add_variable_from_reference(var, "momentum")
            if self._should_use_adamw(var):
                self.adam_velocities[index] = self.add_variable_from_reference(var, "velocity")

    def update_step(self, gradient, variable, learning_rate):
        index = self._get_variable_index(variable)
        m, v = self.momentums[index], self.adam_velocities[index]
        if v is not None:
            self._adamw_update_step(gradient, variable, learning_rate * self.adam_lr_ratio,
                                    m.value, v.value)
        else:
            self._muon_update_step(gradient, variable, learning_rate, m.value)

    def _muon_update_step(self, gradient, variable, learning_rate, m):
        m += gradient + m * (self.momentum - 1)
        g = gradient + self.momentum * m if self.nesterov else m
        update = self.zeropower_via_newtonschulz5(g, self.ns_steps)
        variable.value[...] -= self.lr_adjust(scalar(learning_rate, m.dtype) * update)

    def _adamw_update_step(self, gradient, variable, learning_rate, m, v):
        xp = backend_xp()
        w = variable.value
        dtype = w.dtype
        step = self._step() + 1
        lr = scalar(learning_rate, dtype)
        one = scalar(1, dtype)
        beta_1_power = power(self.adam_beta_1, step, dtype)
        beta_2_power = power(self.adam_beta_2, step, dtype)
        alpha = lr * xp.sqrt(one - beta_2_power) / (one - beta_1_power)
        m += (gradient - m) * (1 - self.adam_beta_1)
        v += (xp.square(gradient) - v) * (1 - self.adam_beta_2)
        w -= (m * alpha) / (xp.sqrt(v) + self.epsilon)

    @staticmethod
    def transpose_last_axis(x):
        return backend_xp().swapaxes(x, -1, -2)

    def lr_adjust(self, x):
        """Scale the update by ``sqrt(max(rows, cols)) * rms_rate`` (Moonlight),
        unless ``rms_rate`` is None."""
        if self.rms_rate is None:
            return x
        return x * scalar(math.sqrt(max(x.shape[0], x.shape[1])), x.dtype) * self.rms_rate

    def zeropower_via_newtonschulz5(self, x, steps):
        """The quintic Newton-Schulz iteration towards ``U V^T`` of ``x``'s SVD."""
        xp = backend_xp()
        if x.ndim < 2:
            raise ValueError("Expected gradient or momentum to have at least 2 dimensions. "
                             f"Received: shape={tuple(x.shape)}")
        a, b, c = self.muon_a, self.muon_b, self.muon_c
        tall = x.shape[-2] > x.shape[-1]
        if tall:
            x = self.transpose_last_axis(x)
        norm = xp.sqrt(xp.sum(xp.square(x), axis=(-2, -1), keepdims=True))
        x = x / (norm + 1e-7)
        for _ in range(steps):
            gram = x @ self.transpose_last_axis(x)
            poly = b * gram + c * gram @ gram
            x = a * x + poly @ x
        if tall:
            x = self.transpose_last_axis(x)
        return x

    def _apply_weight_decay(self, variables, learning_rate):
        for variable in variables:
            if not self._use_weight_decay(variable):
                continue
            decay = (self.adam_weight_decay if self._should_use_adamw(variable)
                     else self.weight_decay)
            if decay is None:
                continue
            value = variable.value
            value -= value * scalar(decay, value.dtype) * scalar(learning_rate, value.dtype)

    def get_config(self):
        config = super().get_config()
        config.update({
            "adam_beta_1": self.adam_beta_1, "adam_beta_2": self.adam_beta_2,
            "epsilon": self.epsilon, "exclude_layers": self.exclude_layers,
            "muon_a": self.muon_a, "muon_b": self.muon_b, "muon_c": self.muon_c,
            "adam_lr_ratio": self.adam_lr_ratio, "momentum": self.momentum,
            "ns_steps": self.ns_steps, "nesterov": self.nesterov,
            "exclude_embeddings": self.exclude_embeddings,
            "adam_weight_decay": self.adam_weight_decay, "rms_rate": self.rms_rate})
        return config
