"""Scatter-add of rows, the gradient of an Embedding lookup."""
from __future__ import annotations

from .jit import jit


@jit
def scatter_add_rows(target, rows, updates):
    """``target[rows[k]] += updates[k]`` for every k, in order (repeated rows
    accumulate). target ``(N, D)``, rows ``(K,)``, updates ``(K, D)``."""
    for k in range(rows.shape[0]):
        r = rows[k]
        for j in range(updates.shape[1]):
            target[r, j] += updates[k, j]
