"""The one place that sets numba's compile options for brickwork's loops."""
from __future__ import annotations

import numba

# Value-safe fast-math: allow FMA contraction, reciprocal and reassociation
# (so loops vectorize), but keep NaN and inf semantics ("nnan"/"ninf" off),
# so bad values still propagate as they do in NumPy.
FASTMATH = {"contract", "arcp", "reassoc", "nsz", "afn"}

# error_model="numpy": float division by zero gives inf/nan instead of a
# Python exception; the exception check would stop loops from vectorizing.
JIT_OPTIONS = dict(nogil=True, error_model="numpy", fastmath=FASTMATH)
_OPTIONS = dict(JIT_OPTIONS, cache=True)


def jit(function=None, *, parallel=False, inline=False):
    """``numba.njit`` with brickwork's options; ``parallel=True`` enables
    ``numba.prange``; ``inline=True`` for small helpers used inside loops."""
    options = dict(_OPTIONS, parallel=parallel)
    if inline:
        options["inline"] = "always"
    decorator = numba.njit(**options)
    return decorator if function is None else decorator(function)


prange = numba.prange


def thread_count() -> int:
    return numba.get_num_threads()
