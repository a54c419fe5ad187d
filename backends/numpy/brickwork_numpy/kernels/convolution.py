"""Convolution kernels (plain, grouped, transposed and depthwise, N-d): the
reference's im2col + GEMM on NumPy, with faster algorithms where they pay.

With compiled loops on, 3x3 stride-1 2-D convolutions (and so their input
gradients) and their kernel gradients take Winograd F(2x2, 3x3) instead
(``compiled/winograd.py``: 2.25x fewer multiplies), 2-D convolutions of 1-3
input channels direct loops (``compiled/conv_loops.py``), and the 2-D
col2im of strided input gradients one compiled pass (``compiled/col2im.py``).
The im2col rows go through reused buffers (``_conv_utils``).
"""
from __future__ import annotations

import numpy as np

from brickwork.plugin import hookimpl
from brickwork.reference_kernels import bind, convolution

from .. import compiled
from . import _conv_utils, dense
from ._conv_utils import output_shape
from .activations import activation_grad_from_output, apply_activation

BRICKWORK_BACKEND = "numpy"

reference = bind(convolution, globals(), xp=np, dense=dense, geometry=_conv_utils)

#: Winograd F(2x2, 3x3) serves 3x3, stride-1, undilated, ungrouped 2-D
#: convolutions with at least this many input channels and filters (with
#: compiled loops on); below it the transforms cost more than they save.
WINOGRAD_MIN_CHANNELS = 4

#: Winograd also needs many tiles per image and at most this many channels:
#: measured against im2col (forward, backward; 2 threads), it lost on 13x13
#: and 14x14 images (the seed CNN's second layer: 1.20, 1.12) and with 256
#: channels (1.96, 1.97), and won from 28x28 with up to 128 (0.39-0.66).
WINOGRAD_MIN_OUTPUT = 20
WINOGRAD_MAX_CHANNELS = 128


def _winograd(kernel_shape, strides, dilation_rate, groups, out_spatial, x):
    """The compiled Winograd module when it serves this convolution (and is
    likely faster than im2col for its sizes), else None."""
    if (len(kernel_shape) != 4 or min(kernel_shape[-2:]) < WINOGRAD_MIN_CHANNELS
            or max(kernel_shape[-2:]) > WINOGRAD_MAX_CHANNELS
            or min(out_spatial) < WINOGRAD_MIN_OUTPUT):
        return None
    fast = compiled.module("winograd", x)
    if fast is None or not fast.applies(kernel_shape, strides, dilation_rate, groups):
        return None
    return fast


def _winograd_forward(fast, x, kernel, padding, bias, relu):
    out = output_shape(x.shape[1:-1], kernel.shape[:2], (1, 1), (1, 1), padding)
    return fast.conv2d(x, kernel, padding[0][0], padding[1][0], out, bias, relu)


def conv_linear(x, kernel, strides, padding, dilation_rate, groups):
    """The cross-correlation of :func:`conv_forward` without bias or activation
    (Winograd where it serves). ``padding`` pairs may be negative (crop)."""
    out = output_shape(x.shape[1:-1], kernel.shape[:-2], strides, dilation_rate, padding)
    fast = _winograd(kernel.shape, strides, dilation_rate, groups, out, x)
    if fast is None:
        return reference.conv_linear(x, kernel, strides, padding, dilation_rate, groups)
    return _winograd_forward(fast, x, kernel, padding, None, False)


def conv_kernel_grad(x, dz, kernel_shape, strides, padding, dilation_rate, groups):
    """Gradient of :func:`conv_linear` with respect to its kernel."""
    fast = _winograd(kernel_shape, strides, dilation_rate, groups, dz.shape[1:-1], x)
    if fast is None:
        return reference.conv_kernel_grad(x, dz, kernel_shape, strides, padding, dilation_rate,
                                          groups)
    return fast.conv2d_kernel_grad(x, dz, padding[0][0], padding[1][0])


def _prefers_gather(kernel_shape, strides, dilation_rate, groups, out_spatial, x):
    # A stride-1 input gradient that Winograd serves is faster as a gather.
    return _winograd(kernel_shape, strides, dilation_rate, groups, out_spatial, x) is not None


def _col2im(target, cols, kernel_size, strides, dilation_rate, out_spatial):
    # 2-D: the compiled col2im adds every tap's rows in one pass.
    fused = compiled.module("col2im", cols) if len(kernel_size) == 2 else None
    if fused is None:
        reference._col2im(target, cols, kernel_size, strides, dilation_rate, out_spatial)
    else:
        fused.col2im_2d(target, np.ascontiguousarray(cols), kernel_size[1], strides,
                        dilation_rate)


def _direct(kernel_shape, groups, x):
    """The compiled direct loops when they serve this convolution (2-D, very
    few input channels), else None."""
    direct = compiled.module("conv_loops", x) if len(kernel_shape) == 4 else None
    return (direct if direct is not None and direct.applies(kernel_shape, groups, x.shape[1:-1])
            else None)


@hookimpl
def conv_forward(x, kernel, bias, strides, padding, dilation_rate, groups, activation):
    direct = _direct(kernel.shape, groups, x)
    if direct is not None:
        relu = activation == "relu"
        out = output_shape(x.shape[1:-1], kernel.shape[:2], strides, dilation_rate, padding)
        y = direct.conv2d(np.ascontiguousarray(x), kernel, bias, strides, padding, dilation_rate,
                          out, relu)
        return y if relu else apply_activation(y, activation, inplace=True)
    out = output_shape(x.shape[1:-1], kernel.shape[:-2], strides, dilation_rate, padding)
    fast = _winograd(kernel.shape, strides, dilation_rate, groups, out, x)
    if fast is not None:
        # Bias and ReLU are fused into the output transform.
        relu = activation == "relu"
        y = _winograd_forward(fast, x, kernel, padding, bias, relu)
        return y if relu else apply_activation(y, activation, inplace=True)
    return reference.conv_forward(x, kernel, bias, strides, padding, dilation_rate, groups,
                                  activation)


@hookimpl
def conv_backward(dy, x, kernel, y, strides, padding, dilation_rate, groups, activation,
                  need_dx):
    direct = _direct(kernel.shape, groups, x)
    if direct is None:
        return reference.conv_backward(dy, x, kernel, y, strides, padding, dilation_rate, groups,
                                       activation, need_dx)
    # The ReLU derivative is fused into the compiled kernel-gradient loop.
    fused = activation in ("relu", "linear")
    dz = np.ascontiguousarray(dy if fused else activation_grad_from_output(dy, y, activation))
    dkernel, dbias = direct.conv2d_kernel_and_bias_grad(
        np.ascontiguousarray(x), dz, np.ascontiguousarray(y), kernel.shape, strides, padding,
        dilation_rate, activation == "relu")
    dx = None
    if need_dx:
        if fused:
            dz = np.ascontiguousarray(activation_grad_from_output(dy, y, activation))
        dx = conv_input_grad(dz, kernel, x.shape[1:-1], strides, [lo for lo, _ in padding],
                             dilation_rate, 1)
    return dx, dkernel, dbias
