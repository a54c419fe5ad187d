"""Weight constraints, applied by the optimizer after each update, as Keras 3 defines them."""
from __future__ import annotations

from brickwork import ops
from brickwork.naming import to_snake_case
from brickwork.saving.serialization import (deserialize_keras_object, get_object, register_builtin,
                                            serialize_keras_object)
from brickwork.backend import epsilon


class Constraint:
    """Base class: ``constraint(weight)`` returns the projected weight."""

    def __call__(self, w):
        return w

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def _norms(w, axis):
    return ops.sqrt(ops.sum(ops.square(w), axis=axis, keepdims=True))


def _rescaled(w, norms, desired):
    return ops.multiply(w, ops.divide(desired, ops.add(norms, epsilon())))


class MaxNorm(Constraint):
    """Scale each slice along ``axis`` whose L2 norm exceeds ``max_value`` down to it."""

    def __init__(self, max_value=2, axis=0):
        self.max_value, self.axis = max_value, axis

    def __call__(self, w):
        norms = _norms(w, self.axis)
        return _rescaled(w, norms, ops.clip(norms, 0, self.max_value))

    def get_config(self):
        return {"max_value": self.max_value, "axis": self.axis}


class NonNeg(Constraint):
    """``max(w, 0)``."""

    def __call__(self, w):
        return ops.maximum(w, 0.0)


class UnitNorm(Constraint):
    """Divide each slice along ``axis`` by its L2 norm."""

    def __init__(self, axis=0):
        self.axis = axis

    def __call__(self, w):
        return ops.divide(w, ops.add(_norms(w, self.axis), epsilon()))

    def get_config(self):
        return {"axis": self.axis}


class MinMaxNorm(Constraint):
    """Move each slice's L2 norm toward ``[min_value, max_value]`` by ``rate``:
    ``desired = rate * clip(norm, min, max) + (1 - rate) * norm``."""

    def __init__(self, min_value=0.0, max_value=1.0, rate=1.0, axis=0):
        self.min_value, self.max_value, self.rate, self.axis = min_value, max_value, rate, axis

    def __call__(self, w):
        norms = _norms(w, self.axis)
        clipped = ops.clip(norms, self.min_value, self.max_value)
        desired = ops.add(ops.multiply(clipped, self.rate), ops.multiply(norms, 1 - self.rate))
        return _rescaled(w, norms, desired)

    def get_config(self):
        return {"min_value": self.min_value, "max_value": self.max_value, "rate": self.rate,
                "axis": self.axis}


_CLASSES = (Constraint, MaxNorm, NonNeg, UnitNorm, MinMaxNorm)
#: Keras' ``keras.constraints.ALL_OBJECTS_DICT``: class names and snake_case forms.
ALL_OBJECTS_DICT = {cls.__name__: cls for cls in _CLASSES}
ALL_OBJECTS_DICT.update({to_snake_case(cls.__name__): cls for cls in _CLASSES})
register_builtin("keras.constraints", *_CLASSES,
                 aliases={k: v for k, v in ALL_OBJECTS_DICT.items() if k != v.__name__})

# The function-style names Keras exports for the same classes.
max_norm = MaxNorm
min_max_norm = MinMaxNorm
non_neg = NonNeg
unit_norm = UnitNorm


def serialize(constraint):
    return serialize_keras_object(constraint)


def deserialize(config, custom_objects=None):
    return deserialize_keras_object(config, module_objects=ALL_OBJECTS_DICT,
                                    custom_objects=custom_objects, kind="constraint")


def get(identifier):
    """A constraint from a name, a config dict, an instance or a callable."""
    return get_object(identifier, deserialize, "constraint")
