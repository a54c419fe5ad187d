"""brickwork-transformer's kernels on the NumPy backend: its reference kernels
(``reference_kernels``) bound to NumPy."""
import numpy as np

from brickwork.reference_kernels import bind

from brickwork_transformer import reference_kernels

BRICKWORK_BACKEND = "numpy"

reference = bind(reference_kernels, globals(), xp=np)
