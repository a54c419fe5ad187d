"""Windows, padding and buffers of convolution and pooling, on CuPy: the
reference's (not a kernel module)."""
import cupy

from brickwork.reference_kernels import bind, geometry

reference = bind(geometry, globals(), xp=cupy)
