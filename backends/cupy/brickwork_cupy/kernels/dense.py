"""Dense layer: one cuBLAS GEMM, then bias and activation in one fused launch."""
from __future__ import annotations

import cupy

from brickwork.plugin import hookimpl

from .activations import activation_grad_from_output, bias_activation_inplace

BRICKWORK_BACKEND = "cupy"


def _as_matrix(a):
    return a.reshape(-1, a.shape[-1])


@hookimpl
def dense_forward(x, kernel, bias, activation):
    y = cupy.matmul(_as_matrix(x), kernel)  # fresh, C-contiguous (rows, out)
    bias_activation_inplace(y, bias, activation)
    return y.reshape(*x.shape[:-1], kernel.shape[1])


@hookimpl
def dense_backward(dy, x, kernel, y, activation, need_dx):
    dz = _as_matrix(activation_grad_from_output(dy, y, activation))
    dkernel = cupy.matmul(_as_matrix(x).T, dz)
    dbias = dz.sum(axis=0)
    dx = cupy.matmul(dz, kernel.T).reshape(x.shape) if need_dx else None
    return dx, dkernel, dbias
