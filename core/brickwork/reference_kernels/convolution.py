"""Convolution kernels: plain, grouped, transposed and depthwise, N-d.

Plain and transposed convolutions are im2col + GEMM over strided views (see
``geometry``); the three linear building blocks below (output, kernel
gradient, input gradient) serve both, because a transposed convolution is
the input gradient of a plain one and vice versa. Depthwise convolution has
too little arithmetic per tap for a GEMM and runs as one fused multiply-add
per kernel tap instead. ``_prefers_gather`` and ``_col2im`` are the places
where a backend with faster algorithms for some shapes plugs them in.
"""
from __future__ import annotations

import math

import numpy as xp  # replaced by bind()

from brickwork.plugin import hookimpl

from . import dense, geometry


# ---------------------------------------------------------------------------
# Linear building blocks (no bias, no activation)
# ---------------------------------------------------------------------------


def _group_kernel(kernel, groups):
    """``(*k, cin, filters)`` as ``(groups, K * cin, filters // groups)``."""
    *ks, cin, filters = kernel.shape
    taps = math.prod(ks)
    grouped = kernel.reshape(taps, cin, groups, filters // groups)
    return xp.ascontiguousarray(grouped.transpose(2, 0, 1, 3)).reshape(groups, taps * cin, -1)


def _blocks(batch, row_bytes):
    step = geometry.block_rows(batch, row_bytes)
    for start in range(0, batch, step):
        yield start, min(batch, start + step)


def _im2col_block(view, start, stop, groups, slot=0):
    """Copy samples ``start:stop`` of a window view into a scratch buffer laid
    out ``(groups, rows, taps * cin)`` (one contiguous GEMM operand per group)."""
    *lead, channels = view.shape
    cin = channels // groups
    block = view[start:stop]
    if groups == 1:
        cols = geometry.scratch(block.shape, view.dtype, slot)
        geometry.copy_into(cols, block)
        rows = math.prod(block.shape[:1 + (len(lead) - 1) // 2])
        return cols.reshape(1, rows, -1)
    split = block.reshape(*block.shape[:-1], groups, cin)
    moved = xp.moveaxis(split, -2, 0)
    cols = geometry.scratch(moved.shape, view.dtype, slot)
    geometry.copy_into(cols, moved)
    rows = math.prod(moved.shape[1:2 + (len(lead) - 1) // 2])
    return cols.reshape(groups, rows, -1)


def _cols_key(kernel_shape, strides, padding, dilation_rate):
    return (tuple(kernel_shape), tuple(strides), tuple(map(tuple, padding)), tuple(dilation_rate))


def _cols_left_by_forward(view, x, kernel_shape, strides, padding, dilation_rate):
    """The im2col rows of all of ``view`` when :func:`conv_linear` of this
    same ``x`` left them in the scratch buffer and nothing has taken it since
    (in a train step: a network's last im2col convolution, whose backward
    comes first), as ``(1, rows, taps * cin)``; else None. Saves copying
    them again (1.9 ms of the seed CNN's train step)."""
    key = _cols_key(kernel_shape, strides, padding, dilation_rate)
    cols = geometry.labelled_scratch(0, x, key, view.shape, view.dtype)
    rank = len(kernel_shape) - 2
    return None if cols is None else cols.reshape(1, -1, math.prod(view.shape[1 + rank:]))


def conv_linear(x, kernel, strides, padding, dilation_rate, groups):
    """The cross-correlation of :func:`conv_forward` without bias or activation.
    ``padding`` pairs may be negative (crop)."""
    *ks, _, filters = kernel.shape
    padded = geometry.pad(x, padding)
    out_spatial = geometry.output_shape(padded.shape[1:-1], ks, strides, dilation_rate,
                                        [(0, 0)] * len(ks))
    view = geometry.windows(padded, ks, strides, dilation_rate, out_spatial)
    batch, positions = x.shape[0], math.prod(out_spatial)
    y = xp.empty((batch,) + out_spatial + (filters,), dtype=x.dtype)
    y2 = y.reshape(batch * positions, filters)
    row_bytes = positions * math.prod(ks) * x.shape[-1] * x.itemsize
    if groups == 1:
        w2 = kernel.reshape(-1, filters)
        blocks = list(_blocks(batch, row_bytes))
        for start, stop in blocks:
            cols = _im2col_block(view, start, stop, 1)[0]
            xp.matmul(cols, w2, out=y2[start * positions:stop * positions])
        if len(blocks) == 1:
            # The kernel gradient reads these same rows: keep note of them.
            geometry.label_scratch(0, x, _cols_key(kernel.shape, strides, padding, dilation_rate))
        return y
    w = _group_kernel(kernel, groups)
    for start, stop in _blocks(batch, row_bytes):
        cols = _im2col_block(view, start, stop, groups)
        rows = y2[start * positions:stop * positions].reshape(-1, groups, filters // groups)
        rows[...] = xp.matmul(cols, w).transpose(1, 0, 2)
    return y


def conv_kernel_grad(x, dz, kernel_shape, strides, padding, dilation_rate, groups):
    """Gradient of :func:`conv_linear` with respect to its kernel."""
    *ks, cin, filters = kernel_shape
    padded = geometry.pad(x, padding)
    out_spatial = dz.shape[1:-1]
    view = geometry.windows(padded, ks, strides, dilation_rate, out_spatial)
    batch, positions = x.shape[0], math.prod(out_spatial)
    dz2 = dz.reshape(batch * positions, filters)
    row_bytes = positions * math.prod(ks) * x.shape[-1] * x.itemsize
    dw = None
    blocks = list(_blocks(batch, row_bytes))
    for start, stop in blocks:
        cols = None
        if groups == 1 and len(blocks) == 1:
            cols = _cols_left_by_forward(view, x, kernel_shape, strides, padding, dilation_rate)
        if cols is None:
            cols = _im2col_block(view, start, stop, groups)
        rows = dz2[start * positions:stop * positions]
        if groups > 1:
            rows = xp.ascontiguousarray(rows.reshape(-1, groups, filters // groups).transpose(1, 0, 2))
        else:
            rows = rows[None]
        # dz^T @ cols, not cols^T @ dz: BLAS is far faster with the long
        # reduction axis on this side when the kernel has few columns.
        part = xp.matmul(rows.transpose(0, 2, 1), cols)
        dw = part if dw is None else xp.add(dw, part, out=dw)
    taps = math.prod(ks)
    # (groups, filters // groups, taps * cin) -> (*k, cin, filters)
    dw = dw.reshape(groups, filters // groups, taps, cin).transpose(2, 3, 0, 1)
    return xp.ascontiguousarray(dw).reshape(kernel_shape)


def conv_input_grad(dz, kernel, in_spatial, strides, before, dilation_rate, groups):
    """Gradient of :func:`conv_linear` with respect to its input of spatial
    shape ``in_spatial``, given the padding added ``before`` each axis (may be
    negative: the input then starts inside the padded frame)."""
    *ks, cin, filters = kernel.shape
    extents = [geometry.effective_size(k, d) for k, d in zip(ks, dilation_rate)]
    frame_bytes = dz.shape[0] * math.prod(in_spatial) * groups * cin * dz.itemsize
    gather = (frame_bytes > geometry.SCATTER_MAX_BYTES
              or _prefers_gather(kernel.shape[:-2] + (filters, cin), strides, dilation_rate,
                                 groups, in_spatial, dz))
    if all(s == 1 for s in strides) and gather:
        # Stride 1: a gather, i.e. a convolution of the padded output gradient
        # with the flipped kernel whose channel axes trade places.
        flipped = kernel[tuple(slice(None, None, -1) for _ in ks)]
        fg = filters // groups
        swapped = flipped.reshape(*ks, cin, groups, fg).transpose(
            *range(len(ks)), len(ks) + 2, len(ks) + 1, len(ks))
        swapped = xp.ascontiguousarray(swapped).reshape(*ks, fg, groups * cin)
        padding = [(e - 1 - lo, n + lo - m) for e, lo, n, m
                   in zip(extents, before, in_spatial, dz.shape[1:-1])]
        return conv_linear(dz, swapped, strides, padding, dilation_rate, groups)
    return _scatter_input_grad(dz, kernel, in_spatial, strides, before, dilation_rate, groups,
                               extents)


def _prefers_gather(kernel_shape, strides, dilation_rate, groups, out_spatial, x):
    """Whether a stride-1 input gradient should be a gather even when its
    frame is small: when the convolution it becomes has a faster algorithm
    than im2col (a backend's override says so)."""
    return False


def _col2im(target, cols, kernel_size, strides, dilation_rate, out_spatial):
    """Add every tap's rows of ``cols`` ``(batch, *out, taps, channels)``
    into the input frame ``target``."""
    for index, (_, spatial) in enumerate(geometry.tap_slices(kernel_size, strides, dilation_rate,
                                                             out_spatial)):
        target[(slice(None),) + spatial] += cols[..., index, :]


def _scatter_input_grad(dz, kernel, in_spatial, strides, before, dilation_rate, groups, extents):
    # Strided: each output position's gradient row times the kernel, then
    # added into the input frame tap by tap (col2im).
    *ks, cin, filters = kernel.shape
    batch, out_spatial = dz.shape[0], dz.shape[1:-1]
    positions, taps = math.prod(out_spatial), math.prod(ks)
    frame = tuple((m - 1) * s + e for m, s, e in zip(out_spatial, strides, extents))
    full = xp.zeros((batch,) + frame + (groups * cin,), dtype=dz.dtype)
    w = _group_kernel(kernel, groups).transpose(0, 2, 1)          # (g, fg, K * cin)
    dz2 = dz.reshape(batch * positions, filters)
    row_bytes = positions * taps * groups * cin * dz.itemsize
    for start, stop in _blocks(batch, row_bytes):
        rows = dz2[start * positions:stop * positions]
        rows = rows.reshape(-1, groups, filters // groups).transpose(1, 0, 2)
        cols = xp.matmul(xp.ascontiguousarray(rows), w)            # (g, rows, K * cin)
        cols = cols.reshape(groups, stop - start, *out_spatial, taps, cin)
        cols = xp.moveaxis(cols, 0, -2).reshape(stop - start, *out_spatial, taps, groups * cin)
        _col2im(full[start:stop], cols, ks, strides, dilation_rate, out_spatial)
    return xp.ascontiguousarray(geometry.zero_extended(full, before, in_spatial))


def _finish(y, bias, activation):
    """Bias and activation applied in place on a freshly computed ``y``."""
    rows = y.reshape(-1, y.shape[-1])
    return dense.bias_and_activation(rows, bias, activation).reshape(y.shape)


def _epilogue_grads(dy, y, activation):
    """``(dz, dbias)``: the gradient before the activation, shaped like
    ``dy``, and its sum over everything but channels."""
    channels = dy.shape[-1]
    dz, dbias = dense.activation_and_bias_grads(xp.ascontiguousarray(dy).reshape(-1, channels),
                                                xp.ascontiguousarray(y).reshape(-1, channels),
                                                activation)
    return xp.ascontiguousarray(dz).reshape(dy.shape), dbias


# ---------------------------------------------------------------------------
# Plain (grouped) convolution
# ---------------------------------------------------------------------------


@hookimpl
def conv_forward(x, kernel, bias, strides, padding, dilation_rate, groups, activation):
    return _finish(conv_linear(x, kernel, strides, padding, dilation_rate, groups), bias,
                   activation)


@hookimpl
def conv_backward(dy, x, kernel, y, strides, padding, dilation_rate, groups, activation,
                  need_dx):
    dz, dbias = _epilogue_grads(dy, y, activation)
    dkernel = conv_kernel_grad(x, dz, kernel.shape, strides, padding, dilation_rate, groups)
    dx = None
    if need_dx:
        dx = conv_input_grad(dz, kernel, x.shape[1:-1], strides, [lo for lo, _ in padding],
                             dilation_rate, groups)
    return dx, dkernel, dbias


# ---------------------------------------------------------------------------
# Transposed convolution: the input gradient of a plain one
# ---------------------------------------------------------------------------


def _transpose_geometry(in_spatial, ks, strides, padding, dilation_rate):
    """Output spatial shape, and the padding of the plain convolution (from
    output back to input) that the transposed one is the adjoint of."""
    extents = [geometry.effective_size(k, d) for k, d in zip(ks, dilation_rate)]
    out = tuple((n - 1) * s + 1 + lo + hi - e + 1 for n, s, (lo, hi), e
                in zip(in_spatial, strides, padding, extents))
    plain = [(e - 1 - lo, (n - 1) * s + e - m - (e - 1 - lo)) for n, s, (lo, _), e, m
             in zip(in_spatial, strides, padding, extents, out)]
    return out, plain


@hookimpl
def conv_transpose_forward(x, kernel, bias, strides, padding, dilation_rate, activation):
    ks = kernel.shape[:-2]
    out, plain = _transpose_geometry(x.shape[1:-1], ks, strides, padding, dilation_rate)
    y = conv_input_grad(x, kernel, out, strides, [lo for lo, _ in plain], dilation_rate, 1)
    y = xp.ascontiguousarray(y)
    return _finish(y, bias, activation)


@hookimpl
def conv_transpose_backward(dy, x, kernel, y, strides, padding, dilation_rate, activation,
                            need_dx):
    dz, dbias = _epilogue_grads(dy, y, activation)
    _, plain = _transpose_geometry(x.shape[1:-1], kernel.shape[:-2], strides, padding,
                                   dilation_rate)
    dkernel = conv_kernel_grad(dz, x, kernel.shape, strides, plain, dilation_rate, 1)
    dx = conv_linear(dz, kernel, strides, plain, dilation_rate, 1) if need_dx else None
    return dx, dkernel, dbias


# ---------------------------------------------------------------------------
# Depthwise convolution: one fused multiply-add per kernel tap
# ---------------------------------------------------------------------------


@hookimpl
def depthwise_conv_forward(x, kernel, bias, strides, padding, dilation_rate, activation):
    *ks, channels, multiplier = kernel.shape
    padded = geometry.pad(x, padding)
    out = geometry.output_shape(padded.shape[1:-1], ks, strides, dilation_rate, [(0, 0)] * len(ks))
    y = xp.empty((x.shape[0],) + out + (channels, multiplier), dtype=x.dtype)
    product = geometry.scratch(y.shape, x.dtype)
    for index, (tap, spatial) in enumerate(geometry.tap_slices(ks, strides, dilation_rate, out)):
        source = padded[(slice(None),) + spatial][..., None]
        if index == 0:
            xp.multiply(source, kernel[tap], out=y)
        else:
            y += xp.multiply(source, kernel[tap], out=product)
    return _finish(y.reshape(y.shape[:-2] + (channels * multiplier,)), bias, activation)


@hookimpl
def depthwise_conv_backward(dy, x, kernel, y, strides, padding, dilation_rate, activation,
                            need_dx):
    *ks, channels, multiplier = kernel.shape
    dz2, dbias = _epilogue_grads(dy, y, activation)
    dz = dz2.reshape(dz2.shape[:-1] + (channels, multiplier))
    out = dz.shape[1:-2]
    padded = geometry.pad(x, padding)
    dkernel = xp.empty_like(kernel)
    dz_rows = dz.reshape(-1, channels, multiplier)
    dxp = xp.zeros(padded.shape, dtype=x.dtype) if need_dx else None
    for tap, spatial in geometry.tap_slices(ks, strides, dilation_rate, out):
        window = (slice(None),) + spatial
        dkernel[tap] = xp.einsum("pc,pcm->cm", padded[window].reshape(-1, channels), dz_rows)
        if need_dx:
            dxp[window] += xp.einsum("...cm,cm->...c", dz, kernel[tap])
    dx = None
    if dxp is not None:
        dx = xp.ascontiguousarray(geometry.pad(dxp, [(-lo, -hi) for lo, hi in padding]))
    return dx, dkernel, dbias
