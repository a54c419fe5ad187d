"""Activations, softmax and log-softmax: one fused kernel launch each way
(the CUDA text is ``activations.py`` beside this module).

These replace the reference's activations in ``brickwork_cupy.kernels``
(and, through ``apply_activation``, ``activation_grad_from_output`` and
``bias_and_activation``, the epilogues of dense and convolution kernels and
the recurrent gates) unless ``BRICKWORK_CUPY_REFERENCE`` says otherwise.
"""
from __future__ import annotations

import cupy

from brickwork.plugin import hookimpl

from .activations import ACTIVATION_CODES
from .launch import I32, I64, contiguous, launch, launch_rows

SOURCE = "activations"
ROW_ACTIVATIONS = {"softmax": 0, "log_softmax": 1}


def activation_code(name):
    try:
        return ACTIVATION_CODES[name]
    except KeyError:
        raise ValueError(f"cupy backend: unknown activation {name!r}") from None


def softmax_last_axis(x, log, out=None):
    """Softmax (``log`` False) or log-softmax over the last axis; ``out`` may be ``x``."""
    x = contiguous(x)
    y = cupy.empty_like(x) if out is None else out
    n = x.shape[-1] if x.ndim else 1
    if x.size:
        launch_rows(SOURCE, "softmax_rows", x.dtype, x.size // n, (x, y, I64(n), I32(int(log))))
    return y


def softmax_last_axis_backward(dy, y, log):
    dy, y = contiguous(dy, y.dtype), contiguous(y)
    dx = cupy.empty_like(y)
    n = y.shape[-1] if y.ndim else 1
    if y.size:
        launch_rows(SOURCE, "softmax_rows_backward", y.dtype, y.size // n,
                    (dy, y, dx, I64(n), I32(int(log))))
    return dx


def _along(axis, fn, *arrays):
    """Apply a last-axis row function along ``axis``."""
    ndim = arrays[0].ndim
    axis = axis % ndim if ndim else 0
    if axis == ndim - 1 or ndim == 0:
        return fn(*arrays)
    moved = [cupy.moveaxis(a, axis, -1) for a in arrays]
    return contiguous(cupy.moveaxis(fn(*moved), -1, axis))


def apply_activation(x, name, inplace=False):
    """Activation ``name`` of ``x``; may overwrite ``x`` when ``inplace``."""
    if name in ROW_ACTIVATIONS:
        return softmax_last_axis(x, ROW_ACTIVATIONS[name], out=x if inplace else None)
    code = activation_code(name)
    shape = x.shape
    x = contiguous(x)
    y = x if inplace else cupy.empty_like(x)
    launch(SOURCE, "activation_forward", x.dtype, x.size, (x, y, I64(x.size), I32(code)))
    return y.reshape(shape)


def activation_grad_from_output(dy, y, name):
    """``dx`` for activations whose derivative is a function of the output."""
    if name in ROW_ACTIVATIONS:
        return softmax_last_axis_backward(dy, y, ROW_ACTIVATIONS[name])
    return _elementwise_backward(dy, y, y, name)


def _elementwise_backward(dy, x, y, name):
    code = activation_code(name)
    shape = y.shape
    y = contiguous(y)
    x = contiguous(x, y.dtype)
    dy = contiguous(cupy.broadcast_to(dy, y.shape), y.dtype)
    dx = cupy.empty_like(y)
    launch(SOURCE, "activation_backward", y.dtype, y.size, (dy, x, y, dx, I64(y.size), I32(code)))
    return dx.reshape(shape)


def bias_and_activation(y, bias, activation):
    """``activation(y + bias)`` in place on a fresh C-contiguous ``(rows, out)``
    array, bias and activation fused in one launch (softmax: a second, row launch)."""
    row_op = activation in ROW_ACTIVATIONS
    code = 0 if row_op else activation_code(activation)
    if bias is not None or code != 0:
        b = y if bias is None else contiguous(bias, y.dtype)
        launch(SOURCE, "bias_activation_forward", y.dtype, y.size,
               (y, b, I64(y.size), I64(y.shape[-1]), I32(bias is not None), I32(code)))
    if row_op:
        softmax_last_axis(y, ROW_ACTIVATIONS[activation], out=y)
    return y


@hookimpl
def activation_forward(x, activation):
    return apply_activation(x, activation)


@hookimpl
def activation_backward(dy, x, y, activation):
    if activation in ROW_ACTIVATIONS:
        return softmax_last_axis_backward(dy, y, ROW_ACTIVATIONS[activation])
    return _elementwise_backward(dy, x, y, activation)


@hookimpl
def softmax_forward(x, axis):
    return _along(axis, lambda a: softmax_last_axis(a, False), x)


@hookimpl
def softmax_backward(dy, y, axis):
    return _along(axis, lambda d, o: softmax_last_axis_backward(d, o, False), dy, y)


@hookimpl
def log_softmax_forward(x, axis):
    return _along(axis, lambda a: softmax_last_axis(a, True), x)


@hookimpl
def log_softmax_backward(dy, y, axis):
    return _along(axis, lambda d, o: softmax_last_axis_backward(d, o, True), dy, y)
