"""Seeding: one global NumPy generator that seeds everything else.

Initial weights are drawn on the host with NumPy, whatever the backend, so a
seeded model starts from the same weights on every backend.
"""
from __future__ import annotations

import random as _py_random

import numpy as np

_global = {"generator": np.random.default_rng()}


def set_random_seed(seed: int) -> None:
    """Seed Python's ``random``, NumPy's legacy global state and brickwork,
    as ``keras.utils.set_random_seed`` does."""
    _py_random.seed(seed)
    np.random.seed(seed)
    _global["generator"] = np.random.default_rng(seed)


def global_generator() -> np.random.Generator:
    return _global["generator"]


def draw_seed() -> int:
    """A fresh seed from the global generator (reproducible after set_random_seed)."""
    return int(global_generator().integers(0, 2**31 - 1))


def host_generator(seed) -> np.random.Generator:
    """A NumPy generator from ``seed`` (None: one drawn from the global generator)."""
    return np.random.default_rng(draw_seed() if seed is None else seed)


class SeedGenerator:
    """A stream of random numbers on the backend, as ``keras.random.SeedGenerator``.

    Created with a seed (or one drawn from the global generator), it makes
    one backend generator per backend on first use and keeps drawing from it.
    """

    def __init__(self, seed=None):
        self.seed = draw_seed() if seed is None else int(seed)
        self._generators = {}

    def backend_generator(self):
        from brickwork import backend
        current = backend.get_backend()
        generator = self._generators.get(current.name)
        if generator is None:
            generator = current.kernels.random_generator(self.seed)
            self._generators[current.name] = generator
        return generator
