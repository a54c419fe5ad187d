"""Dense layer on the GPU: the reference kernels bound to CuPy (one cuBLAS
GEMM each way), with bias and activation fused into one launch."""
import cupy

from brickwork.reference_kernels import bind, dense

from brickwork_cupy import reference_switch

from . import _reductions, activations

BRICKWORK_BACKEND = "cupy"

reference = bind(dense, globals(), xp=cupy, activations=activations, reductions=_reductions)

if reference_switch.fused("activations"):
    from brickwork_cupy.cuda.fused_activations import bias_and_activation
