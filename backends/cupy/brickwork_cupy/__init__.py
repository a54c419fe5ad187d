"""The CuPy backend of brickwork: every kernel on an NVIDIA GPU (issue #7).

``plugin`` describes the backend and imports without CuPy; ``kernels`` holds
the hookimpls (imported only when the backend is selected): the reference
kernels of ``brickwork.reference_kernels`` bound to CuPy, some replaced by
the fused CUDA kernels of ``cuda.fused_*``; ``reference_switch`` reads
``BRICKWORK_CUPY_REFERENCE``, which turns those replacements off. ``cuda``
holds every CUDA source as text, in one registry, so CI can compile them
all with NVRTC on a machine without a GPU.
"""
