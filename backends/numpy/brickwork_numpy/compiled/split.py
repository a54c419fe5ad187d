"""Run a compiled row loop on both cores without numba's thread pool.

The compiled loops that sit between BLAS calls (Winograd transforms, direct
convolution, pooling gradients) are written as ``prange`` loops over a row
range ``[start, stop)``: compiled with ``parallel=True``, numba proves their
arrays do not alias, and only then does LLVM vectorize them. They are run
here on one numba thread each, by the calling thread and a helper thread
that sleeps (rather than spins) between calls; numba's own pool would spin
after each loop, fighting OpenBLAS's spinning threads for the two cores.

The rows are cut into a few pieces that both threads take in turn from a
shared queue, so when the helper finds no free core (OpenBLAS's worker still
spinning after a product, or another process), the calling thread simply
does more of the pieces instead of waiting for it.
"""
from __future__ import annotations

import contextlib
import os

import numba

from ..helper_thread import executor

#: Below this many rows a loop runs on the calling thread alone.
MIN_SPLIT_ROWS = 8

#: Pieces the rows are cut into for the two threads to share.
PIECES = 8

#: Calls with less work than this (multiply-adds, roughly) stay on the
#: calling thread: handing pieces to the helper and taking turns for the GIL
#: cost about a millisecond on a busy machine, more than splitting a few
#: milliseconds of work saves (the seed CNN's layers measured faster
#: unsplit; a 64->64 3x3 layer on 32x56x56, ~1.6e9, much faster split).
MIN_SPLIT_WORK = 5e8

@contextlib.contextmanager
def one_numba_thread():
    """Run ``prange`` loops called inside on the calling thread alone. Loops
    called many times in a row (one per time step) take this once around
    the whole sequence: switching costs a few microseconds each time."""
    saved = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        yield
    finally:
        numba.set_num_threads(saved)


def _single_threaded(function, start, stop, args):
    with one_numba_thread():
        return function(start, stop, *args)


def run_split(function, rows, *args, work, min_work=None):
    """``function(start, stop, *args)`` over pieces of ``range(rows)``, on two
    threads when ``work`` is at least ``min_work`` (default MIN_SPLIT_WORK,
    for loops that multiply-add; memory-bound loops pass their own
    threshold); returns the list of the calls' results (in no fixed order)."""
    if min_work is None:
        min_work = MIN_SPLIT_WORK
    if rows < MIN_SPLIT_ROWS or work < min_work or (os.cpu_count() or 1) < 2:
        return [_single_threaded(function, 0, rows, args)]
    step = -(-rows // PIECES)
    # One iterator shared by both threads: under the GIL each next() hands
    # a piece to exactly one of them.
    pieces = iter([(start, min(rows, start + step)) for start in range(0, rows, step)])
    pending = executor().submit(_take_pieces, function, pieces, args)
    try:
        mine = _take_pieces(function, pieces, args)
    finally:
        theirs = pending.result()
    return mine + theirs


def _take_pieces(function, pieces, args):
    with one_numba_thread():
        return [function(start, stop, *args) for start, stop in pieces]


def run_single(function, rows, *args):
    """``function(0, rows, *args)`` on the calling thread alone (for loops
    whose rows add into shared cells)."""
    return _single_threaded(function, 0, rows, args)
