"""The masked softmax of attention: the reference kernel, on NumPy."""
import numpy as np

from brickwork.reference_kernels import attention, bind

BRICKWORK_BACKEND = "numpy"

reference = bind(attention, globals(), xp=np)
