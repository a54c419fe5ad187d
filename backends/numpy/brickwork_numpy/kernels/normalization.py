"""Batch and layer normalization: the reference kernels, on NumPy."""
import numpy as np

from brickwork.reference_kernels import normalization, bind

BRICKWORK_BACKEND = "numpy"

reference = bind(normalization, globals(), xp=np)
