"""Learning rate schedules: callables from the optimizer step to a learning rate.

Names, arguments, defaults and ``get_config`` follow
``keras.optimizers.schedules``. Keras evaluates a schedule in float32 tensors;
here a schedule takes the step (an int, or anything ``int()`` accepts, such
as the optimizer's ``iterations`` Variable) and returns a Python float, which
the optimizer rounds to float32 before use.
"""
from __future__ import annotations

import math

from brickwork.saving.serialization import (deserialize_keras_object, register_builtin,
                                            serialize_keras_object)


class LearningRateSchedule:
    """Base class: subclasses implement ``__call__(step)`` and ``get_config()``."""

    def __call__(self, step):
        raise NotImplementedError(
            f"Learning rate schedule '{type(self).__name__}' must override `__call__(self, step)`.")

    def get_config(self):
        raise NotImplementedError(
            f"Learning rate schedule '{type(self).__name__}' must override `get_config()` "
            "in order to be serializable.")

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def _step(step) -> float:
    """The step as a float, from an int, a NumPy/CuPy scalar or a Variable."""
    if hasattr(step, "numpy"):
        step = step.numpy()
    return float(step)  # a 0-d backend array converts itself


def _check_positive(name, value):
    if value <= 0:
        raise ValueError(f"Argument `{name}` must be > 0. Received: {name}={value}")


class ExponentialDecay(LearningRateSchedule):
    """``initial_learning_rate * decay_rate ** (step / decay_steps)``;
    with ``staircase`` the exponent is floored."""

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False,
                 name="ExponentialDecay"):
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.decay_rate = decay_rate
        self.staircase = staircase
        self.name = name
        _check_positive("decay_steps", decay_steps)

    def __call__(self, step):
        p = _step(step) / self.decay_steps
        if self.staircase:
            p = math.floor(p)
        return float(self.initial_learning_rate * self.decay_rate ** p)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "decay_rate": self.decay_rate,
                "staircase": self.staircase, "name": self.name}


class PiecewiseConstantDecay(LearningRateSchedule):
    """``values[0]`` while ``step <= boundaries[0]``, ``values[i]`` while
    ``boundaries[i-1] < step <= boundaries[i]``, ``values[-1]`` after the last."""

    def __init__(self, boundaries, values, name="PiecewiseConstant"):
        if len(boundaries) != len(values) - 1:
            raise ValueError(
                "The length of boundaries should be 1 less than the length of values. "
                f"Received: boundaries={boundaries} of length {len(boundaries)}, and "
                f"values={values} of length {len(values)}.")
        self.boundaries = boundaries
        self.values = values
        self.name = name

    def __call__(self, step):
        step = _step(step)
        for boundary, value in zip(self.boundaries, self.values):
            if step <= boundary:
                return float(value)
        return float(self.values[-1])

    def get_config(self):
        return {"boundaries": self.boundaries, "values": self.values, "name": self.name}


class PolynomialDecay(LearningRateSchedule):
    """``(initial - end) * (1 - step / decay_steps) ** power + end``, the step
    capped at ``decay_steps``; with ``cycle`` the decay restarts, over the first
    multiple of ``decay_steps`` at or above the step."""

    def __init__(self, initial_learning_rate, decay_steps, end_learning_rate=0.0001,
                 power=1.0, cycle=False, name="PolynomialDecay"):
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.end_learning_rate = end_learning_rate
        self.power = power
        self.cycle = cycle
        self.name = name
        _check_positive("decay_steps", decay_steps)

    def __call__(self, step):
        step = _step(step)
        decay_steps = float(self.decay_steps)
        if self.cycle:
            # Step 0 uses the first period (Keras sets the multiplier to 1 there).
            decay_steps *= 1.0 if step == 0 else math.ceil(step / decay_steps)
        else:
            step = min(step, decay_steps)
        fraction_left = 1 - step / decay_steps
        span = self.initial_learning_rate - self.end_learning_rate
        return float(span * fraction_left ** self.power + self.end_learning_rate)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "end_learning_rate": self.end_learning_rate,
                "power": self.power, "cycle": self.cycle, "name": self.name}


