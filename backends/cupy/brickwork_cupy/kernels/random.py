"""Random numbers on the GPU: CuPy's Generator API (cuRAND XORWOW)."""
from __future__ import annotations

import cupy
import numpy as np

from brickwork.plugin import hookimpl

BRICKWORK_BACKEND = "cupy"


class CupyGenerator:
    """The subset of ``numpy.random.Generator`` brickwork uses, on the device.

    CuPy's ``Generator`` has no ``permutation``; it is the argsort of uniform
    draws (ties have probability ~2**-53 per pair).
    """

    def __init__(self, seed):
        self._generator = cupy.random.default_rng(seed)

    def random(self, size=None, dtype=np.float64):
        return self._generator.random(size, dtype=dtype)

    def standard_normal(self, size=None, dtype=np.float64):
        return self._generator.standard_normal(size, dtype=dtype)

    def integers(self, low, high=None, size=None):
        return self._generator.integers(low, high, size)

    def permutation(self, x):
        if isinstance(x, (int, np.integer)):
            return cupy.argsort(self._generator.random(int(x), dtype=np.float64))
        x = cupy.asarray(x)
        return x[cupy.argsort(self._generator.random(x.shape[0], dtype=np.float64))]


@hookimpl
def random_generator(seed):
    return CupyGenerator(seed)
