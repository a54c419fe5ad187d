"""NumPy kernel modules; each declares ``BRICKWORK_BACKEND = "numpy"``.

Loading them tunes glibc's allocator for reuse of large arrays (see
:mod:`brickwork_numpy.allocator`).
"""
from brickwork_numpy import allocator

allocator.tune()
