"""The Metric base class: streaming state in non-trainable Variables.

Metrics never record on a GradientTape: every update starts from the plain
backend arrays behind its inputs (``detach``), so nothing it computes is
tracked, whatever the caller passes (Tensors, trainable Variables).
"""
from __future__ import annotations

import numpy as np

from brickwork import dtype_policies, initializers, ops
from brickwork.autodiff import stop_recording
from brickwork.dtypes import floatx, standardize_dtype
from brickwork.naming import auto_name, to_snake_case
from brickwork.variables import Variable


def detach(x, dtype=None):
    """The backend array behind ``x`` (a Tensor, Variable, NumPy/CuPy array,
    list or number), optionally cast; never tracked by a tape."""
    if x is None:
        return None
    return ops.convert_to_tensor(ops.stop_gradient(x), dtype=dtype)


def float_input(x):
    """``x`` detached, as a float array: float arrays keep their dtype,
    anything else becomes ``floatx()``."""
    data = detach(x)
    return data if np.dtype(data.dtype).kind == "f" else data.astype(floatx())


def divide_no_nan(a, b):
    """``a / b`` where ``b != 0``, else 0, without a division warning."""
    xp = ops.backend_xp()
    a, b = xp.asarray(a), xp.asarray(b)
    if xp is np and a.ndim == 0 and b.ndim == 0 and b != 0:
        return np.asarray(a / b)  # a running mean's result: nothing to mask
    zero = b == 0
    return xp.where(zero, xp.zeros((), dtype=a.dtype), a / xp.where(zero, xp.ones((), b.dtype), b))


class Metric:
    """Base class of metrics, as ``keras.metrics.Metric``.

    Subclasses create their state with ``add_variable`` in ``__init__`` and
    implement ``update_state(...)`` and ``result()``; ``reset_state()`` zeroes
    every variable by default.
    """

    _tracked_as_metric = True  # a Layer attribute holding one is listed in Model.metrics

    def __init__(self, dtype=None, name=None):
        self._metrics = []
        self._variables = []
        self.name = name or auto_name(to_snake_case(type(self).__name__))
        self._dtype_policy = dtype_policies.get(dtype or floatx())
        self._dtype = self._dtype_policy.compute_dtype

    def __setattr__(self, name, value):
        if isinstance(value, Metric) and "_metrics" in self.__dict__ and \
                all(value is not m for m in self._metrics):
            self._metrics.append(value)
        object.__setattr__(self, name, value)

    @property
    def dtype(self):
        return self._dtype

    def add_variable(self, shape, initializer, dtype=None, aggregation="sum", name=None):
        """A non-trainable state Variable owned by this metric."""
        if "_variables" not in self.__dict__:
            raise RuntimeError("You forgot to call `super().__init__()` in the `__init__()` "
                               "method. Go add it!")
        initializer = initializers.get(initializer or "zeros")
        variable = Variable(initializer, shape=tuple(shape),
                            dtype=standardize_dtype(dtype or floatx()), trainable=False,
                            name=name, aggregation=aggregation)
        variable.path = f"{self.name}/{variable.name}"
        self._variables.append(variable)
        return variable

    def add_weight(self, shape=(), initializer=None, dtype=None, name=None):
        return self.add_variable(shape=shape, initializer=initializer, dtype=dtype, name=name)

    @property
    def variables(self):
        variables = list(self._variables)
        for metric in self._metrics:
            variables.extend(metric.variables)
        return variables

    def reset_state(self):
        for variable in self.variables:
            variable.value.fill(0)  # in place, as assign(zeros) is, without the zeros

    def update_state(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} must implement update_state()")

    def result(self):
        raise NotImplementedError(f"{type(self).__name__} must implement result()")

    def __call__(self, *args, **kwargs):
        """Update the state with one batch and return the running result."""
        with stop_recording():
            self.update_state(*args, **kwargs)
            return self.result()

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}>"

    __str__ = __repr__
