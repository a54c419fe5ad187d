"""Convolutions (plain, grouped, depthwise, transposed) on the GPU: the
reference's im2col + cuBLAS GEMM bound to CuPy, with the dense kernels'
fused bias and activation after each GEMM."""
import cupy

from brickwork.reference_kernels import bind, convolution

from . import _geometry, dense

BRICKWORK_BACKEND = "cupy"

reference = bind(convolution, globals(), xp=cupy, dense=dense, geometry=_geometry)
