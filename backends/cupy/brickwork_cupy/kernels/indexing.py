"""Row gathers: the Embedding lookup and its scatter-add gradient (atomic adds)."""
from __future__ import annotations

import cupy
import cupyx

from brickwork.plugin import hookimpl

BRICKWORK_BACKEND = "cupy"


@hookimpl
def take_rows_forward(table, indices):
    return cupy.take(table, indices, axis=0)


@hookimpl
def take_rows_backward(dy, indices, num_rows):
    rows = cupy.asarray(indices).reshape(-1)
    updates = dy.reshape(rows.size, -1)
    dtable = cupy.zeros((num_rows, updates.shape[1]), dy.dtype)
    cupyx.scatter_add(dtable, rows, updates)
    return dtable.reshape(num_rows, *dy.shape[indices.ndim:])
