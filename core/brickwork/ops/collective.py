"""Sums over the processes of a data-parallel run, as differentiable ops.

``sum_over_processes(x)`` is ``x`` summed over every process of the active
distribution (``brickwork.distribution``), and ``x`` itself without one. Its
gradient is the sum of the processes' gradients: each process's loss
depends on every process's ``x``. Both passes are collectives, so every
process must call it in the same order (the same model code does).
"""
from __future__ import annotations

import numpy as np

from brickwork import distribution_state
from brickwork.ops.core import convert_to_numpy, convert_to_tensor, data_of, needs_grad, record


def sum_over_processes(x):
    distribution = distribution_state.active_distribution()
    if distribution is None:
        return x
    communicator = distribution.communicator
    data = data_of(x)
    dtype = str(data.dtype)

    def summed(value):
        host = np.array(convert_to_numpy(value), dtype=dtype, copy=True, order="C")
        return convert_to_tensor(communicator.allreduce_sum(host))
    out = data_of(summed(data))
    if not needs_grad(x):
        return out
    return record(out, (x,), lambda g: (data_of(summed(g)),))
