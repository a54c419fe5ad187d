"""Kernel hookimpls of the CuPy backend, one module per kernel family.

Each module binds the reference kernels of its family
(``brickwork.reference_kernels``) to CuPy and, where a fused CUDA kernel
pays, imports it from ``brickwork_cupy.cuda`` in their place, unless
``BRICKWORK_CUPY_REFERENCE`` asks for the reference
(:mod:`brickwork_cupy.reference_switch`). No algorithm is written here.

Every public module here is listed by ``brickwork_cupy.plugin`` (without
importing it) and imported only when the cupy backend is selected.
"""
