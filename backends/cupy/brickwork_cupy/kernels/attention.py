"""The masked softmax of attention on the GPU: the reference kernel bound to CuPy."""
import cupy

from brickwork.reference_kernels import bind, attention

BRICKWORK_BACKEND = "cupy"

reference = bind(attention, globals(), xp=cupy)
