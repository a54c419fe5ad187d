"""NumPy's own BLAS matrix product, callable from inside compiled loops.

A recurrent layer runs one small GEMM per time step between two compiled
passes. Called from Python, each step pays for ``np.matmul``'s dispatch, a
numba dispatch per pass and the loop itself (about 7-9 us a step, 1.6 ms of
an LSTM train step over 100 steps). With the GEMM callable from numba, the
whole sequence runs as one compiled call.

The GEMM is the CBLAS ``?gemm`` of the OpenBLAS that NumPy's wheels bundle
(``scipy-openblas``, 64-bit integers, symbols ``scipy_cblas_?gemm64_``):
the same library and thread pool ``np.matmul`` uses, so no second set of
BLAS threads competes for the cores. It is handed to compiled code as a
first-class function (a :class:`numba.types.WrapperAddressProtocol`), which
keeps those loops cacheable. Where NumPy was built against another BLAS,
:func:`gemm_function` returns None and kernels keep their Python loops.
"""
from __future__ import annotations

import ctypes
import functools
import glob
import os

import numba.experimental.function_type  # noqa: F401  (types WrapperAddressProtocol arguments)
import numpy as np
from numba import types

from .jit import jit

_SYMBOLS = {np.dtype(np.float32): ("scipy_cblas_sgemm64_", types.float32),
            np.dtype(np.float64): ("scipy_cblas_dgemm64_", types.float64)}
_ROW_MAJOR, _NO_TRANSPOSE = 101, 111


class _Gemm(types.WrapperAddressProtocol):
    """``cblas_?gemm`` with 64-bit integers; pointers passed as int64."""

    def __init__(self, address, scalar):
        self._address = address
        i32, i64 = types.int32, types.int64
        self._signature = types.void(i32, i32, i32, i64, i64, i64, scalar, i64, i64, i64, i64,
                                     scalar, i64, i64)

    def __wrapper_address__(self):
        return self._address

    def signature(self):
        return self._signature


#: Up to this many rows of ``a``, :func:`gemm` multiplies in its own loop:
#: OpenBLAS's ``?gemm`` on one or two rows (a recurrent step at batch 1) costs
#: about 3x the loop (LSTM 128 units, 100 steps: 3.1 against 0.86 ms).
SMALL_ROWS = 2


@jit
def _rows_times_matrix(a, b, c, beta):
    """``c = a @ b + beta * c`` for few rows of ``a``: each row of ``c`` adds
    a scaled row of ``b`` per column of ``a`` (the inner loop vectorizes)."""
    m, k = a.shape
    n = b.shape[1]
    for i in range(m):
        ci = c[i]
        ai = a[i]
        if beta == 0:
            for j in range(n):
                ci[j] = 0
        elif beta != 1:
            for j in range(n):
                ci[j] *= beta
        for p in range(k):
            aip = ai[p]
            bp = b[p]
            for j in range(n):
                ci[j] += aip * bp[j]


@jit
def gemm(function, a, b, c, beta):
    """``c = a @ b + beta * c`` through ``function`` (from :func:`gemm_function`).
    ``a``, ``b``, ``c``: 2-D, rows contiguous (row strides may exceed the
    width), of the dtype ``function`` was made for."""
    if a.shape[0] <= SMALL_ROWS:
        _rows_times_matrix(a, b, c, beta)
        return
    m, k = a.shape
    n = b.shape[1]
    size = a.itemsize
    function(np.int32(_ROW_MAJOR), np.int32(_NO_TRANSPOSE), np.int32(_NO_TRANSPOSE), m, n, k,
             c.dtype.type(1), np.int64(a.ctypes.data), a.strides[0] // size,
             np.int64(b.ctypes.data), b.strides[0] // size, c.dtype.type(beta),
             np.int64(c.ctypes.data), c.strides[0] // size)


def _loaded_openblas_paths():
    """Paths of OpenBLAS libraries this process has loaded (Linux), else
    those bundled beside NumPy."""
    paths = []
    try:
        with open("/proc/self/maps") as maps:
            paths = [line.split()[-1] for line in maps if "openblas" in line and "/" in line]
    except OSError:
        pass
    numpy_dir = os.path.dirname(np.__file__)
    for pattern in ("../numpy.libs/*openblas*", ".dylibs/*openblas*"):
        paths += glob.glob(os.path.join(numpy_dir, pattern))
    return list(dict.fromkeys(paths))


@functools.lru_cache(maxsize=None)
def gemm_function(dtype):
    """NumPy's BLAS ``gemm`` for ``dtype`` (float32/float64) as an argument
    for compiled loops, or None when it cannot be found or fails a check
    against ``np.matmul``."""
    dtype = np.dtype(dtype)
    if dtype not in _SYMBOLS:
        return None
    name, scalar = _SYMBOLS[dtype]
    for path in _loaded_openblas_paths():
        try:
            symbol = getattr(ctypes.CDLL(path), name)
        except (OSError, AttributeError):
            continue
        if _agrees_with_matmul(symbol, dtype):
            return _Gemm(ctypes.cast(symbol, ctypes.c_void_p).value, scalar)
    return None


def _agrees_with_matmul(symbol, dtype):
    """Whether ``symbol`` computes ``a @ b + 2c`` as ``np.matmul`` does, on
    strided rows. Called through ctypes, not :func:`gemm`: compiling ``gemm``
    for this check alone cost a second on each first run (empty cache)."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((3, 8)).astype(dtype)[:, :5]  # strided rows
    b = rng.standard_normal((5, 4)).astype(dtype)
    c = rng.standard_normal((3, 4)).astype(dtype)
    expected = a @ b + 2 * c
    scalar = ctypes.c_float if dtype == np.float32 else ctypes.c_double
    i32, i64, pointer = ctypes.c_int32, ctypes.c_int64, ctypes.c_void_p
    symbol.restype = None
    symbol.argtypes = [i32, i32, i32, i64, i64, i64, scalar, pointer, i64, pointer, i64, scalar,
                       pointer, i64]
    size = a.itemsize
    symbol(_ROW_MAJOR, _NO_TRANSPOSE, _NO_TRANSPOSE, 3, 4, 5, 1.0, a.ctypes.data,
           a.strides[0] // size, b.ctypes.data, b.strides[0] // size, 2.0, c.ctypes.data,
           c.strides[0] // size)
    return np.allclose(c, expected, rtol=1e-4, atol=1e-5)
