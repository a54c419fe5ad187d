"""Dense layer: one cuBLAS GEMM, then bias and activation in one fused launch."""
from __future__ import annotations

import cupy

from brickwork.plugin import hookimpl

from ._launch import I32, I64, launch
from .activations import ROW_ACTIVATIONS, SOURCE, activation_code, activation_grad_from_output, \
    softmax_last_axis

BRICKWORK_BACKEND = "cupy"


def _as_matrix(a):
    return a.reshape(-1, a.shape[-1])


@hookimpl
def dense_forward(x, kernel, bias, activation):
    y = cupy.matmul(_as_matrix(x), kernel)  # fresh, C-contiguous (rows, out)
    out = kernel.shape[1]
    row_op = activation in ROW_ACTIVATIONS
    code = 0 if row_op else activation_code(activation)
    if bias is not None or code != 0:
        b = y if bias is None else cupy.ascontiguousarray(bias, dtype=y.dtype)
        launch(SOURCE, "bias_activation_forward", y.dtype, y.size,
               (y, b, I64(y.size), I64(out), I32(bias is not None), I32(code)))
    if row_op:
        softmax_last_axis(y, ROW_ACTIVATIONS[activation], out=y)
    return y.reshape(*x.shape[:-1], out)


@hookimpl
def dense_backward(dy, x, kernel, y, activation, need_dx):
    dz = _as_matrix(activation_grad_from_output(dy, y, activation))
    dkernel = cupy.matmul(_as_matrix(x).T, dz)
    dbias = dz.sum(axis=0)
    dx = cupy.matmul(dz, kernel.T).reshape(x.shape) if need_dx else None
    return dx, dkernel, dbias
