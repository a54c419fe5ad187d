"""Random numbers on the GPU: the reference generator over CuPy's
(cuRAND XORWOW), with the permutation it lacks."""
import cupy

from brickwork.reference_kernels import bind, random

BRICKWORK_BACKEND = "cupy"

reference = bind(random, globals(), xp=cupy)
