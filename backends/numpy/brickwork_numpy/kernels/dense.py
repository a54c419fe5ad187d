"""Dense layer: one GEMM with bias and activation applied in place.

With compiled loops on, the epilogues (bias and activation after the
forward GEMM; activation gradient and bias gradient before the backward
GEMMs) take one pass each (``compiled/dense.py``) for the activations it
knows; otherwise, and for the other activations, NumPy's passes below.
"""
import numpy as np

from brickwork.plugin import hookimpl

from .. import compiled
from ._reductions import column_sums
from .activations import activation_grad_from_output, apply_activation

BRICKWORK_BACKEND = "numpy"



def _as_matrix(a):
    # A contiguous (..., n) array as (rows, n) without copying; BLAS then sees
    # one large product instead of a batch of small ones.
    return a.reshape(-1, a.shape[-1])


def _compiled_epilogues(activation, y, *others):
    """The compiled epilogue module and the activation's code, or (None, None)
    when compiled loops are off, the activation has no compiled epilogue, or
    the arrays are not all of ``y``'s float dtype."""
    loops = compiled.module("dense")
    if loops is None or activation not in loops.CODES or y.dtype not in compiled.COMPILED_DTYPES:
        return None, None
    if any(a is not None and a.dtype != y.dtype for a in others):
        return None, None
    return loops, loops.CODES[activation]


def bias_and_activation(y, bias, activation):
    """``activation(y + bias)`` of a fresh ``(rows, units)`` product, in
    place where possible (one compiled pass, or NumPy's passes); also the
    epilogue of the convolution kernels' GEMMs."""
    loops, code = _compiled_epilogues(activation, y, bias)
    if loops is not None:
        loops.bias_activation(y, bias, code)
        return y
    if bias is not None:
        y += bias
    return apply_activation(y, activation, inplace=True)


def activation_and_bias_grads(dy, y, activation):
    """``(dz, dbias)``: the gradient before the activation of a
    ``(rows, units)`` output and its sum over rows."""
    loops, code = _compiled_epilogues(activation, y, dy)
    if loops is not None and dy.shape == y.shape:
        dz = np.empty(y.shape, y.dtype)
        dbias = np.empty(y.shape[1], y.dtype)
        loops.activation_grad_and_bias_grad(dy, y, code, dz, dbias)
        return dz, dbias
    dz = _as_matrix(activation_grad_from_output(dy, y, activation))
    return dz, column_sums(dz)


@hookimpl
def dense_forward(x, kernel, bias, activation):
    y = bias_and_activation(_as_matrix(x) @ kernel, bias, activation)
    return y.reshape(*x.shape[:-1], kernel.shape[1])


@hookimpl
def dense_backward(dy, x, kernel, y, activation, need_dx):
    dz, dbias = activation_and_bias_grads(_as_matrix(dy), _as_matrix(y), activation)
    dkernel = _as_matrix(x).T @ dz
    dx = (dz @ kernel.T).reshape(x.shape) if need_dx else None
    return dx, dkernel, dbias
