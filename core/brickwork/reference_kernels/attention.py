"""Attention kernels: the masked softmax, in one pass per step of the softmax."""
import numpy as xp  # replaced by bind()

from brickwork.plugin import hookimpl


@hookimpl
def masked_softmax_forward(x, mask, axis):
    if mask is None:
        y = x - x.max(axis=axis, keepdims=True)
    else:
        # exp(-inf) is exactly 0: masked entries drop out of the sum.
        y = xp.where(mask, x, x.dtype.type(-xp.inf))
        top = y.max(axis=axis, keepdims=True)
        top[~xp.isfinite(top)] = 0  # fully masked slices stay -inf, then 0
        y -= top
    xp.exp(y, out=y)
    total = y.sum(axis=axis, keepdims=True)
    total[total == 0] = 1  # fully masked slices: 0 / 1
    y /= total
    return y
