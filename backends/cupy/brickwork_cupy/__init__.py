"""The CuPy backend of brickwork: every kernel on an NVIDIA GPU (issue #7).

``plugin`` describes the backend and imports without CuPy; ``kernels`` holds
the hookimpls (imported only when the backend is selected); ``cuda`` holds
every CUDA source as text, in one registry, so CI can compile them all with
NVRTC on a machine without a GPU.
"""
