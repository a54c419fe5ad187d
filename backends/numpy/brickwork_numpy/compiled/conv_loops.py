"""Direct 3x3 2-D convolution loops for layers with very few input channels
(an image network's first layer: 1 or 3 channels).

With ``cin`` this small, im2col + GEMM multiplies matrices only ``9 * cin``
deep: copying the im2col rows and BLAS's ramp-up cost more than the
arithmetic. Here the nine taps are written out, so LLVM keeps each output's
sum in a register and vectorizes over the filters; the kernel gradient
accumulates the same products the other way round, with the bias gradient
and the ReLU derivative fused. Any stride, dilation and padding; groups 1.
Pixels whose window leaves the input are done afterwards by plain loops
(a call inside the vectorized loop would stop it vectorizing).

Loops are ``prange`` loops over output rows, run one numba thread per core
by :func:`.split.run_split` (see there). They vectorize only when numba
finds no possible aliases among their variables, so they take the geometry
as scalars (a tuple argument counts as an alias) and test conditions in
plain ``if`` statements (a boolean expression's value counts too).
"""
from __future__ import annotations

import numpy as np

from .jit import jit, prange
from .split import run_split

#: Direct loops serve 3x3 convolutions with at most this many input channels.
MAX_CHANNELS = 3


def applies(kernel_shape, groups):
    return (len(kernel_shape) == 4 and tuple(kernel_shape[:2]) == (3, 3)
            and kernel_shape[2] <= MAX_CHANNELS and groups == 1)


@jit(inline=True)
def _window(i, j, geometry):
    """Top-left input cell of output ``(i, j)``'s window, and the tap steps.
    Not for the ``prange`` loops: a tuple argument counts as a possible alias
    there, so they unpack ``geometry`` before the loop."""
    stride_h, stride_w, dil_h, dil_w, top, left = geometry
    return i * stride_h - top, j * stride_w - left, dil_h, dil_w


@jit(inline=True)
def _inside(r, s, dh, dw, height, width):
    """Whether a window lies inside the input. (Not for the ``prange`` loops:
    numba takes a returned ``and`` for a possible alias.)"""
    return r >= 0 and s >= 0 and r + 2 * dh < height and s + 2 * dw < width


@jit
def _forward_border_pixel(x, kernel, bias, geometry, relu, y, b, i, j):
    _, height, width, channels = x.shape
    r, s, dh, dw = _window(i, j, geometry)
    zero = y.dtype.type(0)
    for f in range(y.shape[3]):
        total = bias[f]
        for ti in range(3):
            for tj in range(3):
                if 0 <= r + ti * dh < height and 0 <= s + tj * dw < width:
                    for c in range(channels):
                        total += x[b, r + ti * dh, s + tj * dw, c] * kernel[ti, tj, c, f]
        y[b, i, j, f] = zero if relu and total < zero else total


@jit
def _forward_border(first, last, x, kernel, bias, geometry, relu, y):
    """The pixels of rows ``first:last`` whose window leaves the input."""
    _, height, width, _ = x.shape
    out_h, out_w = y.shape[1], y.shape[2]
    for row in range(first, last):
        b, i = row // out_h, row % out_h
        for j in range(out_w):
            r, s, dh, dw = _window(i, j, geometry)
            if not _inside(r, s, dh, dw, height, width):
                _forward_border_pixel(x, kernel, bias, geometry, relu, y, b, i, j)


@jit(parallel=True)
def _forward_rows(first, last, x, kernel, bias, stride_h, stride_w, dh, dw, top, left, relu, y):
    """Output rows ``first:last`` (over batch x out_h) of the convolution."""
    _, height, width, channels = x.shape
    out_h, out_w, filters = y.shape[1], y.shape[2], y.shape[3]
    zero = y.dtype.type(0)
    for row in prange(first, last):
        b, i = row // out_h, row % out_h
        r = i * stride_h - top
        for j in range(out_w):
            s = j * stride_w - left
            if r < 0 or s < 0 or r + 2 * dh >= height or s + 2 * dw >= width:
                continue        # done by _forward_border
            for c in range(channels):
                x00, x01, x02 = x[b, r, s, c], x[b, r, s + dw, c], x[b, r, s + 2 * dw, c]
                x10, x11, x12 = (x[b, r + dh, s, c], x[b, r + dh, s + dw, c],
                                 x[b, r + dh, s + 2 * dw, c])
                x20, x21, x22 = (x[b, r + 2 * dh, s, c], x[b, r + 2 * dh, s + dw, c],
                                 x[b, r + 2 * dh, s + 2 * dw, c])
                for f in range(filters):
                    total = bias[f] if c == 0 else y[b, i, j, f]
                    total += (x00 * kernel[0, 0, c, f] + x01 * kernel[0, 1, c, f]
                              + x02 * kernel[0, 2, c, f] + x10 * kernel[1, 0, c, f]
                              + x11 * kernel[1, 1, c, f] + x12 * kernel[1, 2, c, f]
                              + x20 * kernel[2, 0, c, f] + x21 * kernel[2, 1, c, f]
                              + x22 * kernel[2, 2, c, f])
                    y[b, i, j, f] = total
            if relu:
                for f in range(filters):
                    y[b, i, j, f] = zero if y[b, i, j, f] < zero else y[b, i, j, f]


