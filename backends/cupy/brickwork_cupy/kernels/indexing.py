"""Row gathers on the GPU: the reference kernels bound to CuPy (the scatter-add
gradient is CuPy's unbuffered ``add.at``, atomic adds)."""
import cupy

from brickwork.reference_kernels import bind, indexing

BRICKWORK_BACKEND = "cupy"

reference = bind(indexing, globals(), xp=cupy)