class InverseTimeDecay(LearningRateSchedule):
    """``initial_learning_rate / (1 + decay_rate * step / decay_steps)``;
    with ``staircase`` the ratio ``step / decay_steps`` is floored."""

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False,
                 name="InverseTimeDecay"):
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.decay_rate = decay_rate
        self.staircase = staircase
        self.name = name
        _check_positive("decay_steps", decay_steps)

    def __call__(self, step):
        p = _step(step) / self.decay_steps
        if self.staircase:
            p = math.floor(p)
        return float(self.initial_learning_rate / (1 + self.decay_rate * p))

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "decay_rate": self.decay_rate,
                "staircase": self.staircase, "name": self.name}


def _cosine_factor(fraction, alpha):
    """Cosine decay from 1 (fraction 0) to ``alpha`` (fraction 1)."""
    cosine = 0.5 * (1.0 + math.cos(math.pi * fraction))
    return (1 - alpha) * cosine + alpha


class CosineDecay(LearningRateSchedule):
    """Optional linear warmup from ``initial_learning_rate`` to ``warmup_target``
    over ``warmup_steps``, then cosine decay over ``decay_steps`` down to
    ``alpha`` times the rate it started from."""

    def __init__(self, initial_learning_rate, decay_steps, alpha=0.0, name="CosineDecay",
                 warmup_target=None, warmup_steps=0):
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.alpha = alpha
        self.name = name
        self.warmup_steps = warmup_steps
        self.warmup_target = warmup_target
        _check_positive("decay_steps", decay_steps)

    def __call__(self, step):
        step = _step(step)
        if self.warmup_target is None:
            step = min(step, self.decay_steps)
            return float(self.initial_learning_rate * _cosine_factor(step / self.decay_steps,
                                                                     self.alpha))
        step = min(step, self.decay_steps + self.warmup_steps)
        if step < self.warmup_steps:
            delta = self.warmup_target - self.initial_learning_rate
            return float(delta * (step / self.warmup_steps) + self.initial_learning_rate)
        fraction = (step - self.warmup_steps) / self.decay_steps
        return float(self.warmup_target * _cosine_factor(fraction, self.alpha))

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "alpha": self.alpha, "name": self.name,
                "warmup_target": self.warmup_target, "warmup_steps": self.warmup_steps}


class CosineDecayRestarts(LearningRateSchedule):
    """Cosine decay (SGDR) that restarts: period ``i`` lasts
    ``first_decay_steps * t_mul**i`` steps and starts at
    ``initial_learning_rate * m_mul**i``."""

    def __init__(self, initial_learning_rate, first_decay_steps, t_mul=2.0, m_mul=1.0,
                 alpha=0.0, name="SGDRDecay"):
        self.initial_learning_rate = initial_learning_rate
        self.first_decay_steps = first_decay_steps
        self._t_mul = t_mul
        self._m_mul = m_mul
        self.alpha = alpha
        self.name = name
        _check_positive("first_decay_steps", first_decay_steps)

    def _period(self, completed):
        """(restart index, fraction done within that period) for ``completed``
        measured in units of ``first_decay_steps``."""
        t_mul = self._t_mul
        if t_mul == 1.0:
            restart = math.floor(completed)
            return restart, completed - restart
        # Periods 0..i-1 span (1 - t_mul**i) / (1 - t_mul) units in total.
        restart = math.floor(math.log(1.0 - completed * (1.0 - t_mul)) / math.log(t_mul))
        start = (1.0 - t_mul**restart) / (1.0 - t_mul)
        return restart, (completed - start) / t_mul**restart

    def __call__(self, step):
        restart, fraction = self._period(_step(step) / self.first_decay_steps)
        cosine = 0.5 * self._m_mul**restart * (1.0 + math.cos(math.pi * fraction))
        return float(self.initial_learning_rate * ((1 - self.alpha) * cosine + self.alpha))

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "first_decay_steps": self.first_decay_steps, "t_mul": self._t_mul,
                "m_mul": self._m_mul, "alpha": self.alpha, "name": self.name}


_CLASSES = (LearningRateSchedule, ExponentialDecay, PiecewiseConstantDecay, PolynomialDecay,
            InverseTimeDecay, CosineDecay, CosineDecayRestarts)
register_builtin("keras.optimizers.schedules", *_CLASSES)


def serialize(learning_rate_schedule):
    return serialize_keras_object(learning_rate_schedule)


def deserialize(config, custom_objects=None):
    return deserialize_keras_object(config, module_objects={c.__name__: c for c in _CLASSES},
                                    custom_objects=custom_objects, kind="learning rate schedule")
