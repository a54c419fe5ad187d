"""Differentiable array operations built on the backend's array namespace.

Each op computes on plain backend arrays and records a node only when a
tape is recording and an input is tracked (see ``brickwork.autodiff``).
"""
from __future__ import annotations


from brickwork.autodiff import is_tracked
from brickwork.ops.core import (backend_xp, data_of, needs_grad, record, shape_of_data,
                                unbroadcast)

# --- elementwise, two inputs ---------------------------------------------


def add(a, b):
    x, y = data_of(a), data_of(b)
    out = x + y
    if not needs_grad(a, b):
        return out
    return record(out, (a, b), lambda g: (unbroadcast(g, shape_of_data(x)),
                                          unbroadcast(g, shape_of_data(y))))


def subtract(a, b):
    x, y = data_of(a), data_of(b)
    out = x - y
    if not needs_grad(a, b):
        return out
    return record(out, (a, b), lambda g: (unbroadcast(g, shape_of_data(x)),
                                          unbroadcast(-g, shape_of_data(y))))


def multiply(a, b):
    x, y = data_of(a), data_of(b)
    out = x * y
    if not needs_grad(a, b):
        return out
    return record(out, (a, b), lambda g: (unbroadcast(g * y, shape_of_data(x)),
                                          unbroadcast(g * x, shape_of_data(y))))


def divide(a, b):
    x, y = data_of(a), data_of(b)
    out = x / y
    if not needs_grad(a, b):
        return out
    return record(out, (a, b), lambda g: (unbroadcast(g / y, shape_of_data(x)),
                                          unbroadcast(-g * out / y, shape_of_data(y))))


def power(a, b):
    xp = backend_xp()
    x, y = data_of(a), data_of(b)
    out = x ** y
    if not needs_grad(a, b):
        return out

    def vjp(g):
        gx = unbroadcast(g * y * x ** (y - 1), shape_of_data(x))
        gy = None
        if is_tracked(b):
            safe_log = xp.log(xp.where(x > 0, x, 1)).astype(out.dtype)
            gy = unbroadcast(g * out * safe_log, shape_of_data(y))
        return gx, gy
    return record(out, (a, b), vjp)


def maximum(a, b):
    x, y = data_of(a), data_of(b)
    out = backend_xp().maximum(x, y)
    if not needs_grad(a, b):
        return out
    pick_x = x >= y
    return record(out, (a, b), lambda g: (unbroadcast(g * pick_x, shape_of_data(x)),
                                          unbroadcast(g * ~pick_x, shape_of_data(y))))


def minimum(a, b):
    x, y = data_of(a), data_of(b)
    out = backend_xp().minimum(x, y)
    if not needs_grad(a, b):
        return out
    pick_x = x <= y
    return record(out, (a, b), lambda g: (unbroadcast(g * pick_x, shape_of_data(x)),
                                          unbroadcast(g * ~pick_x, shape_of_data(y))))


# --- elementwise, one input ----------------------------------------------


def _unary(a, forward, derivative):
    """``forward(x)``; ``derivative(x, out)`` gives d out / d x elementwise."""
    x = data_of(a)
    out = forward(x)
    if not needs_grad(a):
        return out
    return record(out, (a,), lambda g: (g * derivative(x, out),))


def negative(a):
    x = data_of(a)
    if not needs_grad(a):
        return -x
    return record(-x, (a,), lambda g: (-g,))


def abs(a):
    xp = backend_xp()
    return _unary(a, xp.abs, lambda x, out: xp.sign(x))


def square(a):
    return _unary(a, backend_xp().square, lambda x, out: 2 * x)


def sqrt(a):
    return _unary(a, backend_xp().sqrt, lambda x, out: 0.5 / out)


def exp(a):
    return _unary(a, backend_xp().exp, lambda x, out: out)


def log(a):
    return _unary(a, backend_xp().log, lambda x, out: 1 / x)


def log1p(a):
    return _unary(a, backend_xp().log1p, lambda x, out: 1 / (1 + x))


def tanh(a):
    return _unary(a, backend_xp().tanh, lambda x, out: 1 - out * out)


def sign(a):
    return backend_xp().sign(data_of(a))


def clip(a, x_min, x_max):
    xp = backend_xp()
    x = data_of(a)
    return _unary(a, lambda v: xp.clip(v, x_min, x_max),
                  lambda v, out: ((v >= x_min) & (v <= x_max)).astype(v.dtype))


def where(condition, a, b):
    xp = backend_xp()
    cond = data_of(condition)
    x, y = data_of(a), data_of(b)
    out = xp.where(cond, x, y)
    if not needs_grad(a, b):
        return out
    zero = xp.zeros((), dtype=out.dtype)
    return record(out, (a, b), lambda g: (unbroadcast(xp.where(cond, g, zero), shape_of_data(x)),
                                          unbroadcast(xp.where(cond, zero, g), shape_of_data(y))))


