"""Convolutions (plain, grouped, depthwise, transposed), N-d, channels last:
im2col + cuBLAS GEMM, with bias and activation fused after the GEMM.

The column matrix ``(batch, *out, taps, channels)`` is filled with one
strided copy per kernel tap; groups become one batched GEMM
``(groups, rows, taps * cin) @ (groups, taps * cin, filters // groups)``.
Depthwise convolution is the grouped one with ``groups = channels`` and
the kernel viewed as ``(*kernel_size, 1, channels * depth_multiplier)``;
transposed convolution is the stride-1 convolution of the stride-dilated
input with the flipped, channel-swapped kernel (as its spec states).
"""
from __future__ import annotations

import math

import cupy

from brickwork.plugin import hookimpl

from ._geometry import output_shape, pad, tap_slices
from .activations import activation_grad_from_output, bias_activation_inplace

BRICKWORK_BACKEND = "cupy"


def _columns(xp, kernel_size, strides, dilation_rate, out):
    """``cols[b, o, t, c] = xp[b, o * stride + t * dilation, c]``."""
    taps = math.prod(kernel_size)
    cols = cupy.empty((xp.shape[0],) + tuple(out) + (taps, xp.shape[-1]), dtype=xp.dtype)
    for index, (_, spatial) in enumerate(tap_slices(kernel_size, strides, dilation_rate, out)):
        cols[..., index, :] = xp[(slice(None),) + spatial]
    return cols


def _grouped(cols, groups):
    """(groups, rows, taps * cin) from (batch, *out, taps, groups * cin)."""
    taps, channels = cols.shape[-2], cols.shape[-1]
    rows = cols.size // (taps * channels)
    cin = channels // groups
    a = cols.reshape(rows, taps, groups, cin).transpose(2, 0, 1, 3)
    return a.reshape(groups, rows, taps * cin)