@jit
def _kernel_grad_border(first, last, x, dy, y, geometry, relu, dkernel, dbias):
    """:func:`_kernel_grad_rows` for the pixels whose window leaves the input."""
    _, height, width, channels = x.shape
    out_h, out_w, filters = dy.shape[1], dy.shape[2], dy.shape[3]
    zero = dy.dtype.type(0)
    for row in range(first, last):
        b, i = row // out_h, row % out_h
        for j in range(out_w):
            r, s, dh, dw = _window(i, j, geometry)
            if _inside(r, s, dh, dw, height, width):
                continue
            for f in range(filters):
                g = zero if relu and not y[b, i, j, f] > zero else dy[b, i, j, f]
                dbias[f] += g
                for ti in range(3):
                    for tj in range(3):
                        if 0 <= r + ti * dh < height and 0 <= s + tj * dw < width:
                            for c in range(channels):
                                dkernel[ti, tj, c, f] += x[b, r + ti * dh, s + tj * dw, c] * g


@jit(parallel=True)
def _kernel_grad_rows(first, last, x, dy, y, stride_h, stride_w, dh, dw, top, left, relu,
                      dkernel, dbias):
    """Add the contributions of rows ``first:last``' pixels whose window lies
    inside the input to ``dkernel`` and ``dbias``; with ``relu``, ``dy``
    counts only where the output ``y`` is positive. Run on one thread: the
    rows add into the same sums."""
    _, height, width, channels = x.shape
    out_h, out_w, filters = dy.shape[1], dy.shape[2], dy.shape[3]
    zero = dy.dtype.type(0)
    for row in prange(first, last):
        b, i = row // out_h, row % out_h
        r = i * stride_h - top
        for j in range(out_w):
            s = j * stride_w - left
            if r < 0 or s < 0 or r + 2 * dh >= height or s + 2 * dw >= width:
                continue        # done by _kernel_grad_border
            for c in range(channels):
                x00, x01, x02 = x[b, r, s, c], x[b, r, s + dw, c], x[b, r, s + 2 * dw, c]
                x10, x11, x12 = (x[b, r + dh, s, c], x[b, r + dh, s + dw, c],
                                 x[b, r + dh, s + 2 * dw, c])
                x20, x21, x22 = (x[b, r + 2 * dh, s, c], x[b, r + 2 * dh, s + dw, c],
                                 x[b, r + 2 * dh, s + 2 * dw, c])
                for f in range(filters):
                    g = dy[b, i, j, f]
                    if relu:
                        g = g if y[b, i, j, f] > zero else zero
                    if c == 0:
                        dbias[f] += g
                    dkernel[0, 0, c, f] += x00 * g
                    dkernel[0, 1, c, f] += x01 * g
                    dkernel[0, 2, c, f] += x02 * g
                    dkernel[1, 0, c, f] += x10 * g
                    dkernel[1, 1, c, f] += x11 * g
                    dkernel[1, 2, c, f] += x12 * g
                    dkernel[2, 0, c, f] += x20 * g
                    dkernel[2, 1, c, f] += x21 * g
                    dkernel[2, 2, c, f] += x22 * g


def _geometry(strides, dilation_rate, padding):
    return (strides[0], strides[1], dilation_rate[0], dilation_rate[1], padding[0][0],
            padding[1][0])


def conv2d(x, kernel, bias, strides, padding, dilation_rate, out_hw, relu):
    """The convolution (``conv_forward`` with bias and optional ReLU)."""
    filters = kernel.shape[-1]
    kernel = kernel.astype(x.dtype, copy=False)
    bias = np.zeros(filters, x.dtype) if bias is None else bias.astype(x.dtype, copy=False)
    y = np.empty((x.shape[0],) + tuple(out_hw) + (filters,), dtype=x.dtype)
    geometry = _geometry(strides, dilation_rate, padding)
    rows = x.shape[0] * out_hw[0]
    run_split(_forward_rows, rows, x, kernel, bias, *geometry, relu, y,
              work=y.size * 9 * x.shape[-1])
    _forward_border(0, rows, x, kernel, bias, geometry, relu, y)
    return y


def conv2d_kernel_and_bias_grad(x, dy, y, kernel_shape, strides, padding, dilation_rate, relu):
    """``(dkernel, dbias)``; with ``relu`` the ReLU derivative (from ``y``) is
    applied to ``dy`` first."""
    geometry = _geometry(strides, dilation_rate, padding)
    parts = run_split(_kernel_grad_part, dy.shape[0] * dy.shape[1], x, dy, y, geometry, relu,
                      kernel_shape, work=dy.size * 9 * x.shape[-1])
    dkernel, dbias = parts[0]
    for part_kernel, part_bias in parts[1:]:
        dkernel += part_kernel
        dbias += part_bias
    return dkernel, dbias


def _kernel_grad_part(first, last, x, dy, y, geometry, relu, kernel_shape):
    dkernel = np.zeros(kernel_shape, dtype=dy.dtype)
    dbias = np.zeros(kernel_shape[-1], dtype=dy.dtype)
    _kernel_grad_rows(first, last, x, dy, y, *geometry, relu, dkernel, dbias)
    _kernel_grad_border(first, last, x, dy, y, geometry, relu, dkernel, dbias)
    return dkernel, dbias
