"""Inverted dropout: the reference kernels, on NumPy."""
import numpy as np

from brickwork.reference_kernels import dropout, bind

BRICKWORK_BACKEND = "numpy"

reference = bind(dropout, globals(), xp=np)
