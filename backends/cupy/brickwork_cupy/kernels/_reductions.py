"""Reductions shared by several kernels, on CuPy: the reference's (not a kernel module)."""
import cupy

from brickwork.reference_kernels import bind, reductions

reference = bind(reductions, globals(), xp=cupy)
