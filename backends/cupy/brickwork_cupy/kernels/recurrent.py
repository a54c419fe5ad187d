"""SimpleRNN, LSTM and GRU on the GPU: the reference kernels bound to CuPy
(per step one cuBLAS GEMM and a few elementwise launches; the gates use the
fused activations)."""
import cupy

from brickwork.reference_kernels import bind, recurrent

from . import _reductions, activations

BRICKWORK_BACKEND = "cupy"

reference = bind(recurrent, globals(), xp=cupy, activations=activations, reductions=_reductions)
