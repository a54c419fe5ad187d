"""Optimizer steps on the GPU: the reference kernels bound to CuPy, replaced
by fused CUDA kernels (one in-place launch per variable and step)."""
import cupy

from brickwork.reference_kernels import bind, optimizers

from brickwork_cupy import reference_switch

BRICKWORK_BACKEND = "cupy"

reference = bind(optimizers, globals(), xp=cupy)

if reference_switch.fused("optimizers"):
    from brickwork_cupy.cuda.fused_optimizers import (
        adadelta_update, adagrad_update, adam_update, adamax_update, ftrl_update, lion_update,
        nadam_update, rmsprop_update, sgd_update)
