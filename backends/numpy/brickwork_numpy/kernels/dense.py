"""Dense layer: one GEMM with bias and activation applied in place.

With compiled loops on, the epilogues (bias and activation after the
forward GEMM; activation gradient and bias gradient before the backward
GEMMs) take one pass each (``compiled/dense.py``) for the activations it
knows; otherwise, and for the other activations, NumPy's passes below.
"""
import numpy as np

from brickwork.plugin import hookimpl

from .. import compiled
from .activations import activation_grad_from_output, apply_activation

BRICKWORK_BACKEND = "numpy"

_COMPILED_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def _as_matrix(a):
    # A contiguous (..., n) array as (rows, n) without copying; BLAS then sees
    # one large product instead of a batch of small ones.
    return a.reshape(-1, a.shape[-1])


def _compiled_epilogues(activation, y, *others):
    """The compiled epilogue module and the activation's code, or (None, None)
    when compiled loops are off, the activation has no compiled epilogue, or
    the arrays are not all of ``y``'s float dtype."""
    loops = compiled.module("dense")
    if loops is None or activation not in loops.CODES or y.dtype not in _COMPILED_DTYPES:
        return None, None
    if any(a is not None and a.dtype != y.dtype for a in others):
        return None, None
    return loops, loops.CODES[activation]


@hookimpl
def dense_forward(x, kernel, bias, activation):
    y = _as_matrix(x) @ kernel
    loops, code = _compiled_epilogues(activation, y, bias)
    if loops is not None:
        loops.bias_activation(y, bias, code)
    else:
        if bias is not None:
            y += bias
        y = apply_activation(y, activation, inplace=True)
    return y.reshape(*x.shape[:-1], kernel.shape[1])


@hookimpl
def dense_backward(dy, x, kernel, y, activation, need_dx):
    dy2, y2 = _as_matrix(dy), _as_matrix(y)
    loops, code = _compiled_epilogues(activation, y2, dy2)
    if loops is not None and dy2.shape == y2.shape:
        dz = np.empty(y2.shape, y2.dtype)
        dbias = np.empty(y2.shape[1], y2.dtype)
        loops.activation_grad_and_bias_grad(dy2, y2, code, dz, dbias)
    else:
        dz = _as_matrix(activation_grad_from_output(dy, y, activation))
        dbias = dz.sum(axis=0)
    dkernel = _as_matrix(x).T @ dz
    dx = (dz @ kernel.T).reshape(x.shape) if need_dx else None
    return dx, dkernel, dbias
