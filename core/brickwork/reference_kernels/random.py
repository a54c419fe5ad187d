"""Random numbers: the array namespace's own generator, behind the four
methods brickwork draws with (see the ``random_generator`` spec)."""
import numbers

import numpy as xp  # replaced by bind()

from brickwork.plugin import hookimpl


class Generator:
    """``random``, ``standard_normal``, ``integers`` and ``permutation`` over
    ``xp.random.default_rng``. ``permutation`` is the argsort of uniform
    draws (ties have probability ~2**-53 per pair), so it needs no more of
    the namespace's generator than ``random`` (CuPy's has no permutation).
    """

    def __init__(self, seed):
        self._generator = xp.random.default_rng(seed)

    def random(self, size=None, dtype=xp.float64):
        return self._generator.random(size, dtype=dtype)

    def standard_normal(self, size=None, dtype=xp.float64):
        return self._generator.standard_normal(size, dtype=dtype)

    def integers(self, low, high=None, size=None):
        return self._generator.integers(low, high, size)

    def permutation(self, x):
        if isinstance(x, numbers.Integral):
            return xp.argsort(self._generator.random(int(x), dtype=xp.float64))
        x = xp.asarray(x)
        return x[xp.argsort(self._generator.random(x.shape[0], dtype=xp.float64))]


@hookimpl
def random_generator(seed):
    return Generator(seed)
