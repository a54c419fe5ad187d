"""Kernel hookimpls of the CuPy backend, one module per kernel family.

Every public module here is listed by ``brickwork_cupy.plugin`` (without
importing it) and imported only when the cupy backend is selected.
"""
