"""Differentiable shape manipulation and array creation."""
from __future__ import annotations

import numpy as np

from brickwork.dtypes import standardize_dtype
from brickwork.ops.core import backend_xp, data_of, kernels, needs_grad, record, unbroadcast


def reshape(a, new_shape):
    x = data_of(a)
    out = x.reshape(tuple(new_shape))
    if not needs_grad(a):
        return out
    return record(out, (a,), lambda g: (g.reshape(x.shape),))


def transpose(a, axes=None):
    x = data_of(a)
    out = backend_xp().transpose(x, axes)
    if not needs_grad(a):
        return out
    inverse = None if axes is None else tuple(np.argsort([a % x.ndim for a in axes]))
    return record(out, (a,), lambda g: (backend_xp().transpose(g, inverse),))


def expand_dims(a, axis):
    x = data_of(a)
    out = backend_xp().expand_dims(x, axis)
    if not needs_grad(a):
        return out
    return record(out, (a,), lambda g: (g.reshape(x.shape),))


def squeeze(a, axis=None):
    x = data_of(a)
    out = backend_xp().squeeze(x, axis=axis)
    if not needs_grad(a):
        return out
    return record(out, (a,), lambda g: (g.reshape(x.shape),))


def broadcast_to(a, shape):
    x = data_of(a)
    out = backend_xp().broadcast_to(x, tuple(shape))
    if not needs_grad(a):
        return out
    return record(out, (a,), lambda g: (unbroadcast(g, x.shape),))


def concatenate(values, axis=0):
    datas = [data_of(v) for v in values]
    out = backend_xp().concatenate(datas, axis=axis)
    if not needs_grad(*values):
        return out
    bounds = np.cumsum([d.shape[axis] for d in datas])[:-1]

    def vjp(g):
        return tuple(backend_xp().split(g, [int(b) for b in bounds], axis=axis))
    return record(out, tuple(values), vjp)


def stack(values, axis=0):
    return concatenate([expand_dims(v, axis) for v in values], axis=axis)


def getitem(a, key):
    x = data_of(a)
    key = _plain_key(key)
    out = x[key]
    if not needs_grad(a):
        return out

    def vjp(g):
        grad = backend_xp().zeros(x.shape, dtype=g.dtype)
        if _is_fancy(key):
            backend_xp().add.at(grad, key, g)  # repeated indices accumulate
        else:
            grad[key] = g
        return (grad,)
    return record(out, (a,), vjp)


def _plain_key(key):
    """Index parts as backend arrays (lists become integer or boolean arrays)."""
    def plain(part):
        part = data_of(part)
        return backend_xp().asarray(part) if isinstance(part, list) else part
    if isinstance(key, tuple):
        return tuple(plain(k) for k in key)
    return plain(key)


def _is_fancy(key):
    parts = key if isinstance(key, tuple) else (key,)
    return any(getattr(p, "ndim", 0) > 0 for p in parts)


def take(a, indices, axis=None):
    xp = backend_xp()
    x, idx = data_of(a), xp.asarray(data_of(indices))
    if axis is not None:
        axis = axis % x.ndim
    if axis == 0:
        return _take_rows(a, x, idx)
    out = xp.take(x, idx, axis=axis)
    if not needs_grad(a):
        return out

    def vjp(g):
        if axis is None:
            grad = xp.zeros(x.size, dtype=g.dtype)
            xp.add.at(grad, idx.reshape(-1), g.reshape(-1))
            return (grad.reshape(x.shape),)
        moved = xp.moveaxis(xp.zeros(x.shape, dtype=g.dtype), axis, 0)
        g_moved = xp.moveaxis(g, tuple(range(axis, axis + idx.ndim)), tuple(range(idx.ndim)))
        xp.add.at(moved, idx.reshape(-1), g_moved.reshape(-1, *moved.shape[1:]))
        return (xp.moveaxis(moved, 0, axis),)
    return record(out, (a,), vjp)


def _take_rows(a, x, idx):
    """``take`` along axis 0 (Embedding lookups) through the row-gather
    kernels, whose gradient is a fast scatter-add."""
    k = kernels()
    out = k.take_rows_forward(x, idx)
    if not needs_grad(a):
        return out
    return record(out, (a,), lambda g: (k.take_rows_backward(g, idx, x.shape[0]),))


# --- creation (never differentiable) -------------------------------------


def zeros(shape, dtype="float32"):
    return backend_xp().zeros(tuple(shape), dtype=standardize_dtype(dtype))


def ones(shape, dtype="float32"):
    return backend_xp().ones(tuple(shape), dtype=standardize_dtype(dtype))


def full(shape, fill_value, dtype="float32"):
    return backend_xp().full(tuple(shape), fill_value, dtype=standardize_dtype(dtype))


def zeros_like(a, dtype=None):
    x = data_of(a)
    return backend_xp().zeros(x.shape, dtype=standardize_dtype(dtype) if dtype else x.dtype)


def ones_like(a, dtype=None):
    x = data_of(a)
    return backend_xp().ones(x.shape, dtype=standardize_dtype(dtype) if dtype else x.dtype)


def arange(start, stop=None, step=1, dtype="int32"):
    return backend_xp().arange(start, stop, step, dtype=standardize_dtype(dtype))


def one_hot(indices, num_classes, dtype="float32"):
    xp = backend_xp()
    idx = data_of(indices).astype("int64")
    return (idx[..., None] == xp.arange(num_classes)).astype(standardize_dtype(dtype))


__all__ = ["reshape", "transpose", "expand_dims", "squeeze", "broadcast_to", "concatenate",
           "stack", "getitem", "take", "zeros", "ones", "full", "zeros_like", "ones_like",
           "arange", "one_hot"]
