"""Window geometry and padding shared by pooling and convolution (not a
kernel module). Geometry is host-side Python; ``pad`` makes CuPy arrays."""
from __future__ import annotations

import itertools

import cupy


def effective_size(k, dilation):
    return dilation * (k - 1) + 1


def output_size(n, k, stride, dilation, before, after):
    return (n + before + after - effective_size(k, dilation)) // stride + 1


def output_shape(spatial, kernel_size, strides, dilation_rate, padding):
    return tuple(output_size(n, k, s, d, lo, hi) for n, k, s, d, (lo, hi)
                 in zip(spatial, kernel_size, strides, dilation_rate, padding))


def pad(x, padding, value=0):
    """``x`` (batch, *spatial, channels) with ``padding`` pairs added around
    the spatial axes; a negative amount crops instead. Unchanged when all zero."""
    if all(lo == 0 and hi == 0 for lo, hi in padding):
        return x
    crop = tuple(slice(max(-lo, 0), n - max(-hi, 0) if hi < 0 else None)
                 for n, (lo, hi) in zip(x.shape[1:-1], padding))
    x = x[(slice(None),) + crop]
    grow = [(max(lo, 0), max(hi, 0)) for lo, hi in padding]
    if not any(lo or hi for lo, hi in grow):
        return x
    shape = (x.shape[0],) + tuple(n + lo + hi for n, (lo, hi) in zip(x.shape[1:-1], grow)) \
        + (x.shape[-1],)
    out = cupy.full(shape, value, dtype=x.dtype)
    out[(slice(None),) + tuple(slice(lo, lo + n) for n, (lo, _) in
                               zip(x.shape[1:-1], grow))] = x
    return out


def tap_slices(kernel_size, strides, dilation_rate, out_spatial):
    """For each kernel tap (row-major), the tuple of spatial slices of the
    padded input that the tap reads for every output position."""
    for tap in itertools.product(*(range(k) for k in kernel_size)):
        yield tap, tuple(slice(t * d, t * d + (o - 1) * s + 1, s) for t, d, s, o
                         in zip(tap, dilation_rate, strides, out_spatial))
