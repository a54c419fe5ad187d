"""Weight regularizers: penalties added to the model's loss."""
from __future__ import annotations

from brickwork import ops
from brickwork.saving.serialization import (deserialize_keras_object, register_builtin,
                                            serialize_keras_object)


class Regularizer:
    def __call__(self, x):
        return 0.0

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def _check_factor(name, value):
    if value < 0:
        raise ValueError(f"{name} regularization factor must be non-negative, got {value}")
    return float(value)


class L1L2(Regularizer):
    def __init__(self, l1=0.0, l2=0.0):
        self.l1, self.l2 = _check_factor("l1", l1), _check_factor("l2", l2)

    def __call__(self, x):
        penalty = 0.0
        if self.l1:
            penalty = ops.add(penalty, ops.multiply(ops.sum(ops.abs(x)), self.l1))
        if self.l2:
            penalty = ops.add(penalty, ops.multiply(ops.sum(ops.square(x)), self.l2))
        return penalty

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}


class L1(Regularizer):
    def __init__(self, l1=0.01):
        self.l1 = _check_factor("l1", l1)

    def __call__(self, x):
        return ops.multiply(ops.sum(ops.abs(x)), self.l1)

    def get_config(self):
        return {"l1": self.l1}


class L2(Regularizer):
    def __init__(self, l2=0.01):
        self.l2 = _check_factor("l2", l2)

    def __call__(self, x):
        return ops.multiply(ops.sum(ops.square(x)), self.l2)

    def get_config(self):
        return {"l2": self.l2}


class OrthogonalRegularizer(Regularizer):
    """Penalizes non-orthogonal rows (or columns) of a 2D weight."""

    def __init__(self, factor=0.01, mode="rows"):
        if mode not in ("rows", "columns"):
            raise ValueError(f"OrthogonalRegularizer: `mode` must be 'rows' or 'columns', got {mode!r}")
        self.factor, self.mode = _check_factor("factor", factor), mode

    def __call__(self, x):
        if len(ops.shape(x)) != 2:
            raise ValueError(f"OrthogonalRegularizer needs a 2D weight, got shape {ops.shape(x)}")
        if self.mode == "columns":
            x = ops.transpose(x)
        norms = ops.sqrt(ops.add(ops.sum(ops.square(x), axis=1, keepdims=True), 1e-12))
        unit = ops.divide(x, norms)
        products = ops.matmul(unit, ops.transpose(unit))
        size = ops.shape(products)[0]
        off_diagonal = ops.multiply(products, 1.0 - ops.backend_xp().eye(size, dtype=products.dtype))
        return ops.multiply(ops.divide(ops.sum(ops.abs(off_diagonal)), size * (size - 1) / 2), self.factor)

    def get_config(self):
        return {"factor": self.factor, "mode": self.mode}


_CLASSES = (Regularizer, L1L2, L1, L2, OrthogonalRegularizer)
_ALIASES = {"l1": L1, "l2": L2, "l1_l2": L1L2, "orthogonal_regularizer": OrthogonalRegularizer}
register_builtin("keras.regularizers", *_CLASSES, aliases=_ALIASES)


def serialize(regularizer):
    return serialize_keras_object(regularizer)


def get(identifier):
    if identifier is None:
        return None
    if isinstance(identifier, (str, dict)):
        found = deserialize_keras_object(identifier, module_objects={**_ALIASES, **{
            c.__name__: c for c in _CLASSES}}, kind="regularizer")
        return found() if isinstance(found, type) else found
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret regularizer identifier: {identifier!r}")
