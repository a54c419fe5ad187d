"""Run a compiled row loop on both cores without numba's thread pool.

The compiled loops that sit between BLAS calls (Winograd transforms, im2col
copies) are written as ``prange`` loops over a row range ``[start, stop)``:
compiled with ``parallel=True``, numba proves their arrays do not alias, and
only then does LLVM vectorize them. They are run here on one numba thread
each, half of the rows on the calling thread and half on a helper thread
that sleeps (rather than spins) between calls. numba's own pool would spin
after each loop, fighting OpenBLAS's spinning threads for the two cores; on
a busy machine that cost several milliseconds per switch.
"""
from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numba

#: Below this many rows a loop runs on the calling thread alone.
MIN_SPLIT_ROWS = 8

_helper = None
_helper_lock = threading.Lock()


def _executor():
    global _helper
    with _helper_lock:
        if _helper is None:
            _helper = ThreadPoolExecutor(max_workers=1, thread_name_prefix="brickwork-loops")
        return _helper


def _single_threaded(function, start, stop, args):
    saved = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        return function(start, stop, *args)
    finally:
        numba.set_num_threads(saved)


def run_split(function, rows, *args):
    """``function(start, stop, *args)`` over ``range(rows)``, split in two
    halves; returns the list of the calls' results."""
    if rows < MIN_SPLIT_ROWS or (os.cpu_count() or 1) < 2:
        return [_single_threaded(function, 0, rows, args)]
    half = rows // 2
    pending = _executor().submit(_single_threaded, function, half, rows, args)
    try:
        first = _single_threaded(function, 0, half, args)
    finally:
        second = pending.result()
    return [first, second]


def run_single(function, rows, *args):
    """``function(0, rows, *args)`` on the calling thread alone (for loops
    whose rows add into shared cells)."""
    return _single_threaded(function, 0, rows, args)
