"""Row gathers: the Embedding lookup and its scatter-add gradient."""
import numpy as xp  # replaced by bind()

from brickwork.plugin import hookimpl


@hookimpl
def take_rows_forward(table, indices):
    return xp.take(table, indices, axis=0)


def scatter_add_rows(dtable, rows, updates):
    """``dtable[rows[i]] += updates[i]``, repeated rows accumulating."""
    xp.add.at(dtable, rows, updates)  # unbuffered, unlike dtable[rows] += updates


@hookimpl
def take_rows_backward(dy, indices, num_rows):
    indices = xp.asarray(indices)
    rows = indices.reshape(-1)
    updates = dy.reshape(rows.size, -1)
    dtable = xp.zeros((num_rows, updates.shape[1]), dy.dtype)
    scatter_add_rows(dtable, rows, updates)
    return dtable.reshape(num_rows, *dy.shape[indices.ndim:])
