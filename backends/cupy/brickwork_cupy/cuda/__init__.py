"""Every CUDA source of the CuPy backend, in one registry, and the fused
kernels that launch them.

Each family module (``activations``, ``losses``, ``optimizers``) holds one
CUDA source as an explicit string of ``template <typename T> __global__``
kernels; its ``fused_<family>`` module holds the Python side (hookimpls that
launch them, through ``launch``), which ``brickwork_cupy.kernels`` imports
in place of the reference kernels. Importing this package imports no CuPy:
only the ``fused_*`` and ``launch`` modules do. The registry below lists every source with its name and the
*name expressions* (``"kernel<float>"``, ``"kernel<double>"``) that
instantiate its kernels. The backend compiles a source with
``cupy.RawModule(code, options=COMPILE_OPTIONS, name_expressions=...)`` on
first use, and ``tests/test_cuda_sources_compile.py`` compiles the very same
text with raw NVRTC (``addNameExpression`` for every expression, so every
template instantiation is compiled) for compute_80 and compute_90: that is
the CI check, which needs no GPU.

There are no ``ElementwiseKernel``s: every fused elementwise kernel is a
RawModule kernel here, so that the text compiled in CI is exactly the text
run on the GPU.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass

from .common import BLOCK, COMMON

COMMON_CODE = COMMON

#: NVRTC options used both at run time and by the compile test.
COMPILE_OPTIONS = ("--std=c++14",)

#: C++ type name per dtype name.
CTYPES = {"float32": "float", "float64": "double"}


@dataclass(frozen=True)
class CudaSource:
    name: str
    code: str
    kernels: tuple[str, ...]

    @property
    def name_expressions(self) -> tuple[str, ...]:
        return tuple(f"{k}<{t}>" for k in self.kernels for t in CTYPES.values())


def _sources():
    from . import activations, losses, optimizers
    return {m.NAME: CudaSource(m.NAME, COMMON + m.CODE, tuple(m.KERNELS))
            for m in (activations, losses, optimizers)}


#: name -> CudaSource, every CUDA source of the backend.
SOURCES: dict[str, CudaSource] = _sources()


@functools.lru_cache(maxsize=None)
def _module(source_name: str):
    import cupy
    source = SOURCES[source_name]
    return cupy.RawModule(code=source.code, options=COMPILE_OPTIONS,
                          name_expressions=source.name_expressions)


@functools.lru_cache(maxsize=None)
def _function(source_name: str, kernel: str, ctype: str):
    return _module(source_name).get_function(f"{kernel}<{ctype}>")


def kernel(source_name: str, kernel_name: str, dtype):
    """The compiled kernel ``kernel_name`` of a source, for ``dtype``
    (float32 or float64); compiled once per process, cached by CuPy on disk."""
    ctype = CTYPES.get(str(dtype))
    if ctype is None:
        raise TypeError(f"cupy backend: CUDA kernels take float32 or float64, not {dtype}")
    return _function(source_name, kernel_name, ctype)


def grid(n: int, max_blocks: int = 65535) -> tuple[int]:
    """Blocks for a grid-stride loop over ``n`` elements."""
    return (max(1, min(max_blocks, (int(n) + BLOCK - 1) // BLOCK)),)


__all__ = ["BLOCK", "COMMON_CODE", "COMPILE_OPTIONS", "CTYPES", "CudaSource", "SOURCES", "kernel", "grid"]
