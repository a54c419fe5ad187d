"""Attention kernels: the masked softmax, in one pass per step of the softmax."""
import numpy as np

from brickwork.plugin import hookimpl

BRICKWORK_BACKEND = "numpy"


@hookimpl
def masked_softmax_forward(x, mask, axis):
    if mask is None:
        y = x - x.max(axis=axis, keepdims=True)
    else:
        # exp(-inf) is exactly 0: masked entries drop out of the sum.
        y = np.where(mask, x, np.array(-np.inf, x.dtype))
        top = y.max(axis=axis, keepdims=True)
        top[~np.isfinite(top)] = 0  # fully masked slices stay -inf, then 0
        y -= top
    np.exp(y, out=y)
    total = y.sum(axis=axis, keepdims=True)
    total[total == 0] = 1  # fully masked slices: 0 / 1
    y /= total
    return y
