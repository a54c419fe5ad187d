"""Max and average pooling, N-d, channels last.

Max and sum are separable, so a window reduces one spatial axis at a time,
each as a few elementwise passes over strided views of that axis (``pool``
passes over data that shrinks by ``stride`` per axis); with non-overlapping
windows these views are exactly a reshape of the input. With compiled loops
on, the 1-D and 2-D max-pooling gradient reads each window once instead
(``compiled/pooling.py``). The forward stays in NumPy: a compiled forward
measured as fast alone and 2-4% slower inside the seed CNN's train step.
"""
from __future__ import annotations

import math

import numpy as np

from brickwork.plugin import hookimpl

from .. import compiled
from ._conv_utils import output_shape, pad, tap_slices

BRICKWORK_BACKEND = "numpy"


def _along(axis, ndim, index):
    key = [slice(None)] * ndim
    key[axis] = index
    return tuple(key)


def _reduce_axis(x, axis, pool, stride, out_len, ufunc):
    """``ufunc`` (maximum or add) over windows of ``pool`` cells along ``axis``."""
    taps = [x[_along(axis, x.ndim, slice(j, j + (out_len - 1) * stride + 1, stride))]
            for j in range(pool)]
    if pool == 1:
        return taps[0].copy()  # never hand back the caller's own array
    y = ufunc(taps[0], taps[1])
    for tap in taps[2:]:
        ufunc(y, tap, out=y)
    return y


def _pooled(xp, pool_size, strides, out, ufunc):
    y = xp
    for axis, (p, s, o) in enumerate(zip(pool_size, strides, out), start=1):
        y = _reduce_axis(y, axis, p, s, o, ufunc)
    return y


def _tiles_exactly(shape, pool_size, strides, out):
    return all(p == s and o * p == n for n, p, s, o in zip(shape, pool_size, strides, out))


def _window_counts(spatial, pool_size, strides, padding, out, dtype):
    """Number of real (unpadded) cells in every window, broadcastable to
    ``(batch, *out, channels)``; None when every window is full."""
    if all(lo == 0 and hi == 0 for lo, hi in padding):
        return None
    counts = np.ones((1,) + tuple(out) + (1,), dtype=dtype)
    for axis, (n, p, s, (lo, _), o) in enumerate(zip(spatial, pool_size, strides, padding, out)):
        start = np.arange(o) * s - lo
        per_axis = np.minimum(start + p, n) - np.maximum(start, 0)
        shape = [1] * counts.ndim
        shape[axis + 1] = o
        counts = counts * per_axis.reshape(shape).astype(dtype)
    return counts


def _ones(r):
    return (1,) * r


def _compiled_max_pool(pool_size, x):
    """The compiled max-pooling gradient when it serves ``pool_size`` and
    ``x``'s dtype, else None."""
    loops = compiled.module("pooling", x)
    return loops if loops is not None and loops.applies(pool_size) else None


@hookimpl
def max_pool_forward(x, pool_size, strides, padding):
    out = output_shape(x.shape[1:-1], pool_size, strides, _ones(len(pool_size)), padding)
    return _pooled(pad(x, padding, value=-np.inf), pool_size, strides, out, np.maximum)


def _tiled_max_pool_backward(dy, xp, y, pool_size):
    # Non-overlapping windows that tile the input: a reshape makes every
    # window explicit, so the comparison and the product are contiguous passes
    # and only the first-maximum bookkeeping works per tap, on booleans.
    r = len(pool_size)
    batch, out, channels = y.shape[0], y.shape[1:-1], y.shape[-1]
    split = (batch,) + tuple(v for o, p in zip(out, pool_size) for v in (o, p)) + (channels,)
    expand = (slice(None),) + (slice(None), None) * r + (slice(None),)
    hit = xp.reshape(split) == y[expand]
    taken = np.zeros(y.shape, dtype=bool)
    taps = list(np.ndindex(*pool_size))
    for index, tap in enumerate(taps):
        window = (slice(None),) + tuple(v for t in tap for v in (slice(None), t)) + (slice(None),)
        first = hit[window]
        np.greater(first, taken, out=first)      # a maximum, and no earlier one
        if index + 1 < len(taps):
            np.logical_or(taken, first, out=taken)
    return np.multiply(hit, dy[expand]).reshape(xp.shape)


@hookimpl
def max_pool_backward(dy, x, y, pool_size, strides, padding):
    loops = _compiled_max_pool(pool_size, x)
    if loops is not None:
        return loops.max_pool_grad(dy, x, y, pool_size, strides, padding)
    xp = pad(x, padding, value=-np.inf)
    out = dy.shape[1:-1]
    exact = _tiles_exactly(xp.shape[1:-1], pool_size, strides, out)
    if exact and xp is x:
        return _tiled_max_pool_backward(dy, np.ascontiguousarray(x), y, pool_size)
    # With exact tiling every input cell is written once: no zero fill needed.
    dxp = np.empty(xp.shape, dtype=dy.dtype) if exact else np.zeros(xp.shape, dtype=dy.dtype)
    taps = list(tap_slices(pool_size, strides, _ones(len(pool_size)), out))
    hit = np.empty(y.shape, dtype=bool)
    taken = np.zeros(y.shape, dtype=bool)   # windows whose first maximum is found
    for index, (_, spatial) in enumerate(taps):
        window = (slice(None),) + spatial
        np.equal(xp[window], y, out=hit)
        np.greater(hit, taken, out=hit)      # hit and not taken (booleans)
        if exact:
            np.multiply(dy, hit, out=dxp[window])
        else:
            dxp[window] += dy * hit
        if index + 1 < len(taps):
            np.logical_or(taken, hit, out=taken)
    return np.ascontiguousarray(pad(dxp, [(-lo, -hi) for lo, hi in padding]))


@hookimpl
def avg_pool_forward(x, pool_size, strides, padding):
    xp = pad(x, padding, value=0)
    r = len(pool_size)
    out = output_shape(xp.shape[1:-1], pool_size, strides, _ones(r), [(0, 0)] * r)
    y = _pooled(xp, pool_size, strides, out, np.add)
    counts = _window_counts(x.shape[1:-1], pool_size, strides, padding, out, x.dtype)
    if counts is None:
        y *= x.dtype.type(1.0 / math.prod(pool_size))
    else:
        y /= counts
    return y


def _spread_axis(g, axis, pool, stride, length):
    """Adjoint of :func:`_reduce_axis` with ``add``: every window's value to each of its cells."""
    out_len = g.shape[axis]
    if pool == stride and out_len * pool == length:
        return np.repeat(g, pool, axis=axis)
    shape = list(g.shape)
    shape[axis] = length
    spread = np.zeros(shape, dtype=g.dtype)
    for j in range(pool):
        spread[_along(axis, g.ndim, slice(j, j + (out_len - 1) * stride + 1, stride))] += g
    return spread


@hookimpl
def avg_pool_backward(dy, x, pool_size, strides, padding):
    frame = tuple(n + lo + hi for n, (lo, hi) in zip(x.shape[1:-1], padding))
    counts = _window_counts(x.shape[1:-1], pool_size, strides, padding, dy.shape[1:-1], dy.dtype)
    g = dy * dy.dtype.type(1.0 / math.prod(pool_size)) if counts is None else dy / counts
    for axis in range(len(pool_size), 0, -1):
        g = _spread_axis(g, axis, pool_size[axis - 1], strides[axis - 1], frame[axis - 1])
    return np.ascontiguousarray(pad(g, [(-lo, -hi) for lo, hi in padding]))
