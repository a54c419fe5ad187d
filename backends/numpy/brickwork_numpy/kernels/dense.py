"""Dense layer: the reference kernels on NumPy (one BLAS GEMM each way).

With compiled loops on, the epilogues (bias and activation after the
forward GEMM; activation gradient and bias gradient before the backward
GEMMs) take one pass each (``compiled/dense.py``) for the activations it
knows; otherwise, and for the other activations, the reference's passes.
The convolution kernels share these epilogues.
"""
import numpy as np

from brickwork.reference_kernels import bind, dense

from .. import compiled
from . import _reductions, activations

BRICKWORK_BACKEND = "numpy"

reference = bind(dense, globals(), xp=np, activations=activations, reductions=_reductions)


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
    place: one compiled pass where it applies."""
    loops, code = _compiled_epilogues(activation, y, bias)
    if loops is None:
        return reference.bias_and_activation(y, bias, activation)
    loops.bias_activation(y, bias, code)
    return y


def activation_and_bias_grads(dy, y, activation):
    """``(dz, dbias)`` of a ``(rows, units)`` output: one compiled pass
    where it applies."""
    loops, code = _compiled_epilogues(activation, y, dy)
    if loops is None or dy.shape != y.shape:
        return reference.activation_and_bias_grads(dy, y, activation)
    dz = np.empty(y.shape, y.dtype)
    dbias = np.empty(y.shape[1], y.dtype)
    loops.activation_grad_and_bias_grad(dy, y, code, dz, dbias)
    return dz, dbias
