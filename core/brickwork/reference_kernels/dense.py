"""Dense layer: one GEMM, then bias and activation applied in place.

``bias_and_activation`` and ``activation_and_bias_grads`` are the epilogues
of every GEMM-based kernel (the convolutions use them too): the place where
a backend fuses those passes into one.
"""
import numpy as xp  # replaced by bind()

from brickwork.plugin import hookimpl

from . import activations, reductions


def _as_matrix(a):
    # A contiguous (..., n) array as (rows, n) without copying; BLAS then sees
    # one large product instead of a batch of small ones.
    return a.reshape(-1, a.shape[-1])


def bias_and_activation(y, bias, activation):
    """``activation(y + bias)`` of a fresh ``(rows, units)`` product, in
    place where possible."""
    if bias is not None:
        y += bias
    return activations.apply_activation(y, activation, inplace=True)


def activation_and_bias_grads(dy, y, activation):
    """``(dz, dbias)``: the gradient before the activation of a
    ``(rows, units)`` output and its sum over rows."""
    dz = _as_matrix(activations.activation_grad_from_output(dy, y, activation))
    return dz, reductions.column_sums(dz)


@hookimpl
def dense_forward(x, kernel, bias, activation):
    y = bias_and_activation(xp.matmul(_as_matrix(x), kernel), bias, activation)
    return y.reshape(*x.shape[:-1], kernel.shape[1])


@hookimpl
def dense_backward(dy, x, kernel, y, activation, need_dx):
    dz, dbias = activation_and_bias_grads(_as_matrix(dy), _as_matrix(y), activation)
    dkernel = xp.matmul(_as_matrix(x).T, dz)
    dx = xp.matmul(dz, kernel.T).reshape(x.shape) if need_dx else None
    return dx, dkernel, dbias
