"""Activations, softmax and log-softmax: the reference kernels, on NumPy."""
import numpy as np

from brickwork.reference_kernels import activations, bind

from . import _special

BRICKWORK_BACKEND = "numpy"

reference = bind(activations, globals(), xp=np, special=_special)
