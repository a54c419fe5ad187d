"""Variables: named, mutable backend arrays owned by layers and optimizers."""
from __future__ import annotations

import contextlib
import threading

import numpy as np

from brickwork import backend as _backend
from brickwork.autodiff import Tensor, TensorOperators
from brickwork.dtypes import standardize_dtype


class Variable(TensorOperators):
    """A mutable array with a name, as ``keras.Variable``.

    The value lives on the backend selected when the variable is created (or
    last moved); ``assign`` updates it in place so that references held by
    optimizers stay valid.
    """

    __slots__ = ("_value", "name", "path", "trainable", "regularizer", "constraint",
                 "autocast", "_watch_count", "_shape", "_dtype", "__weakref__")

    def __init__(self, initializer, shape=None, dtype=None, trainable=True, autocast=True,
                 aggregation="none", synchronization="auto", name=None, layout=None, *,
                 regularizer=None, constraint=None):
        # Keras's parameters in Keras's order; `layout` (a JAX sharding) has no
        # meaning on one NumPy or CuPy device. regularizer and constraint are
        # brickwork's (add_weight passes them), keyword-only after Keras's.
        if layout is not None:
            raise ValueError(f"Variable {name!r}: `layout` (a distribution sharding) is not "
                             f"supported by brickwork; leave it None.")
        self.name = name or "variable"
        self.path = self.name
        self.trainable = bool(trainable)
        self.regularizer = regularizer
        self.constraint = constraint
        self.autocast = bool(autocast)
        self._watch_count = 0
        if callable(initializer):
            if shape is None:
                raise ValueError(f"Variable {self.name!r}: a callable initializer needs a `shape`")
            value = initializer(tuple(shape), dtype=standardize_dtype(dtype))
        else:
            value = initializer
        array = _to_host_array(value, dtype)
        if shape is not None and tuple(array.shape) != tuple(shape):
            raise ValueError(f"Variable {self.name!r}: initial value has shape {array.shape}, "
                             f"expected {tuple(shape)}")
        self._shape = tuple(array.shape)
        self._dtype = array.dtype.name
        self._value = _backend.get_backend().xp.asarray(array)

    @property
    def _tracked_by_tape(self):
        return self.trainable or self._watch_count > 0

    @property
    def value(self):
        """The backend array (shared, not a copy)."""
        return self._value

    @property
    def shape(self):
        return self._shape

    @property
    def dtype(self):
        return self._dtype

    @property
    def ndim(self):
        return len(self._shape)

    @property
    def size(self):
        return int(np.prod(self._shape, dtype=np.int64))

    def assign(self, value):
        """Overwrite the value in place; the shape must not change."""
        data = _plain(value)
        shape = getattr(data, "shape", None)  # np.shape only for host data (lists, scalars)
        shape = tuple(shape) if shape is not None else np.shape(data)
        if shape != self._shape:
            raise ValueError(f"Variable {self.path!r}: cannot assign a value of shape "
                             f"{shape}, expected {self._shape}")
        xp = _backend.get_backend().xp
        self._value[...] = xp.asarray(data, dtype=self._value.dtype)
        return self

    def assign_add(self, value):
        return self.assign(self._value + _plain(value))

    def assign_sub(self, value):
        return self.assign(self._value - _plain(value))

    def numpy(self):
        value = self._value
        host = _backend.to_host(value)
        return host.copy() if host is value else host

    def _value_on(self, xp):
        """A copy of the value in the array namespace ``xp`` (C order, same
        dtype), through the host: a backend switch copies with it first and
        swaps afterwards, so a failed copy changes nothing."""
        return xp.asarray(np.asarray(self.numpy(), order="C"))

    def __repr__(self):
        return f"<Variable path={self.path}, shape={self._shape}, dtype={self._dtype}>"


def _plain(value):
    """The array behind a Tensor or Variable; anything else unchanged."""
    if type(value) is Tensor:
        return value.data
    if isinstance(value, Variable):
        return value._value
    return value


def _to_host_array(value, dtype):
    """A NumPy array of ``dtype`` from any array-like (CuPy arrays included)."""
    value = _plain(value)
    if type(value) is not np.ndarray and _backend.owner_of(value) is not None:
        value = _backend.to_host(value)
    if dtype is None:
        dtype = getattr(value, "dtype", None)
        if dtype is None:
            dtype = "float32"
    # C order: kernels reshape weights as views and hand them to BLAS.
    return np.array(value, dtype=standardize_dtype(dtype), order="C")


# ---------------------------------------------------------------------------
# Autocast (mixed precision)
# ---------------------------------------------------------------------------

#: ``scope``: the innermost :class:`AutocastScope`, or absent/None.
AUTOCAST_STATE = threading.local()


class AutocastScope:
    """Inside it, float Variables with ``autocast=True`` are read in ``dtype``
    (Keras' ``AutocastScope``): a layer with a ``mixed_float16`` policy
    computes in float16 on its float32 weights. Each variable is cast once
    per scope; gradients reach it in its own dtype (``GradientTape``)."""

    def __init__(self, dtype):
        self.dtype = np.dtype(dtype)
        self._casts = {}

    def read(self, variable):
        value = variable._value
        if not variable.autocast or value.dtype.kind != "f" or value.dtype == self.dtype:
            return value
        cast = self._casts.get(id(variable))
        if cast is None:
            cast = self._casts[id(variable)] = value.astype(self.dtype)
        return cast


@contextlib.contextmanager
def autocast_scope(dtype):
    previous = getattr(AUTOCAST_STATE, "scope", None)
    AUTOCAST_STATE.scope = AutocastScope(dtype)
    try:
        yield AUTOCAST_STATE.scope
    finally:
        AUTOCAST_STATE.scope = previous
