"""Inverted dropout on the GPU: the reference kernels bound to CuPy."""
import cupy

from brickwork.reference_kernels import bind, dropout

BRICKWORK_BACKEND = "cupy"

reference = bind(dropout, globals(), xp=cupy)
