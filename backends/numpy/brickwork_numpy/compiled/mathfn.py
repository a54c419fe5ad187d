"""Vectorizable float32/float64 approximations of tanh and sigmoid.

LLVM cannot vectorize calls to libm's ``tanhf``/``expf``; a rational
function of ``x`` can. The coefficients are the minimax rational fit for
float32 ``tanh`` on [-7.905, 7.905] published with Eigen (beyond that range
float32 ``tanh`` rounds to +-1): maximum error ~2.4e-7 absolute against a
float64 reference. float64 inputs use the exact ``math.tanh``.
"""
from __future__ import annotations

import math

import numpy as np

from numba import types
from numba.extending import overload

from .jit import JIT_OPTIONS

_CLAMP = np.float32(7.90531110763549805)
_P = tuple(np.float32(c) for c in (
    -2.76076847742355e-16, 2.00018790482477e-13, -8.60467152213735e-11,
    5.12229709037114e-08, 1.48572235717979e-05, 6.37261928875436e-04,
    4.89352455891786e-03))
_Q = tuple(np.float32(c) for c in (
    1.19825839466702e-06, 1.18534705686654e-04, 2.26843463243900e-03,
    4.89352518554385e-03))
_p0, _p1, _p2, _p3, _p4, _p5, _p6 = _P
_q0, _q1, _q2, _q3 = _Q
_HALF32 = np.float32(0.5)


def _tanh32(x):
    x = _CLAMP if x > _CLAMP else x
    x = -_CLAMP if x < -_CLAMP else x
    x2 = x * x
    p = ((((((_p0 * x2 + _p1) * x2 + _p2) * x2 + _p3) * x2 + _p4) * x2 + _p5) * x2 + _p6) * x
    q = ((_q0 * x2 + _q1) * x2 + _q2) * x2 + _q3
    return p / q


def tanh(x):
    """tanh for use inside compiled loops: the rational form for float32
    (it vectorizes), ``math.tanh`` for float64. Called from Python, NumPy's."""
    return np.tanh(x)


def sigmoid(x):
    """sigmoid inside compiled loops, through ``tanh(x/2)/2 + 1/2``."""
    return 0.5 * np.tanh(0.5 * x) + 0.5


@overload(tanh, jit_options=JIT_OPTIONS)
def _tanh_overload(x):
    if x == types.float32:
        return _tanh32
    return lambda x: math.tanh(x)


@overload(sigmoid, jit_options=JIT_OPTIONS)
def _sigmoid_overload(x):
    if x == types.float32:
        return lambda x: _HALF32 * tanh(_HALF32 * x) + _HALF32
    return lambda x: 0.5 * math.tanh(0.5 * x) + 0.5
