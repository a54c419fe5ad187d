"""Conversion helpers and the shared plumbing of every differentiable op."""
from __future__ import annotations

import functools

import numpy as np

from brickwork import autodiff
from brickwork import backend as _backend
from brickwork.autodiff import Tensor, needs_grad, record
from brickwork.dtypes import standardize_dtype
from brickwork.symbolic import KerasTensor, symbolic_call
from brickwork.variables import AUTOCAST_STATE, Variable


_CONTAINERS = (list, tuple)
# Argument types known to hold no KerasTensor; grows with the array types met
# (CuPy arrays, Variables, ...), so the check is one set lookup per argument.
_PLAIN_TYPES = {np.ndarray, float, int, bool, type(None), str, slice, Tensor, np.float32,
                np.float64, np.int32, np.int64, type(Ellipsis)}


# Values that are host data as they stand: no backend owns them.
_HOST_DATA = {np.ndarray, float, int, bool, complex, list, tuple,
              *(t for t in np.sctypeDict.values() if isinstance(t, type))}


def _holds_keras_tensor(values):
    for value in values:
        if type(value) in _PLAIN_TYPES:
            continue
        if isinstance(value, KerasTensor):
            return True
        if isinstance(value, _CONTAINERS):
            if _holds_keras_tensor(value):
                return True
        elif isinstance(value, dict):
            if _holds_keras_tensor(value.values()):
                return True
        elif type(value).__module__ != "builtins" or type(value) in (float, int, bool):
            _PLAIN_TYPES.add(type(value))
    return False


def symbolic_op(function):
    """Let ``function`` take KerasTensors: given one (anywhere in its
    arguments, lists included) it returns KerasTensors and records a node of
    the functional graph. On arrays it costs one wrapper call and a set
    lookup per argument."""
    plain = _PLAIN_TYPES

    @functools.wraps(function)
    def op(*args, **kwargs):
        for value in args:
            if type(value) not in plain:
                if _holds_keras_tensor(args) or (kwargs and _holds_keras_tensor(kwargs.values())):
                    return symbolic_call(function, args, kwargs)
                break
        else:
            if kwargs and _holds_keras_tensor(kwargs.values()):
                return symbolic_call(function, args, kwargs)
        return function(*args, **kwargs)
    op._symbolic_wrapped = True
    return op


def backend_xp():
    """The array namespace of the backend in use (numpy, cupy, ...)."""
    return _backend.get_backend().xp


def array_adapters():
    """The array adapters of the backend in use: host transfer and unbuffered
    scatter updates (``brickwork.array_namespace.ArrayAdapters``)."""
    return _backend.get_backend().adapters


def to_host(array):
    """``array`` (a backend array of any loaded backend, or host data) as a
    NumPy array, through the adapters of the backend that owns it."""
    return array if type(array) is np.ndarray else _backend.to_host(array)


def kernels():
    """The kernel table of the backend in use."""
    return _backend.get_backend().kernels


def data_of(value):
    """The backend array behind a Tensor or Variable; other values unchanged."""
    if type(value) is Tensor:
        return value.data
    if isinstance(value, Variable):
        scope = getattr(AUTOCAST_STATE, "scope", None)
        return value._value if scope is None else scope.read(value)
    return value


def convert_to_tensor(x, dtype=None, sparse=None, ragged=None):
    """A backend array from an array-like (NumPy, CuPy, list, scalar).

    Tensors and Variables keep their identity on the tape when no dtype
    change is asked for.
    """
    if isinstance(x, (Tensor, Variable)):
        return x if dtype is None or standardize_dtype(dtype) == x.dtype else cast(x, dtype)
    xp = backend_xp()
    if dtype is not None:
        dtype = standardize_dtype(dtype)
    if type(x) not in _HOST_DATA and not isinstance(x, xp.ndarray) and _backend.owner_of(x):
        x = _backend.to_host(x)  # another backend's array (CuPy's reaching NumPy)
    return xp.asarray(x, dtype=dtype)


def convert_to_numpy(x):
    return to_host(data_of(x))


def cast(x, dtype):
    dtype = standardize_dtype(dtype)
    if type(x) is Tensor and x.dtype == dtype:
        return x  # as Keras does: no copy, and the tape keeps its identity
    data = data_of(x)
    if data is x and getattr(x, "dtype", None) == dtype:
        return x  # a backend array of that dtype already
    out = data.astype(dtype) if hasattr(data, "astype") else backend_xp().asarray(data, dtype=dtype)
    if not needs_grad(x) or np.dtype(dtype).kind != "f":
        return out
    source_dtype = data.dtype
    return record(out, (x,), lambda g: (g.astype(source_dtype),))


def stop_gradient(x):
    return data_of(x)


def shape(x):
    return tuple(data_of(x).shape)


def dtype_of(x):
    return standardize_dtype(data_of(x).dtype)


def unbroadcast(grad, shape):
    """Sum ``grad`` down to ``shape``, undoing NumPy broadcasting."""
    if grad.shape == tuple(shape):
        return grad
    extra = grad.ndim - len(shape)
    if extra:
        grad = grad.sum(axis=tuple(range(extra)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if axes:
        grad = grad.sum(axis=axes, keepdims=True)
    return grad


def shape_of_data(value):
    return getattr(value, "shape", ())


__all__ = ["backend_xp", "array_adapters", "to_host", "kernels", "data_of", "convert_to_tensor",
           "convert_to_numpy", "cast", "stop_gradient", "shape", "dtype_of", "unbroadcast", "needs_grad",
           "record", "autodiff"]
