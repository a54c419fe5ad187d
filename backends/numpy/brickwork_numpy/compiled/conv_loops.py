"""Direct 3x3 2-D convolution loops for layers with very few input channels
(an image network's first layer: 1 or 3 channels).

With ``cin`` this small, im2col + GEMM multiplies matrices only ``9 * cin``
deep: copying the im2col rows and BLAS's ramp-up cost more than the
arithmetic. Here the nine taps are written out, so LLVM keeps each output's
sum in a register and vectorizes over the filters; the kernel gradient
accumulates the same products the other way round, with the bias gradient
and the ReLU derivative fused. Any stride, dilation and padding; groups 1.
Pixels whose window leaves the input are done afterwards by plain loops
(a call inside the vectorized loop would stop it vectorizing). One input
channel (grey images) has its own pair of loops: with no channel loop, each
pixel's nine inputs stay in registers and the filters take a single pass.

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


#: Input pixels per image below which im2col serves: on small images the
#: border cells dominate the direct loops (8x8 digits, batch 32, 'same':
#: 1.7 ms forward+backward against 0.7 ms), and a model that never uses
#: them never compiles them (about 9 s of a first run on an empty cache).
MIN_PIXELS = 256


def applies(kernel_shape, groups, spatial=None):
    """Whether the direct loops serve a convolution of ``kernel_shape`` on
    inputs of ``spatial`` size (height, width; None: any)."""
    return (len(kernel_shape) == 4 and tuple(kernel_shape[:2]) == (3, 3)
            and kernel_shape[2] <= MAX_CHANNELS and groups == 1
            and (spatial is None or spatial[0] * spatial[1] >= MIN_PIXELS))


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




@jit(inline=True)
def _window_rows(x, row, out_h, stride_h, dh, top):
    """Output row ``row`` (over batch x out_h) as ``(b, i)``, its windows'
    top input row ``r``, and the three input rows (``x`` without a channel
    axis; clamped into range, so check ``r`` before using them)."""
    b = row // out_h
    i = row - b * out_h
    r = i * stride_h - top
    first = min(max(r, 0), x.shape[1] - 1)
    middle = min(max(r + dh, 0), x.shape[1] - 1)
    last = min(max(r + 2 * dh, 0), x.shape[1] - 1)
    return b, i, r, x[b, first], x[b, middle], x[b, last]

@jit(parallel=True)
def _forward_rows_one_channel(first, last, x, taps, bias, stride_h, stride_w, dh, dw, top, left,
                              relu, y):
    """:func:`_forward_rows` for one input channel (``x`` without its channel
    axis, ``taps`` the kernel as ``(9, filters)``). Each pixel's nine inputs
    are read into scalars and its filters take one pass with the bias and
    ReLU fused, instead of a pass per channel plus a ReLU pass: about 2.5x
    faster on the seed CNN's first layer."""
    _, height, width = x.shape
    out_h, out_w, filters = y.shape[1], y.shape[2], y.shape[3]
    zero = y.dtype.type(0)
    for row in prange(first, last):
        b, i, r, x0, x1, x2 = _window_rows(x, row, out_h, stride_h, dh, top)
        if r < 0 or r + 2 * dh >= height:
            continue            # done by _forward_border
        out = y[b, i]
        for j in range(out_w):
            s = j * stride_w - left
            if s < 0 or s + 2 * dw >= width:
                continue
            a0, a1, a2 = x0[s], x0[s + dw], x0[s + 2 * dw]
            b0, b1, b2 = x1[s], x1[s + dw], x1[s + 2 * dw]
            c0, c1, c2 = x2[s], x2[s + dw], x2[s + 2 * dw]
            pixel = out[j]
            for f in range(filters):
                v = (bias[f] + a0 * taps[0, f] + a1 * taps[1, f] + a2 * taps[2, f]
                     + b0 * taps[3, f] + b1 * taps[4, f] + b2 * taps[5, f]
                     + c0 * taps[6, f] + c1 * taps[7, f] + c2 * taps[8, f])
                pixel[f] = zero if relu and v < zero else v


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



