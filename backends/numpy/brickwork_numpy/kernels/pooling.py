"""Max and average pooling, N-d, channels last: the reference kernels on
NumPy. With compiled loops on, the 1-D and 2-D max-pooling gradient reads
each window once instead (``compiled/pooling.py``). The forward stays the
reference's: a compiled forward measured as fast alone and 2-4% slower
inside the seed CNN's train step.
"""
from __future__ import annotations

import numpy as np

from brickwork.plugin import hookimpl
from brickwork.reference_kernels import bind, pooling

from .. import compiled
from . import _conv_utils

BRICKWORK_BACKEND = "numpy"

reference = bind(pooling, globals(), xp=np, geometry=_conv_utils)


def _compiled_max_pool(pool_size, x):
    """The compiled max-pooling gradient when it serves ``pool_size`` and
    ``x``'s dtype, else None."""
    loops = compiled.module("pooling", x)
    return loops if loops is not None and loops.applies(pool_size) else None


@hookimpl
def max_pool_backward(dy, x, y, pool_size, strides, padding):
    loops = _compiled_max_pool(pool_size, x)
    if loops is None:
        return reference.max_pool_backward(dy, x, y, pool_size, strides, padding)
    return loops.max_pool_grad(dy, x, y, pool_size, strides, padding)
