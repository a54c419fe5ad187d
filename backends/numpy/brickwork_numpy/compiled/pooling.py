"""The max-pooling gradient over 1-D and 2-D windows (channels last) in one pass.

The NumPy path finds the gradient's "first maximum" with boolean
bookkeeping: several passes over the input per tap. Here each output
pixel's window is read once, vectorized over the channels. The gradient
goes to the first cell (row-major) equal to the maximum, as the spec asks,
tracked by a per-channel "already taken" flag. Any pool size, stride and
padding (padded cells are skipped). (The forward stays in NumPy: its strided
``np.maximum`` passes were as fast as a compiled loop alone, and faster in a
train step.)

Where windows tile the input (pool size equal to the stride, no padding:
Keras' default ``MaxPooling2D()``), every input cell belongs to at most one
window, so the gradient writes each cell once instead of zero-filling the
whole input first and adding into it.

Loops are ``prange`` loops over output rows, run one numba thread per core
by :func:`.split.run_split`; as in ``conv_loops``, conditions are plain
``if`` statements or non-short-circuit ``&``/``|`` so numba sees no
possible aliases and LLVM vectorizes.
"""
from __future__ import annotations

import numpy as np

from .jit import jit, prange
from .split import run_single, run_split

#: These loops are memory-bound: split them over both cores from this many
#: input cells (the seed CNN's first pooling, 2.8e6 cells, ran 1.8x faster
#: split; its second, 1e6, no faster).
MIN_SPLIT_CELLS = 2e6


@jit(parallel=True)
def _max_pool_grad_rows(first, last, dy, x, y, pool_h, pool_w, stride_h, stride_w, top, left,
                        dx):
    """Add rows ``first:last``'s gradients into ``dx`` (zeros beforehand).
    Rows of overlapping windows may add into the same cells: run on one
    thread, or split only where windows do not overlap across rows."""
    _, height, width, channels = x.shape
    out_h, out_w = y.shape[1], y.shape[2]
    zero = dx.dtype.type(0)
    for row in prange(first, last):
        taken = np.empty(channels, dtype=np.uint8)
        b, i = row // out_h, row % out_h
        r0 = i * stride_h - top
        for j in range(out_w):
            s0 = j * stride_w - left
            for c in range(channels):
                taken[c] = 0
            for r in range(max(r0, 0), min(r0 + pool_h, height)):
                for s in range(max(s0, 0), min(s0 + pool_w, width)):
                    for c in range(channels):
                        hit = (x[b, r, s, c] == y[b, i, j, c]) & (taken[c] == 0)
                        dx[b, r, s, c] += dy[b, i, j, c] if hit else zero
                        taken[c] |= hit


@jit(parallel=True)
def _tiled_max_pool_grad_rows(first, last, dy, x, y, pool_h, pool_w, dx):
    """Write rows ``first:last``'s gradients into ``dx`` for windows that
    tile the input: every covered cell is written exactly once."""
    channels = x.shape[3]
    out_h, out_w = y.shape[1], y.shape[2]
    zero = dx.dtype.type(0)
    for row in prange(first, last):
        taken = np.empty(channels, dtype=np.uint8)
        b, i = row // out_h, row % out_h
        for j in range(out_w):
            for c in range(channels):
                taken[c] = 0
            for r in range(i * pool_h, i * pool_h + pool_h):
                for s in range(j * pool_w, j * pool_w + pool_w):
                    for c in range(channels):
                        hit = (x[b, r, s, c] == y[b, i, j, c]) & (taken[c] == 0)
                        dx[b, r, s, c] = dy[b, i, j, c] if hit else zero
                        taken[c] |= hit


def _as_2d(array, rank):
    """A 1-D pooling's ``(batch, n, c)`` array as ``(batch, 1, n, c)``."""
    return array[:, None] if rank == 1 else array


def applies(pool_size):
    return len(pool_size) in (1, 2)


def _geometry(pool_size, strides, padding):
    if len(pool_size) == 1:
        return (1, pool_size[0], 1, strides[0], 0, padding[0][0])
    return (pool_size[0], pool_size[1], strides[0], strides[1], padding[0][0], padding[1][0])


def _tiles(pool_size, strides, padding):
    """Whether the windows tile the input (no overlap, no padding)."""
    return tuple(pool_size) == tuple(strides) and all(lo == hi == 0 for lo, hi in padding)


def max_pool_grad(dy, x, y, pool_size, strides, padding):
    rank = len(pool_size)
    dy2, x2, y2 = (_as_2d(np.ascontiguousarray(a), rank) for a in (dy, x, y))
    geometry = _geometry(pool_size, strides, padding)
    pool_h, pool_w, stride_h = geometry[0], geometry[1], geometry[2]
    rows = dy2.shape[0] * dy2.shape[1]
    if _tiles(pool_size, strides, padding):
        dx = np.empty(x2.shape, dtype=dy.dtype)
        run_split(_tiled_max_pool_grad_rows, rows, dy2, x2, y2, pool_h, pool_w, dx,
                  work=x.size, min_work=MIN_SPLIT_CELLS)
        # Cells past the last whole window get no gradient.
        dx[:, dy2.shape[1] * pool_h:] = 0
        dx[:, :, dy2.shape[2] * pool_w:] = 0
    else:
        dx = np.zeros(x2.shape, dtype=dy.dtype)
        # Windows of different output rows share no input cells when they
        # do not overlap vertically; the two threads can then write at once.
        if pool_h <= stride_h or dy2.shape[1] == 1:
            run_split(_max_pool_grad_rows, rows, dy2, x2, y2, *geometry, dx,
                      work=x.size, min_work=MIN_SPLIT_CELLS)
        else:
            run_single(_max_pool_grad_rows, rows, dy2, x2, y2, *geometry, dx)
    return dx[:, 0] if rank == 1 else dx