@jit(inline=True)
def _add_two_pixels(dtaps, x0, x1, x2, s, t, dw, g_first, y_first, g_second, y_second, relu):
    """Add two pixels' products (windows at columns ``s`` and ``t`` of the
    input rows ``x0..x2``) to the nine tap rows and the bias row."""
    zero = g_first.dtype.type(0)
    a0, a1, a2 = x0[s], x0[s + dw], x0[s + 2 * dw]
    b0, b1, b2 = x1[s], x1[s + dw], x1[s + 2 * dw]
    c0, c1, c2 = x2[s], x2[s + dw], x2[s + 2 * dw]
    p0, p1, p2 = x0[t], x0[t + dw], x0[t + 2 * dw]
    q0, q1, q2 = x1[t], x1[t + dw], x1[t + 2 * dw]
    v0, v1, v2 = x2[t], x2[t + dw], x2[t + 2 * dw]
    for f in range(dtaps.shape[1]):
        g = g_first[f]
        h = g_second[f]
        if relu:
            g = g if y_first[f] > zero else zero
            h = h if y_second[f] > zero else zero
        dtaps[0, f] += a0 * g + p0 * h
        dtaps[1, f] += a1 * g + p1 * h
        dtaps[2, f] += a2 * g + p2 * h
        dtaps[3, f] += b0 * g + q0 * h
        dtaps[4, f] += b1 * g + q1 * h
        dtaps[5, f] += b2 * g + q2 * h
        dtaps[6, f] += c0 * g + v0 * h
        dtaps[7, f] += c1 * g + v1 * h
        dtaps[8, f] += c2 * g + v2 * h
        dtaps[9, f] += g + h


@jit(parallel=True)
def _kernel_grad_rows_one_channel(first, last, x, dy, y, stride_h, stride_w, dh, dw, top, left,
                                  first_col, last_col, relu, dtaps):
    """:func:`_kernel_grad_rows` for one input channel (``x`` without its
    channel axis) and the output columns ``first_col:last_col`` (those whose
    windows lie inside the input): adds into ``dtaps`` ``(10, filters)``, the
    nine taps' rows then the bias row. Pixels go in pairs, sharing each
    read-modify-write of ``dtaps``, which bounds this loop (1.3x faster than
    one pixel at a time)."""
    _, height, width = x.shape
    out_h = dy.shape[1]
    no_pixel = np.zeros(dy.shape[3], dy.dtype)
    for row in prange(first, last):
        b, i, r, x0, x1, x2 = _window_rows(x, row, out_h, stride_h, dh, top)
        if r < 0 or r + 2 * dh >= height:
            continue            # done by _kernel_grad_border
        grads, outs = dy[b, i], y[b, i]
        for j in range(first_col, last_col - 1, 2):
            s = j * stride_w - left
            _add_two_pixels(dtaps, x0, x1, x2, s, s + stride_w, dw, grads[j], outs[j],
                            grads[j + 1], outs[j + 1], relu)
        if (last_col - first_col) % 2 == 1:
            # The odd one out, paired with a pixel of zero gradient.
            j = last_col - 1
            s = j * stride_w - left
            _add_two_pixels(dtaps, x0, x1, x2, s, s, dw, grads[j], outs[j], no_pixel, no_pixel,
                            relu)


def _inside_columns(width, out_w, geometry):
    """``(first, last)``: the output columns whose 3-wide windows lie inside
    an input row of ``width`` cells."""
    stride_w, dw, left = geometry[1], geometry[3], geometry[5]
    first = -(-left // stride_w)
    last = min(out_w, (width - 1 - 2 * dw + left) // stride_w + 1)
    return first, max(first, last)


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
    work = y.size * 9 * x.shape[-1]
    if x.shape[-1] == 1:
        taps = np.ascontiguousarray(kernel.reshape(9, filters))
        run_split(_forward_rows_one_channel, rows, x[..., 0], taps, bias, *geometry, relu, y,
                  work=work)
    else:
        run_split(_forward_rows, rows, x, kernel, bias, *geometry, relu, y, work=work)
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
    filters = kernel_shape[-1]
    if x.shape[-1] == 1:
        dtaps = np.zeros((10, filters), dtype=dy.dtype)
        _kernel_grad_rows_one_channel(first, last, x[..., 0], dy, y, *geometry,
                                      *_inside_columns(x.shape[2], dy.shape[2], geometry), relu,
                                      dtaps)
        dkernel, dbias = dtaps[:9].reshape(kernel_shape), dtaps[9]
    else:
        dkernel = np.zeros(kernel_shape, dtype=dy.dtype)
        dbias = np.zeros(filters, dtype=dy.dtype)
        _kernel_grad_rows(first, last, x, dy, y, *geometry, relu, dkernel, dbias)
    _kernel_grad_border(first, last, x, dy, y, geometry, relu, dkernel, dbias)
    return dkernel, dbias