def _grouped_kernel(kernel, groups):
    """(groups, taps * cin, filters // groups) from (*kernel_size, cin, filters)."""
    cin, filters = kernel.shape[-2], kernel.shape[-1]
    taps = kernel.size // (cin * filters)
    w = kernel.reshape(taps, cin, groups, filters // groups).transpose(2, 0, 1, 3)
    return w.reshape(groups, taps * cin, filters // groups)


def _geometry(x, kernel, strides, padding, dilation_rate):
    kernel_size = kernel.shape[:-2]
    xp = pad(x, padding)
    out = output_shape(xp.shape[1:-1], kernel_size, strides, dilation_rate,
                       [(0, 0)] * len(kernel_size))
    return xp, kernel_size, out


def conv_linear(x, kernel, strides, padding, dilation_rate, groups):
    """The convolution without bias and activation, as ``(rows, filters)``, and its out shape."""
    xp, kernel_size, out = _geometry(x, kernel, strides, padding, dilation_rate)
    cols = _columns(xp, kernel_size, strides, dilation_rate, out)
    filters = kernel.shape[-1]
    if groups == 1:
        y = cupy.matmul(cols.reshape(-1, cols.shape[-2] * cols.shape[-1]),
                        kernel.reshape(-1, filters))
    else:
        y = cupy.matmul(_grouped(cols, groups), _grouped_kernel(kernel, groups))
        y = cupy.ascontiguousarray(y.transpose(1, 0, 2)).reshape(-1, filters)
    return y, (x.shape[0],) + tuple(out) + (filters,)


def conv_grads(dz, x, kernel, strides, padding, dilation_rate, groups, need_dx):
    """``(dx, dkernel)`` of :func:`conv_linear` given ``dz`` of shape (batch, *out, filters)."""
    xp, kernel_size, out = _geometry(x, kernel, strides, padding, dilation_rate)
    cols = _columns(xp, kernel_size, strides, dilation_rate, out)
    filters, cin = kernel.shape[-1], kernel.shape[-2]
    taps = cols.shape[-2]
    rows = dz.size // filters
    a = _grouped(cols, groups)                                                   # (G, rows, taps*cin)
    d = dz.reshape(rows, groups, filters // groups).transpose(1, 0, 2)           # (G, rows, fg)
    dw = cupy.matmul(a.transpose(0, 2, 1), d)                                    # (G, taps*cin, fg)
    dkernel = dw.reshape(groups, taps, cin, filters // groups).transpose(1, 2, 0, 3)
    dkernel = cupy.ascontiguousarray(dkernel).reshape(kernel.shape)
    if not need_dx:
        return None, dkernel
    dcols = cupy.matmul(d, _grouped_kernel(kernel, groups).transpose(0, 2, 1))   # (G, rows, taps*cin)
    dcols = dcols.reshape(groups, rows, taps, cin).transpose(1, 2, 0, 3)
    dcols = dcols.reshape(cols.shape)
    dxp = cupy.zeros(xp.shape, dtype=dz.dtype)
    for index, (_, spatial) in enumerate(tap_slices(kernel_size, strides, dilation_rate, out)):
        dxp[(slice(None),) + spatial] += dcols[..., index, :]
    dx = pad(dxp, [(-lo, -hi) for lo, hi in padding])
    return cupy.ascontiguousarray(dx), dkernel


def _finish(y, shape, bias, activation):
    return bias_activation_inplace(y, bias, activation).reshape(shape)


def _dz_and_dbias(dy, y, activation):
    dz = activation_grad_from_output(dy, y, activation)
    return dz, dz.reshape(-1, dz.shape[-1]).sum(axis=0)


@hookimpl
def conv_forward(x, kernel, bias, strides, padding, dilation_rate, groups, activation):
    y, shape = conv_linear(x, kernel, strides, padding, dilation_rate, groups)
    return _finish(y, shape, bias, activation)


@hookimpl
def conv_backward(dy, x, kernel, y, strides, padding, dilation_rate, groups, activation,
                  need_dx):
    dz, dbias = _dz_and_dbias(dy, y, activation)
    dx, dkernel = conv_grads(dz, x, kernel, strides, padding, dilation_rate, groups, need_dx)
    return dx, dkernel, dbias


def _depthwise_kernel(kernel):
    return kernel.reshape(kernel.shape[:-2] + (1, kernel.shape[-2] * kernel.shape[-1]))


@hookimpl
def depthwise_conv_forward(x, kernel, bias, strides, padding, dilation_rate, activation):
    y, shape = conv_linear(x, _depthwise_kernel(kernel), strides, padding, dilation_rate,
                           x.shape[-1])
    return _finish(y, shape, bias, activation)


@hookimpl
def depthwise_conv_backward(dy, x, kernel, y, strides, padding, dilation_rate, activation,
                            need_dx):
    dz, dbias = _dz_and_dbias(dy, y, activation)
    dx, dkernel = conv_grads(dz, x, _depthwise_kernel(kernel), strides, padding, dilation_rate,
                             x.shape[-1], need_dx)
    return dx, dkernel.reshape(kernel.shape), dbias


def _stride_dilated(x, strides):
    """``x`` with ``stride - 1`` zeros between neighbours along each spatial axis."""
    if all(s == 1 for s in strides):
        return x
    shape = (x.shape[0],) + tuple((n - 1) * s + 1 for n, s in zip(x.shape[1:-1], strides)) \
        + (x.shape[-1],)
    xd = cupy.zeros(shape, dtype=x.dtype)
    xd[(slice(None),) + tuple(slice(None, None, s) for s in strides)] = x
    return xd


def _flipped(kernel):
    """(*k, filters, in) -> (*k, in, filters), flipped along every spatial axis."""
    rank = kernel.ndim - 2
    return cupy.ascontiguousarray(kernel[(slice(None, None, -1),) * rank].swapaxes(-1, -2))


@hookimpl
def conv_transpose_forward(x, kernel, bias, strides, padding, dilation_rate, activation):
    ones = (1,) * len(strides)
    y, shape = conv_linear(_stride_dilated(x, strides), _flipped(kernel), ones, padding,
                           dilation_rate, 1)
    return _finish(y, shape, bias, activation)


@hookimpl
def conv_transpose_backward(dy, x, kernel, y, strides, padding, dilation_rate, activation,
                            need_dx):
    dz, dbias = _dz_and_dbias(dy, y, activation)
    ones = (1,) * len(strides)
    dxd, dflipped = conv_grads(dz, _stride_dilated(x, strides), _flipped(kernel), ones, padding,
                               dilation_rate, 1, need_dx)
    dkernel = _flipped(dflipped)  # flipping and swapping again undoes it
    dx = None
    if need_dx:
        dx = cupy.ascontiguousarray(dxd[(slice(None),) + tuple(slice(None, None, s) for s in strides)])
    return dx, dkernel, dbias
