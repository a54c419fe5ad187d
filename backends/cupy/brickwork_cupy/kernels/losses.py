"""Softmax and sigmoid cross-entropies on the GPU: the reference kernels
bound to CuPy, replaced by fused CUDA kernels (one launch each way)."""
import cupy

from brickwork.reference_kernels import bind, losses

from brickwork_cupy import reference_switch

from . import activations

BRICKWORK_BACKEND = "cupy"

reference = bind(losses, globals(), xp=cupy, activations=activations)

if reference_switch.fused("losses"):
    from brickwork_cupy.cuda.fused_losses import (
        sigmoid_crossentropy_backward, sigmoid_crossentropy_forward,
        softmax_crossentropy_backward, softmax_crossentropy_forward)
