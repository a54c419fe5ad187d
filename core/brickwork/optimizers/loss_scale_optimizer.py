"""``LossScaleOptimizer``: dynamic loss scaling for float16 training, as
``keras.optimizers.LossScaleOptimizer``.

The loss is multiplied by a scale before the gradients are taken, so that
small float16 gradients do not underflow; the gradients are divided by it
again before the inner optimizer applies them. A step whose gradients hold
an inf or NaN is skipped and halves the scale; ``dynamic_growth_steps``
finite steps in a row double it. ``compile`` wraps the optimizer in one when
the model's dtype policy is ``"mixed_float16"`` (``auto_scale_loss=True``).
"""
from __future__ import annotations

from brickwork import initializers
from brickwork.ops.core import backend_xp, data_of
from brickwork.optimizers.base_optimizer import Optimizer

# Base-optimizer arguments Keras writes into older configs with these values;
# anything else is refused (set it on the inner optimizer instead).
_BASE_DEFAULTS = {"weight_decay": None, "clipnorm": None, "global_clipnorm": None,
                  "clipvalue": None, "use_ema": False, "ema_momentum": 0.99,
                  "ema_overwrite_frequency": None, "loss_scale_factor": None,
                  "gradient_accumulation_steps": None}


class LossScaleOptimizer(Optimizer):
    """Wraps ``inner_optimizer`` with a dynamic loss scale starting at
    ``initial_scale`` and doubled after ``dynamic_growth_steps`` finite steps."""

    def __init__(self, inner_optimizer, initial_scale=2.0 ** 15, dynamic_growth_steps=2000,
                 name=None, **kwargs):
        if not kwargs.pop("dynamic", True):
            raise ValueError("LossScaleOptimizer no longer supports `dynamic=False`. Instead, "
                             "simply set `loss_scale_factor` directly on the `inner_optimizer`.")
        for argument, default in _BASE_DEFAULTS.items():
            if argument in kwargs and kwargs.pop(argument) != default:
                raise ValueError(f"LossScaleOptimizer does not support `{argument}`. Instead, "
                                 f"set `{argument}` on the `inner_optimizer`.")
        if kwargs:
            raise ValueError(f"LossScaleOptimizer does not support arguments: "
                             f"`{'`, `'.join(kwargs)}`.")
        if not isinstance(inner_optimizer, Optimizer):
            raise TypeError(f"LossScaleOptimizer wraps an optimizer instance; received "
                            f"inner_optimizer={inner_optimizer!r}")
        super().__init__(learning_rate=0.0, name=name)
        self.inner_optimizer = inner_optimizer
        self.initial_scale = initial_scale
        self.dynamic_growth_steps = dynamic_growth_steps
        # The inner optimizer must not unscale a second time.
        self.inner_optimizer.loss_scale_factor = None

    def build(self, var_list):
        self.step_counter = self.add_variable((), initializers.Zeros(), dtype=self._iterations.dtype,
                                              name="step_counter")
        self.dynamic_scale = self.add_variable((), initializers.Constant(self.initial_scale),
                                               dtype="float32", name="dynamic_scale")
        self.inner_optimizer.build(var_list)
        super().build(var_list)

    @property
    def variables(self):
        return self._variables + self.inner_optimizer.variables

    def apply(self, grads, trainable_variables=None):
        grads = list(grads)
        if not self.built:
            if trainable_variables is None:
                raise ValueError("When passing `grads` without `variables`, the optimizer must "
                                 "already be built on a list of variables.")
            self.build(list(trainable_variables))
        xp = backend_xp()
        arrays = [None if g is None else xp.asarray(data_of(g)) for g in grads]
        scale = float(self.dynamic_scale.numpy())
        if not all(bool(xp.all(xp.isfinite(a))) for a in arrays if a is not None):
            self.step_counter.assign(0)
            self.dynamic_scale.assign(scale * 0.5)
            return
        unscaled = [None if a is None else a / a.dtype.type(scale) for a in arrays]
        self.inner_optimizer.apply(unscaled, trainable_variables)
        if int(self.step_counter.numpy()) == self.dynamic_growth_steps - 1:
            self.step_counter.assign(0)
            self.dynamic_scale.assign(scale * 2.0)
        else:
            self.step_counter.assign_add(1)

    def scale_loss(self, loss):
        """``loss`` times the current scale (the initial one before building)."""
        from brickwork import ops
        scale = float(self.dynamic_scale.numpy()) if self.built else self.initial_scale
        return ops.multiply(loss, scale)

    @property
    def learning_rate(self):
        return self.inner_optimizer.learning_rate

    @learning_rate.setter
    def learning_rate(self, learning_rate):
        self.inner_optimizer.learning_rate = learning_rate

    @property
    def iterations(self):
        return self.inner_optimizer.iterations

    def finalize_variable_values(self, var_list):
        self.inner_optimizer.finalize_variable_values(var_list)

    def get_config(self):
        from brickwork.saving.serialization import serialize_keras_object
        return {"name": self.name, "inner_optimizer": serialize_keras_object(self.inner_optimizer),
                "initial_scale": self.initial_scale,
                "dynamic_growth_steps": self.dynamic_growth_steps}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from brickwork import optimizers
        config = dict(config)
        inner = optimizers.deserialize(config.pop("inner_optimizer"), custom_objects=custom_objects)
        return cls(inner, **config)
