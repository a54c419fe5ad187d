"""Weight regularizers: penalties added to the model's loss, as Keras 3 defines them."""
from __future__ import annotations

import math

import numpy as np

from brickwork import ops
from brickwork.naming import to_snake_case
from brickwork.saving.serialization import (deserialize_keras_object, get_object, register_builtin,
                                            serialize_keras_object)
from brickwork.backend import epsilon


def validate_float_arg(value, name):
    """``value`` as a float; a ValueError unless it is a finite non-negative number."""
    if (isinstance(value, bool) or not isinstance(value, (float, int))
            or math.isinf(value) or math.isnan(value) or value < 0):
        raise ValueError(f"Invalid value for argument {name}: expected a non-negative float. "
                         f"Received: {name}={value}")
    return float(value)


def _float32(value):
    return float(np.float32(value))


class Regularizer:
    """Base class: ``regularizer(weight)`` is a scalar penalty."""

    def __call__(self, x):
        return 0.0

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class L1L2(Regularizer):
    """``l1 * sum(|x|) + l2 * sum(x^2)``."""

    def __init__(self, l1=0.0, l2=0.0):
        self.l1 = validate_float_arg(0.0 if l1 is None else l1, name="l1")
        self.l2 = validate_float_arg(0.0 if l2 is None else l2, name="l2")

    def __call__(self, x):
        penalty = ops.zeros((), dtype=ops.dtype_of(x))
        if self.l1:
            penalty = ops.add(penalty, ops.multiply(ops.sum(ops.abs(x)), self.l1))
        if self.l2:
            penalty = ops.add(penalty, ops.multiply(ops.sum(ops.square(x)), self.l2))
        return penalty

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}


class L1(Regularizer):
    """``l1 * sum(|x|)``."""

    def __init__(self, l1=0.01):
        # Keras keeps this factor as a float32 tensor: its config shows the rounding.
        self.l1 = _float32(validate_float_arg(0.01 if l1 is None else l1, name="l1"))

    def __call__(self, x):
        return ops.multiply(ops.sum(ops.abs(x)), self.l1)

    def get_config(self):
        return {"l1": self.l1}


class L2(Regularizer):
    """``l2 * sum(x^2)``."""

    def __init__(self, l2=0.01):
        self.l2 = validate_float_arg(0.01 if l2 is None else l2, name="l2")

    def __call__(self, x):
        return ops.multiply(ops.sum(ops.square(x)), self.l2)

    def get_config(self):
        return {"l2": self.l2}


def _unit_rows(x):
    """Each row of ``x`` divided by its L2 norm (floored at 1e-7, as Keras' normalize)."""
    norms = ops.sqrt(ops.sum(ops.square(x), axis=1, keepdims=True))
    return ops.divide(x, ops.maximum(norms, epsilon()))


class OrthogonalRegularizer(Regularizer):
    """Penalizes rows (``mode="rows"``) or columns of a 2D weight that are not
    orthogonal: ``factor * 0.5 * sum(|off-diagonal of U U^T|) / (n (n - 1) / 2)``
    with ``U`` the unit-normalized rows (or columns) and ``n`` their count."""

    def __init__(self, factor=0.01, mode="rows"):
        self.factor = _float32(validate_float_arg(factor, name="factor"))  # as Keras keeps it
        if mode not in ("rows", "columns"):
            raise ValueError('Invalid value for argument `mode`. Expected one of {"rows", '
                             f'"columns"}}. Received: mode={mode}')
        self.mode = mode

    def __call__(self, inputs):
        shape = ops.shape(inputs)
        if len(shape) != 2:
            raise ValueError(f"Inputs to OrthogonalRegularizer must have rank 2. Received: "
                             f"inputs.shape={shape}")
        vectors = _unit_rows(inputs if self.mode == "rows" else ops.transpose(inputs))
        products = ops.matmul(vectors, ops.transpose(vectors))
        size = ops.shape(products)[0]
        dtype = ops.dtype_of(products)
        off_diagonal = ops.multiply(products, 1.0 - ops.backend_xp().eye(size, dtype=dtype))
        pairs = size * (size - 1.0) / 2.0
        return ops.multiply(ops.sum(ops.abs(off_diagonal)), self.factor * 0.5 / pairs)

    def get_config(self):
        return {"factor": self.factor, "mode": self.mode}


_CLASSES = (Regularizer, L1, L2, L1L2, OrthogonalRegularizer)
#: Keras' ``keras.regularizers.ALL_OBJECTS_DICT`` (class names and snake_case
#: forms), plus the Keras 2 alias ``l1_l2``.
ALL_OBJECTS_DICT = {cls.__name__: cls for cls in _CLASSES}
ALL_OBJECTS_DICT.update({to_snake_case(cls.__name__): cls for cls in _CLASSES})
ALL_OBJECTS_DICT["l1_l2"] = L1L2
register_builtin("keras.regularizers", *_CLASSES,
                 aliases={k: v for k, v in ALL_OBJECTS_DICT.items() if k != v.__name__})

# The function-style names Keras exports for the same classes.
l1 = L1
l2 = L2
l1_l2 = L1L2
orthogonal_regularizer = OrthogonalRegularizer


def serialize(regularizer):
    return serialize_keras_object(regularizer)


def deserialize(config, custom_objects=None):
    return deserialize_keras_object(config, module_objects=ALL_OBJECTS_DICT,
                                    custom_objects=custom_objects, kind="regularizer")


def get(identifier):
    """A regularizer from a name, a config dict, an instance or a callable."""
    return get_object(identifier, deserialize, "regularizer")
