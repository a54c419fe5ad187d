"""Dense layer: one GEMM with bias and activation applied in place."""
import numpy as np

from brickwork.plugin import hookimpl

from .activations import activation_grad_from_output, apply_activation

BRICKWORK_BACKEND = "numpy"


def _as_matrix(a):
    # A contiguous (..., n) array as (rows, n) without copying; BLAS then sees
    # one large product instead of a batch of small ones.
    return a.reshape(-1, a.shape[-1])


@hookimpl
def dense_forward(x, kernel, bias, activation):
    y = _as_matrix(x) @ kernel
    if bias is not None:
        y += bias
    y = apply_activation(y, activation, inplace=True)
    return y.reshape(*x.shape[:-1], kernel.shape[1])


@hookimpl
def dense_backward(dy, x, kernel, y, activation, need_dx):
    dz = _as_matrix(activation_grad_from_output(dy, y, activation))
    dkernel = _as_matrix(x).T @ dz
    dbias = dz.sum(axis=0)
    dx = (dz @ kernel.T).reshape(x.shape) if need_dx else None
    return dx, dkernel, dbias
