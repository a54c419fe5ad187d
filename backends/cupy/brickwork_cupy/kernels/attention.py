"""Attention kernels: the masked softmax, transcribed from the NumPy backend onto
CuPy arrays (a handful of launches; a fused row kernel is a later increment)."""
import cupy as cp

from brickwork.plugin import hookimpl

BRICKWORK_BACKEND = "cupy"


@hookimpl
def masked_softmax_forward(x, mask, axis):
    if mask is None:
        y = x - x.max(axis=axis, keepdims=True)
    else:
        # exp(-inf) is exactly 0: masked entries drop out of the sum.
        y = cp.where(mask, x, x.dtype.type(-cp.inf))
        top = y.max(axis=axis, keepdims=True)
        top[~cp.isfinite(top)] = 0  # fully masked slices stay -inf, then 0
        y -= top
    cp.exp(y, out=y)
    total = y.sum(axis=axis, keepdims=True)
    total[total == 0] = 1  # fully masked slices: 0 / 1
    y /= total
    return y
