"""Activations, softmax and log-softmax on the GPU: the reference kernels
bound to CuPy, replaced by fused CUDA kernels (one launch each way)."""
import cupy

from brickwork.reference_kernels import activations, bind

from brickwork_cupy import reference_switch

from . import _special

BRICKWORK_BACKEND = "cupy"

reference = bind(activations, globals(), xp=cupy, special=_special)

if reference_switch.fused("activations"):
    from brickwork_cupy.cuda.fused_activations import (
        activation_backward, activation_forward, activation_grad_from_output, apply_activation,
        log_softmax_backward, log_softmax_forward, softmax_backward, softmax_forward)
