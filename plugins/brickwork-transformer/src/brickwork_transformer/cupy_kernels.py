"""brickwork-transformer's kernels on the CuPy backend (GPU): its reference
kernels (``reference_kernels``) bound to CuPy; matrix products go to cuBLAS.
Imported only when the cupy backend is selected."""
import cupy

from brickwork.reference_kernels import bind

from brickwork_transformer import reference_kernels

BRICKWORK_BACKEND = "cupy"

reference = bind(reference_kernels, globals(), xp=cupy)
