"""Max and average pooling, N-d, channels last.

Max and sum are separable, so a window reduces one spatial axis at a time,
each as a few elementwise passes over strided views of that axis (``pool``
passes over data that shrinks by ``stride`` per axis); with non-overlapping
windows these views are exactly a reshape of the input.
"""
from __future__ import annotations

import math

import numpy as xp  # replaced by bind()

from brickwork.plugin import hookimpl

from . import geometry


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


def _pooled(padded, pool_size, strides, out, ufunc):
    y = padded
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
    counts = xp.ones((1,) + tuple(out) + (1,), dtype=dtype)
    for axis, (n, p, s, (lo, _), o) in enumerate(zip(spatial, pool_size, strides, padding, out)):
        start = xp.arange(o) * s - lo
        per_axis = xp.minimum(start + p, n) - xp.maximum(start, 0)
        shape = [1] * counts.ndim
        shape[axis + 1] = o
        counts = counts * per_axis.reshape(shape).astype(dtype)
    return counts


def _ones(r):
    return (1,) * r


@hookimpl
def max_pool_forward(x, pool_size, strides, padding):
    out = geometry.output_shape(x.shape[1:-1], pool_size, strides, _ones(len(pool_size)), padding)
    return _pooled(geometry.pad(x, padding, value=-xp.inf), pool_size, strides, out, xp.maximum)


def _tiled_max_pool_backward(dy, padded, y, pool_size):
    # Non-overlapping windows that tile the input: a reshape makes every
    # window explicit, so the comparison and the product are contiguous passes
    # and only the first-maximum bookkeeping works per tap, on booleans.
    r = len(pool_size)
    batch, out, channels = y.shape[0], y.shape[1:-1], y.shape[-1]
    split = (batch,) + tuple(v for o, p in zip(out, pool_size) for v in (o, p)) + (channels,)
    expand = (slice(None),) + (slice(None), None) * r + (slice(None),)
    hit = padded.reshape(split) == y[expand]
    taken = xp.zeros(y.shape, dtype=bool)
    taps = list(geometry.taps(pool_size))
    for index, tap in enumerate(taps):
        window = (slice(None),) + tuple(v for t in tap for v in (slice(None), t)) + (slice(None),)
        first = hit[window]
        xp.greater(first, taken, out=first)      # a maximum, and no earlier one
        if index + 1 < len(taps):
            xp.logical_or(taken, first, out=taken)
    return xp.multiply(hit, dy[expand]).reshape(padded.shape)


@hookimpl
def max_pool_backward(dy, x, y, pool_size, strides, padding):
    padded = geometry.pad(x, padding, value=-xp.inf)
    out = dy.shape[1:-1]
    exact = _tiles_exactly(padded.shape[1:-1], pool_size, strides, out)
    if exact and padded is x:
        return _tiled_max_pool_backward(dy, xp.ascontiguousarray(x), y, pool_size)
    # With exact tiling every input cell is written once: no zero fill needed.
    dxp = xp.empty(padded.shape, dtype=dy.dtype) if exact else xp.zeros(padded.shape, dtype=dy.dtype)
    taps = list(geometry.tap_slices(pool_size, strides, _ones(len(pool_size)), out))
    hit = xp.empty(y.shape, dtype=bool)
    taken = xp.zeros(y.shape, dtype=bool)   # windows whose first maximum is found
    for index, (_, spatial) in enumerate(taps):
        window = (slice(None),) + spatial
        xp.equal(padded[window], y, out=hit)
        xp.greater(hit, taken, out=hit)      # hit and not taken (booleans)
        if exact:
            xp.multiply(dy, hit, out=dxp[window])
        else:
            dxp[window] += dy * hit
        if index + 1 < len(taps):
            xp.logical_or(taken, hit, out=taken)
    return xp.ascontiguousarray(geometry.pad(dxp, [(-lo, -hi) for lo, hi in padding]))


@hookimpl
def avg_pool_forward(x, pool_size, strides, padding):
    padded = geometry.pad(x, padding, value=0)
    r = len(pool_size)
    out = geometry.output_shape(padded.shape[1:-1], pool_size, strides, _ones(r), [(0, 0)] * r)
    y = _pooled(padded, pool_size, strides, out, xp.add)
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
        return xp.repeat(g, pool, axis=axis)
    shape = list(g.shape)
    shape[axis] = length
    spread = xp.zeros(shape, dtype=g.dtype)
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
    return xp.ascontiguousarray(geometry.pad(g, [(-lo, -hi) for lo, hi in padding]))
