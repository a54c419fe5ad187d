"""Geometry, strided window views and scratch buffers shared by the
convolution and pooling kernels (channels-last arrays throughout).

A convolution is computed as im2col + GEMM: a strided *view* presents every
output position's receptive field as one row (no copy), a block of rows is
copied into a buffer (:func:`scratch`), and one large matrix product per
block does the arithmetic. A backend may keep those buffers between calls
(:func:`scratch`, :func:`label_scratch`, :func:`labelled_scratch`) and copy
with more threads (:func:`copy_into`); here each call gets a fresh buffer.
"""
from __future__ import annotations

import itertools

import numpy as xp  # replaced by bind()

#: Bytes of im2col rows copied per block: large enough for an efficient GEMM,
#: small enough to stay in the last-level cache.
BLOCK_BYTES = 64 << 20

#: Input gradients (and stride-1 transposed convolutions) whose frame is at
#: most this large are scattered tap by tap (col2im): the adds stay in cache.
#: Larger ones are gathered, as a convolution of the padded output gradient.
SCATTER_MAX_BYTES = 8 << 20


def copy_into(destination, source):
    """``destination[...] = source``."""
    xp.copyto(destination, source)


def scratch(shape, dtype, slot=0):
    """An uninitialised array of ``shape``; ``slot`` tells apart buffers that
    are alive at the same time (for a backend that reuses them)."""
    return xp.empty(shape, dtype)


def label_scratch(slot, source, key):
    """Note that ``slot`` now holds data computed from the array ``source``
    in the way ``key`` describes (nothing to note without reused buffers)."""


def labelled_scratch(slot, source, key, shape, dtype):
    """``slot``'s contents when they were computed from this very ``source``
    as ``key`` says; None here, where buffers are not kept."""
    return None


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
    out = xp.empty(shape, dtype=x.dtype)
    _fill_border(out, grow, value)
    out[(slice(None),) + tuple(slice(lo, lo + n) for n, (lo, _) in
                               zip(x.shape[1:-1], grow))] = x
    return out


def _fill_border(out, grow, value):
    # Only the border is written: the interior is overwritten right after.
    for axis, (lo, hi) in enumerate(grow, start=1):
        index = [slice(None)] * out.ndim
        if lo:
            index[axis] = slice(0, lo)
            out[tuple(index)] = value
        if hi:
            index[axis] = slice(out.shape[axis] - hi, None)
            out[tuple(index)] = value


def windows(padded, kernel_size, strides, dilation_rate, out_spatial):
    """View ``(batch, *out, *kernel_size, channels)`` of the padded input:
    element ``[b, o, t, c]`` is ``padded[b, o * stride + t * dilation, c]``.
    Its elements overlap: read it, never write it."""
    batch_stride, *spatial_strides, channel_stride = padded.strides
    shape = (padded.shape[0],) + tuple(out_spatial) + tuple(kernel_size) + (padded.shape[-1],)
    strides = ((batch_stride,) + tuple(st * s for st, s in zip(spatial_strides, strides))
               + tuple(st * d for st, d in zip(spatial_strides, dilation_rate))
               + (channel_stride,))
    return strided_view(padded, shape, strides)


def strided_view(a, shape, strides):
    """``a``'s memory seen with ``shape`` and ``strides`` (in bytes)."""
    return xp.lib.stride_tricks.as_strided(a, shape=shape, strides=strides)


def taps(kernel_size):
    """Every kernel tap (an index tuple), row-major."""
    return itertools.product(*(range(k) for k in kernel_size))


def tap_slices(kernel_size, strides, dilation_rate, out_spatial):
    """For each kernel tap (row-major), the tuple of spatial slices of the
    padded input that the tap reads for every output position."""
    for tap in taps(kernel_size):
        yield tap, tuple(slice(t * d, t * d + (o - 1) * s + 1, s) for t, d, s, o
                         in zip(tap, dilation_rate, strides, out_spatial))


def block_rows(batch, row_bytes):
    """Samples per block so that one block of im2col rows is about BLOCK_BYTES."""
    return max(1, min(batch, BLOCK_BYTES // max(row_bytes, 1)))


def zero_extended(full, starts, lengths):
    """``full[:, start:start + length, ..., :]`` per spatial axis, reading
    zeros where the range leaves ``full``."""
    inside = all(st >= 0 and st + n <= size for st, n, size
                 in zip(starts, lengths, full.shape[1:-1]))
    if inside:
        return full[(slice(None),) + tuple(slice(st, st + n) for st, n in zip(starts, lengths))]
    padding = [(-st, st + n - size) for st, n, size in zip(starts, lengths, full.shape[1:-1])]
    return pad(full, padding)