# --- comparisons (not differentiable) ------------------------------------


def equal(a, b): return data_of(a) == data_of(b)
def not_equal(a, b): return data_of(a) != data_of(b)
def less(a, b): return data_of(a) < data_of(b)
def less_equal(a, b): return data_of(a) <= data_of(b)
def greater(a, b): return data_of(a) > data_of(b)
def greater_equal(a, b): return data_of(a) >= data_of(b)
def logical_and(a, b): return backend_xp().logical_and(data_of(a), data_of(b))
def logical_or(a, b): return backend_xp().logical_or(data_of(a), data_of(b))
def logical_not(a): return backend_xp().logical_not(data_of(a))
def argmax(a, axis=-1): return backend_xp().argmax(data_of(a), axis=axis)
def argmin(a, axis=-1): return backend_xp().argmin(data_of(a), axis=axis)


# --- reductions ----------------------------------------------------------


def _normalize_axes(axis, ndim):
    if axis is None:
        return tuple(range(ndim))
    axes = axis if isinstance(axis, (tuple, list)) else (axis,)
    return tuple(sorted(a % ndim for a in axes))


def _expand_reduced(g, axes, keepdims):
    if keepdims:
        return g
    for axis in axes:
        g = backend_xp().expand_dims(g, axis)
    return g


def sum(a, axis=None, keepdims=False):
    x = data_of(a)
    out = x.sum(axis=axis, keepdims=keepdims)
    if not needs_grad(a):
        return out
    axes = _normalize_axes(axis, x.ndim)
    xp = backend_xp()
    return record(out, (a,), lambda g: (xp.broadcast_to(_expand_reduced(g, axes, keepdims), x.shape),))


def mean(a, axis=None, keepdims=False):
    x = data_of(a)
    out = x.mean(axis=axis, keepdims=keepdims)
    if not needs_grad(a):
        return out
    axes = _normalize_axes(axis, x.ndim)
    count = 1
    for i in axes:
        count *= x.shape[i]
    xp = backend_xp()
    return record(out, (a,), lambda g: (xp.broadcast_to(_expand_reduced(g, axes, keepdims) / count, x.shape),))


def _extremum(a, axis, keepdims, reduce):
    x = data_of(a)
    out = reduce(x, axis=axis, keepdims=keepdims)
    if not needs_grad(a):
        return out
    axes = _normalize_axes(axis, x.ndim)

    def vjp(g):
        hit = (x == _expand_reduced(out, axes, keepdims)).astype(x.dtype)
        hit /= hit.sum(axis=axes, keepdims=True)  # ties share the gradient
        return (hit * _expand_reduced(g, axes, keepdims),)
    return record(out, (a,), vjp)


def max(a, axis=None, keepdims=False):
    return _extremum(a, axis, keepdims, backend_xp().max)


def min(a, axis=None, keepdims=False):
    return _extremum(a, axis, keepdims, backend_xp().min)


def var(a, axis=None, keepdims=False):
    centered = subtract(a, mean(a, axis=axis, keepdims=True))
    return mean(square(centered), axis=axis, keepdims=keepdims)


def std(a, axis=None, keepdims=False):
    return sqrt(var(a, axis=axis, keepdims=keepdims))


# --- linear algebra ------------------------------------------------------


def matmul(a, b):
    xp = backend_xp()
    x, y = data_of(a), data_of(b)
    out = xp.matmul(x, y)
    if not needs_grad(a, b):
        return out
    want_x, want_y = is_tracked(a), is_tracked(b)

    def vjp(g):
        # Promote 1-D operands to matrices as matmul does, then undo it.
        xm = x if x.ndim > 1 else x[None, :]
        ym = y if y.ndim > 1 else y[:, None]
        gm = g
        if y.ndim == 1:
            gm = xp.expand_dims(gm, -1)
        if x.ndim == 1:
            gm = xp.expand_dims(gm, -2)
        gx = gy = None
        if want_x:
            gx = unbroadcast(xp.matmul(gm, xp.swapaxes(ym, -1, -2)), xm.shape).reshape(x.shape)
        if want_y:
            gy = unbroadcast(xp.matmul(xp.swapaxes(xm, -1, -2), gm), ym.shape).reshape(y.shape)
        return gx, gy
    return record(out, (a, b), vjp)


__all__ = [name for name in dir() if not name.startswith("_") and name not in
           ("annotations", "backend_xp", "data_of", "needs_grad", "record",
            "shape_of_data", "unbroadcast", "is_tracked")]
