"""Launch helpers of the fused kernels (``fused_*`` modules)."""
from __future__ import annotations

import cupy
import numpy as np

from brickwork_cupy import cuda
from brickwork_cupy.cuda.common import BLOCK

I64 = np.int64
I32 = np.int32


def contiguous(a, dtype=None):
    return cupy.ascontiguousarray(a, dtype=dtype)


def launch(source, name, dtype, n, args):
    """Grid-stride launch of an elementwise kernel over ``n`` elements."""
    if n:
        cuda.kernel(source, name, dtype)(cuda.grid(n), (BLOCK,), args)


def launch_rows(source, name, dtype, rows, args):
    """One block per row."""
    if rows:
        cuda.kernel(source, name, dtype)((int(rows),), (BLOCK,), args)


def scalar(dtype, value):
    """A kernel scalar argument of type ``T``."""
    return np.dtype(dtype).type(value)


class InPlace:
    """Contiguous working views of arrays updated in place by a kernel.

    Arrays that are already C-contiguous are used directly; any other is
    copied, and :meth:`write_back` copies the result into the original.
    """

    def __init__(self, *arrays):
        self.originals = arrays
        self.work = tuple(None if a is None else (a if a.flags.c_contiguous else contiguous(a))
                          for a in arrays)

    def write_back(self):
        for original, work in zip(self.originals, self.work):
            if original is not None and work is not original:
                original[...] = work
