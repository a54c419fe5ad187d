"""Reductions shared by several kernel families."""
import numpy as xp  # replaced by bind()


def column_sums(a):
    """The sum of ``a`` over all axes but the last (a bias gradient)."""
    return xp.ascontiguousarray(a).reshape(-1, a.shape[-1]).sum(axis=0)
