"""Max and average pooling on the GPU: the reference kernels bound to CuPy
(a few elementwise launches per window tap)."""
import cupy

from brickwork.reference_kernels import bind, pooling

from . import _geometry

BRICKWORK_BACKEND = "cupy"

reference = bind(pooling, globals(), xp=cupy, geometry=_geometry)
