"""Differentiable elementwise math, comparisons, reductions and matmul,
written once against the backend's array namespace.

Each op computes on plain backend arrays and records a node only when a
tape is recording and an input is tracked (see ``brickwork.autodiff``).
Two arrays of different dtypes meet in the dtype of
``brickwork.dtypes.promote_types`` (Keras's lattice: ``int32 + float32`` is
float32, not NumPy's float64); a Python float meeting an integer array gives
floatx, as in Keras.
"""
from __future__ import annotations

import builtins
import math as _math

import numpy as np

from brickwork.autodiff import is_tracked
from brickwork.dtypes import FLOATX, promote_types, standardize_dtype
from brickwork.ops.core import (array_adapters, backend_xp, data_of, needs_grad, record,
                                shape_of_data, unbroadcast)

_FLOATING = "fc"


# --- dtype promotion and checks ---------------------------------------------


_PYTHON_SCALARS = {int, float, bool}


_HOST = (np.ndarray, np.generic)


def _on_device(value):
    """A host (NumPy) array as the backend's array, where the backend's
    arrays are not NumPy's: a GPU array does not mix with a host one."""
    if isinstance(value, np.ndarray):
        xp = backend_xp()
        if xp.ndarray is not np.ndarray:
            return xp.asarray(value)
    return value


def _pair(op, x, y):
    """``x, y`` (data) in the dtype they meet in (Keras's promotion)."""
    # fast paths: an array and a Python scalar (no getattr on the scalar: a
    # missing attribute costs an exception)
    if type(y) in _PYTHON_SCALARS and type(x) not in _PYTHON_SCALARS and hasattr(x, "dtype"):
        if type(y) is float and x.dtype.kind in "iub":
            x = x.astype(FLOATX)
        return x, y
    if type(x) in _PYTHON_SCALARS and type(y) not in _PYTHON_SCALARS and hasattr(y, "dtype"):
        if type(x) is float and y.dtype.kind in "iub":
            y = y.astype(FLOATX)
        return x, y
    dx = getattr(x, "dtype", None)
    dy = getattr(y, "dtype", None)
    if dx is not None and dy is not None:
        if type(x) is not type(y) and not (isinstance(x, _HOST) and isinstance(y, _HOST)):
            x, y = _on_device(x), _on_device(y)
        if dx != dy:
            target = promote_types(dx, dy)
            if dx != target:
                x = x.astype(target)
            if dy != target:
                y = y.astype(target)
        return x, y
    if dx is not None:
        if type(y) is float and dx.kind in "iub":
            x = x.astype(FLOATX)
        elif type(y) is bool or y is None:
            pass
        elif not isinstance(y, (int, float, complex)):
            y = backend_xp().asarray(y)
            return _pair(op, x, y)
        return x, y
    if dy is not None:
        if type(x) is float and dy.kind in "iub":
            y = y.astype(FLOATX)
        elif not isinstance(x, (int, float, complex, bool)):
            return _pair(op, backend_xp().asarray(x), y)
        return x, y
    xp = backend_xp()
    return _pair(op, xp.asarray(x, dtype=_python_dtype(x)), xp.asarray(y, dtype=_python_dtype(y)))


def _python_dtype(value):
    """Keras's dtype for Python scalars and lists of them."""
    probe = value
    while isinstance(probe, (list, tuple)) and probe:
        probe = probe[0]
    if isinstance(probe, bool):
        return "bool"
    if isinstance(probe, int):
        return "int32"
    if isinstance(probe, float):
        return FLOATX
    return None


def _broadcast_error(op, x, y):
    """The error for arguments whose shapes do not broadcast (raised from
    the failed computation, so the success path pays nothing)."""
    return ValueError(f"{op}: arguments `x1` and `x2` have incompatible shapes for broadcasting: "
                      f"x1.shape={tuple(shape_of_data(x))}, x2.shape={tuple(shape_of_data(y))}")


def _as_array(x):
    """Data of ``x`` as a backend array (Python scalars and lists in Keras dtypes)."""
    data = data_of(x)
    if hasattr(data, "ndim"):
        return data
    return backend_xp().asarray(data, dtype=_python_dtype(data))


_SMALL_INTEGERS = {"bool", "int8", "int16", "uint8", "uint16"}


def _accumulator(dtype):
    """The dtype Keras sums and multiplies integers in (JAX's rule): small
    integers and bools in int32, others in their own dtype (no NumPy upcast)."""
    return "int32" if dtype.name in _SMALL_INTEGERS else dtype


def _float(x):
    """Integer and bool data become floatx, as Keras's float-valued ops do."""
    dtype = getattr(x, "dtype", None)
    return x if dtype is None or dtype.kind in _FLOATING else x.astype(FLOATX)


# --- elementwise, two inputs ---------------------------------------------


def add(x1, x2):
    x, y = _pair("add", data_of(x1), data_of(x2))
    try:
        out = x + y
    except ValueError:
        raise _broadcast_error("add", x, y) from None
    if not needs_grad(x1, x2):
        return out
    return record(out, (x1, x2), lambda g: (unbroadcast(g, shape_of_data(x)),
                                            unbroadcast(g, shape_of_data(y))))


def subtract(x1, x2):
    x, y = _pair("subtract", data_of(x1), data_of(x2))
    try:
        out = x - y
    except ValueError:
        raise _broadcast_error("subtract", x, y) from None
    if not needs_grad(x1, x2):
        return out
    return record(out, (x1, x2), lambda g: (unbroadcast(g, shape_of_data(x)),
                                            unbroadcast(-g, shape_of_data(y))))


def multiply(x1, x2):
    x, y = _pair("multiply", data_of(x1), data_of(x2))
    try:
        out = x * y
    except ValueError:
        raise _broadcast_error("multiply", x, y) from None
    if not needs_grad(x1, x2):
        return out
    return record(out, (x1, x2), lambda g: (unbroadcast(g * y, shape_of_data(x)),
                                            unbroadcast(g * x, shape_of_data(y))))


def divide(x1, x2):
    x, y = _pair("divide", data_of(x1), data_of(x2))
    try:
        out = x / y
    except ValueError:
        raise _broadcast_error("divide", x, y) from None
    if getattr(out, "dtype", None) is not None and out.dtype == np.float64 and \
            getattr(x, "dtype", None) != np.float64 and getattr(y, "dtype", None) != np.float64:
        out = out.astype(FLOATX)  # int / int is floatx in Keras
    if not needs_grad(x1, x2):
        return out
    return record(out, (x1, x2), lambda g: (unbroadcast(g / y, shape_of_data(x)),
                                            unbroadcast(-g * out / y, shape_of_data(y))))


def true_divide(x1, x2):
    return divide(x1, x2)


def divide_no_nan(x1, x2):
    xp = backend_xp()
    y = _as_array(x2)
    safe = where(y == 0, xp.ones((), dtype=y.dtype), x2)
    return where(y == 0, xp.zeros((), dtype=_float(y).dtype), divide(x1, safe))


def power(x1, x2):
    xp = backend_xp()
    x, y = _pair("power", data_of(x1), data_of(x2))
    try:
        out = x ** y
    except ValueError:
        raise _broadcast_error("power", x, y) from None
    if not needs_grad(x1, x2):
        return out

    def vjp(g):
        gx = unbroadcast(g * y * x ** (y - 1), shape_of_data(x))
        gy = None
        if is_tracked(x2):
            safe_log = xp.log(xp.where(x > 0, x, 1)).astype(out.dtype)
            gy = unbroadcast(g * out * safe_log, shape_of_data(y))
        return gx, gy
    return record(out, (x1, x2), vjp)


def maximum(x1, x2):
    x, y = _pair("maximum", data_of(x1), data_of(x2))
    try:
        out = backend_xp().maximum(x, y)
    except ValueError:
        raise _broadcast_error("maximum", x, y) from None
    if not needs_grad(x1, x2):
        return out
    pick_x = x >= y
    return record(out, (x1, x2), lambda g: (unbroadcast(g * pick_x, shape_of_data(x)),
                                            unbroadcast(g * ~pick_x, shape_of_data(y))))


def minimum(x1, x2):
    x, y = _pair("minimum", data_of(x1), data_of(x2))
    try:
        out = backend_xp().minimum(x, y)
    except ValueError:
        raise _broadcast_error("minimum", x, y) from None
    if not needs_grad(x1, x2):
        return out
    pick_x = x <= y
    return record(out, (x1, x2), lambda g: (unbroadcast(g * pick_x, shape_of_data(x)),
                                            unbroadcast(g * ~pick_x, shape_of_data(y))))


def _binary(name, x1, x2, forward, grads=None):
    """``forward(x, y)`` elementwise; ``grads(x, y, out)`` gives the partial
    derivatives (dout/dx, dout/dy), or None for a non-differentiable op."""
    x, y = _pair(name, data_of(x1), data_of(x2))
    try:
        out = forward(x, y)
    except ValueError:
        raise _broadcast_error(name, x, y) from None
    if grads is None or not needs_grad(x1, x2):
        return out

    def vjp(g):
        dx, dy = grads(x, y, out)
        return (None if dx is None else unbroadcast(g * dx, shape_of_data(x)),
                None if dy is None else unbroadcast(g * dy, shape_of_data(y)))
    return record(out, (x1, x2), vjp)


def _xp(name):
    return lambda *a: getattr(backend_xp(), name)(*a)


def floor_divide(x1, x2):
    return _binary("floor_divide", x1, x2, _xp("floor_divide"))


def mod(x1, x2):
    return _binary("mod", x1, x2, _xp("mod"),
                   lambda x, y, out: (1, -backend_xp().floor_divide(x, y)))


def fmod(x1, x2):
    return _binary("fmod", x1, x2, _xp("fmod"),
                   lambda x, y, out: (1, -backend_xp().trunc(x / y)))


def arctan2(x1, x2):
    def forward(x, y):
        return backend_xp().arctan2(_float(x), _float(y))
    return _binary("arctan2", x1, x2, forward,
                   lambda x, y, out: (y / (x * x + y * y), -x / (x * x + y * y)))


def hypot(x1, x2):
    return _binary("hypot", x1, x2, lambda x, y: backend_xp().hypot(_float(x), _float(y)),
                   lambda x, y, out: (x / out, y / out))


def logaddexp(x1, x2):
    xp = backend_xp()
    return _binary("logaddexp", x1, x2, lambda x, y: xp.logaddexp(_float(x), _float(y)),
                   lambda x, y, out: (xp.exp(x - out), xp.exp(y - out)))


def logaddexp2(x1, x2):
    xp = backend_xp()
    return _binary("logaddexp2", x1, x2, lambda x, y: xp.logaddexp2(_float(x), _float(y)),
                   lambda x, y, out: (xp.exp2(x - out), xp.exp2(y - out)))


def fmax(x1, x2):
    xp = backend_xp()
    return _binary("fmax", x1, x2, xp.fmax, lambda x, y, out: (out == x, out != x))


def fmin(x1, x2):
    xp = backend_xp()
    return _binary("fmin", x1, x2, xp.fmin, lambda x, y, out: (out == x, out != x))


def heaviside(x1, x2):
    def forward(x, y):
        xp = backend_xp()
        x, y = _float(x), _float(y)
        return xp.where(x < 0, 0, xp.where(x > 0, 1, y)).astype(x.dtype)
    return _binary("heaviside", x1, x2, forward)


def nextafter(x1, x2):
    return _binary("nextafter", x1, x2, lambda x, y: backend_xp().nextafter(_float(x), _float(y)))


def ldexp(x1, x2):
    return _binary("ldexp", x1, x2, lambda x, y: backend_xp().ldexp(_float(x), y))


def gcd(x1, x2): return _binary("gcd", x1, x2, _xp("gcd"))
def lcm(x1, x2): return _binary("lcm", x1, x2, _xp("lcm"))
def bitwise_and(x, y): return _binary("bitwise_and", x, y, _xp("bitwise_and"))
def bitwise_or(x, y): return _binary("bitwise_or", x, y, _xp("bitwise_or"))
def bitwise_xor(x, y): return _binary("bitwise_xor", x, y, _xp("bitwise_xor"))
def bitwise_left_shift(x, y): return _binary("bitwise_left_shift", x, y, _xp("left_shift"))
def bitwise_right_shift(x, y): return _binary("bitwise_right_shift", x, y, _xp("right_shift"))
def left_shift(x, y): return _binary("left_shift", x, y, _xp("left_shift"))
def right_shift(x, y): return _binary("right_shift", x, y, _xp("right_shift"))
def bitwise_invert(x): return backend_xp().invert(_as_array(x))
def bitwise_not(x): return backend_xp().invert(_as_array(x))


# --- elementwise, one input ----------------------------------------------


def _unary(x, forward, derivative, to_float=True):
    """``forward(data)``; ``derivative(data, out)`` gives d out / d x."""
    data = data_of(x)
    if not hasattr(data, "dtype"):
        data = _as_array(data)
    if to_float and data.dtype.kind not in _FLOATING:
        data = data.astype(FLOATX)
    out = forward(data)
    if derivative is None or not needs_grad(x):
        return out
    return record(out, (x,), lambda g: (g * derivative(data, out),))


def negative(x):
    data = data_of(x)
    if not needs_grad(x):
        return -data
    return record(-data, (x,), lambda g: (-g,))


def abs(x):
    xp = backend_xp()
    return _unary(x, xp.abs, lambda v, out: xp.sign(v), to_float=False)


def absolute(x):
    return abs(x)


def fabs(x):
    xp = backend_xp()
    return _unary(x, xp.fabs, lambda v, out: xp.sign(v))


def square(x):
    return _unary(x, backend_xp().square, lambda v, out: 2 * v, to_float=False)


def sqrt(x):
    return _unary(x, backend_xp().sqrt, lambda v, out: 0.5 / out)


def rsqrt(x):
    xp = backend_xp()
    return _unary(x, lambda v: 1 / xp.sqrt(v), lambda v, out: -0.5 * out / v)


def cbrt(x):
    return _unary(x, backend_xp().cbrt, lambda v, out: 1 / (3 * out * out))


def reciprocal(x):
    return _unary(x, backend_xp().reciprocal, lambda v, out: -out * out)


def exp(x):
    return _unary(x, backend_xp().exp, lambda v, out: out)


def exp2(x):
    return _unary(x, backend_xp().exp2, lambda v, out: out * _math.log(2))


def expm1(x):
    return _unary(x, backend_xp().expm1, lambda v, out: out + 1)


def log(x):
    return _unary(x, backend_xp().log, lambda v, out: 1 / v)


def log2(x):
    return _unary(x, backend_xp().log2, lambda v, out: 1 / (v * _math.log(2)))


def log10(x):
    return _unary(x, backend_xp().log10, lambda v, out: 1 / (v * _math.log(10)))


def log1p(x):
    return _unary(x, backend_xp().log1p, lambda v, out: 1 / (1 + v))


def sin(x):
    xp = backend_xp()
    return _unary(x, xp.sin, lambda v, out: xp.cos(v))


def cos(x):
    xp = backend_xp()
    return _unary(x, xp.cos, lambda v, out: -xp.sin(v))


def tan(x):
    return _unary(x, backend_xp().tan, lambda v, out: 1 + out * out)


def arcsin(x):
    xp = backend_xp()
    return _unary(x, xp.arcsin, lambda v, out: 1 / xp.sqrt(1 - v * v))


def arccos(x):
    xp = backend_xp()
    return _unary(x, xp.arccos, lambda v, out: -1 / xp.sqrt(1 - v * v))


def arctan(x):
    return _unary(x, backend_xp().arctan, lambda v, out: 1 / (1 + v * v))


def sinh(x):
    xp = backend_xp()
    return _unary(x, xp.sinh, lambda v, out: xp.cosh(v))


def cosh(x):
    xp = backend_xp()
    return _unary(x, xp.cosh, lambda v, out: xp.sinh(v))


def tanh(x):
    return _unary(x, backend_xp().tanh, lambda v, out: 1 - out * out)


def arcsinh(x):
    xp = backend_xp()
    return _unary(x, xp.arcsinh, lambda v, out: 1 / xp.sqrt(v * v + 1))


def arccosh(x):
    xp = backend_xp()
    return _unary(x, xp.arccosh, lambda v, out: 1 / xp.sqrt(v * v - 1))


def arctanh(x):
    return _unary(x, backend_xp().arctanh, lambda v, out: 1 / (1 - v * v))


def deg2rad(x):
    return _unary(x, backend_xp().deg2rad, lambda v, out: _math.pi / 180)


def rad2deg(x):
    return _unary(x, backend_xp().rad2deg, lambda v, out: 180 / _math.pi)


def sinc(x):
    xp = backend_xp()

    def derivative(v, out):
        pv = _math.pi * v
        safe = xp.where(v == 0, 1, pv)
        return xp.where(v == 0, 0, (xp.cos(safe) * _math.pi - out * _math.pi) / safe).astype(v.dtype)
    return _unary(x, xp.sinc, derivative)


def _special(name):
    """A ``scipy.special`` function (``erf``, ``erfc``, ``erfinv``) for the
    backend's arrays, from its array adapters."""
    return array_adapters().special_function(name)


def erf(x):
    xp = backend_xp()
    return _unary(x, lambda v: _special("erf")(v).astype(v.dtype),
                  lambda v, out: (2 / _math.sqrt(_math.pi)) * xp.exp(-v * v))


def erfc(x):
    xp = backend_xp()
    return _unary(x, lambda v: _special("erfc")(v).astype(v.dtype),
                  lambda v, out: (-2 / _math.sqrt(_math.pi)) * xp.exp(-v * v))


def erfinv(x):
    xp = backend_xp()
    return _unary(x, lambda v: _special("erfinv")(v).astype(v.dtype),
                  lambda v, out: (_math.sqrt(_math.pi) / 2) * xp.exp(out * out))


def i0(x):
    return _unary(x, lambda v: backend_xp().i0(v), None)


def sign(x):
    return backend_xp().sign(_as_array(x))


def signbit(x):
    return backend_xp().signbit(_as_array(x))


def _rounding(name, integers_to_float):
    def op(x):
        data = _as_array(x)
        if data.dtype.kind in "iub":
            return data.astype(FLOATX) if integers_to_float else data  # as Keras
        return getattr(backend_xp(), name)(data)
    op.__name__ = name
    return op


ceil = _rounding("ceil", True)
floor = _rounding("floor", True)
trunc = _rounding("trunc", False)


def round(x, decimals=0):
    return backend_xp().round(_as_array(x), decimals)


def clip(x, x_min, x_max):
    xp = backend_xp()
    data = _as_array(x)
    out = xp.clip(data, x_min, x_max)
    if not needs_grad(x):
        return out
    inside = ((data >= x_min) & (data <= x_max)).astype(data.dtype)
    return record(out, (x,), lambda g: (g * inside,))


def where(condition, x1=None, x2=None):
    xp = backend_xp()
    cond = data_of(condition)
    if x1 is None and x2 is None:
        return xp.nonzero(cond)
    if x1 is None or x2 is None:
        raise ValueError("where: `x1` and `x2` must both be given, or neither")
    x, y = _pair("where", data_of(x1), data_of(x2))
    out = xp.where(cond, x, y)
    if not needs_grad(x1, x2):
        return out
    zero = xp.zeros((), dtype=out.dtype)
    return record(out, (x1, x2),
                  lambda g: (unbroadcast(xp.where(cond, g, zero), shape_of_data(x)),
                             unbroadcast(xp.where(cond, zero, g), shape_of_data(y))))


def nan_to_num(x, nan=0.0, posinf=None, neginf=None):
    xp = backend_xp()
    data = _as_array(x)
    out = xp.nan_to_num(data, nan=nan, posinf=posinf, neginf=neginf)
    if not needs_grad(x):
        return out
    finite = xp.isfinite(data).astype(data.dtype)
    return record(out, (x,), lambda g: (g * finite,))


# Complex cotangents follow PyTorch's convention: the gradient of a real loss
# with respect to z is dL/dRe(z) + i dL/dIm(z).


def real(x):
    return _complex_part(x, backend_xp().real, 1)


def imag(x):
    return _complex_part(x, backend_xp().imag, 1j)


def _complex_part(x, part, unit):
    data = _as_array(data_of(x))
    out = part(data)
    if not needs_grad(x):
        return out
    if data.dtype.kind != "c":
        return x if unit == 1 else out  # real(x) is x; imag(x) is constant zeros
    return record(out, (x,), lambda g: (g * unit,))


def conj(x):
    xp = backend_xp()
    data = _as_array(data_of(x))
    out = xp.conj(data)
    if not needs_grad(x):
        return out
    return record(out, (x,), lambda g: (xp.conj(g),))


def conjugate(x):
    return conj(x)


def angle(x):
    return _unary(x, backend_xp().angle, None)


def isfinite(x): return backend_xp().isfinite(_as_array(x))
def isinf(x): return backend_xp().isinf(_as_array(x))
def isnan(x): return backend_xp().isnan(_as_array(x))
def isneginf(x):
    data = _as_array(x)
    return backend_xp().isinf(data) & (data < 0)


def isposinf(x):
    data = _as_array(x)
    return backend_xp().isinf(data) & (data > 0)


def isreal(x):
    data = _as_array(x)
    return backend_xp().imag(data) == 0 if data.dtype.kind == "c" else backend_xp().ones(data.shape, bool)


# --- comparisons and logic (not differentiable) ---------------------------


def _compare(name, x1, x2, forward):
    x, y = _pair(name, data_of(x1), data_of(x2))
    try:
        return forward(x, y)
    except ValueError:
        raise _broadcast_error(name, x, y) from None


def equal(x1, x2): return _compare("equal", x1, x2, lambda x, y: x == y)
def not_equal(x1, x2): return _compare("not_equal", x1, x2, lambda x, y: x != y)
def less(x1, x2): return _compare("less", x1, x2, lambda x, y: x < y)
def less_equal(x1, x2): return _compare("less_equal", x1, x2, lambda x, y: x <= y)
def greater(x1, x2): return _compare("greater", x1, x2, lambda x, y: x > y)
def greater_equal(x1, x2): return _compare("greater_equal", x1, x2, lambda x, y: x >= y)


def logical_and(x1, x2):
    return _compare("logical_and", x1, x2, backend_xp().logical_and)


def logical_or(x1, x2):
    return _compare("logical_or", x1, x2, backend_xp().logical_or)


def logical_xor(x1, x2):
    return _compare("logical_xor", x1, x2, backend_xp().logical_xor)


def logical_not(x):
    return backend_xp().logical_not(_as_array(x))


def isclose(x1, x2, rtol=1e-05, atol=1e-08, equal_nan=False):
    return _compare("isclose", x1, x2, lambda x, y: backend_xp().isclose(
        x, y, rtol=rtol, atol=atol, equal_nan=equal_nan))


def allclose(x1, x2, rtol=1e-05, atol=1e-08, equal_nan=False):
    return backend_xp().all(isclose(x1, x2, rtol, atol, equal_nan))


def argmax(x, axis=None, keepdims=False):
    return backend_xp().argmax(_as_array(x), axis=axis, keepdims=keepdims).astype("int32")


def argmin(x, axis=None, keepdims=False):
    return backend_xp().argmin(_as_array(x), axis=axis, keepdims=keepdims).astype("int32")


# --- reductions ----------------------------------------------------------


def _normalize_axes(axis, ndim):
    if axis is None:
        return tuple(range(ndim))
    axes = axis if isinstance(axis, (tuple, list)) else (axis,)
    return tuple(sorted(a % ndim for a in axes)) if ndim else ()


def _expand_reduced(g, axes, keepdims):
    if keepdims:
        return g
    for axis in axes:
        g = backend_xp().expand_dims(g, axis)
    return g


def _axis_arg(axis):
    return tuple(axis) if isinstance(axis, list) else axis


def sum(x, axis=None, keepdims=False):
    data = _as_array(x)
    axis = _axis_arg(axis)
    if data.dtype.kind in "biu":
        out = data.sum(axis=axis, keepdims=keepdims, dtype=_accumulator(data.dtype))
    else:
        out = data.sum(axis=axis, keepdims=keepdims)
    if not needs_grad(x):
        return out
    axes = _normalize_axes(axis, data.ndim)
    xp = backend_xp()
    return record(out, (x,), lambda g: (xp.broadcast_to(_expand_reduced(g, axes, keepdims), data.shape),))


def mean(x, axis=None, keepdims=False):
    data = _as_array(x)
    axis = _axis_arg(axis)
    out = data.mean(axis=axis, keepdims=keepdims)
    if data.dtype.kind in "iub":
        out = out.astype(FLOATX)
    if not needs_grad(x):
        return out
    axes = _normalize_axes(axis, data.ndim)
    count = 1
    for i in axes:
        count *= data.shape[i]
    xp = backend_xp()
    return record(out, (x,), lambda g: (
        xp.broadcast_to(_expand_reduced(g, axes, keepdims) / count, data.shape),))


def _extremum(x, axis, keepdims, reduce, initial=None):
    data = _as_array(x)
    axis = _axis_arg(axis)
    out = reduce(data, axis=axis, keepdims=keepdims)
    if initial is not None:
        out = (backend_xp().maximum if reduce is backend_xp().max else backend_xp().minimum)(
            out, backend_xp().asarray(initial, dtype=out.dtype))
    if not needs_grad(x):
        return out
    axes = _normalize_axes(axis, data.ndim)

    def vjp(g):
        hit = (data == _expand_reduced(out, axes, keepdims)).astype(data.dtype)
        hit /= backend_xp().maximum(hit.sum(axis=axes, keepdims=True), 1)  # ties share the gradient
        return (hit * _expand_reduced(g, axes, keepdims),)
    return record(out, (x,), vjp)


def max(x, axis=None, keepdims=False, initial=None):
    return _extremum(x, axis, keepdims, backend_xp().max, initial)


def min(x, axis=None, keepdims=False, initial=None):
    return _extremum(x, axis, keepdims, backend_xp().min, initial)


def amax(x, axis=None, keepdims=False):
    return max(x, axis=axis, keepdims=keepdims)


def amin(x, axis=None, keepdims=False):
    return min(x, axis=axis, keepdims=keepdims)


def var(x, axis=None, keepdims=False):
    data = _as_array(x)
    if data.dtype.kind not in _FLOATING:
        x = data.astype(FLOATX)
    axis = _axis_arg(axis)
    centered = subtract(x, mean(x, axis=axis, keepdims=True))
    return mean(square(centered), axis=axis, keepdims=keepdims)


def std(x, axis=None, keepdims=False):
    return sqrt(var(x, axis=axis, keepdims=keepdims))


def prod(x, axis=None, keepdims=False, dtype=None):
    data = _as_array(x)
    if dtype is not None:
        data = data.astype(standardize_dtype(dtype))
    elif data.dtype.kind in "biu":
        data = data.astype(_accumulator(data.dtype))
    axis = _axis_arg(axis)
    out = data.prod(axis=axis, keepdims=keepdims, dtype=data.dtype)
    if not needs_grad(x):
        return out
    axes = _normalize_axes(axis, data.ndim)
    xp = backend_xp()

    def vjp(g):
        # product of the others: exclusive cumulative products from both sides
        moved = xp.moveaxis(data, axes, tuple(range(len(axes))))
        flat = moved.reshape((-1,) + moved.shape[len(axes):])
        ones = xp.ones((1,) + flat.shape[1:], dtype=flat.dtype)
        left = xp.cumprod(xp.concatenate([ones, flat[:-1]], 0), axis=0)
        right = xp.flip(xp.cumprod(xp.concatenate([ones, xp.flip(flat, 0)[:-1]], 0), axis=0), 0)
        others = (left * right).reshape(moved.shape)
        others = xp.moveaxis(others, tuple(range(len(axes))), axes)
        return (others * _expand_reduced(g, axes, keepdims),)
    return record(out, (x,), vjp)


def all(x, axis=None, keepdims=False):
    return backend_xp().all(_as_array(x), axis=_axis_arg(axis), keepdims=keepdims)


def any(x, axis=None, keepdims=False):
    return backend_xp().any(_as_array(x), axis=_axis_arg(axis), keepdims=keepdims)


def count_nonzero(x, axis=None):
    return backend_xp().count_nonzero(_as_array(x), axis=_axis_arg(axis)).astype("int32")


def logsumexp(x, axis=None, keepdims=False):
    data = _as_array(x)
    if data.dtype.kind not in _FLOATING:
        x = data = data.astype(FLOATX)
    axis = _axis_arg(axis)
    xp = backend_xp()
    top = xp.max(data, axis=axis, keepdims=True)
    top = xp.where(xp.isfinite(top), top, 0)
    shifted = xp.exp(data - top)
    total = shifted.sum(axis=axis, keepdims=True)
    out = xp.log(total) + top
    if not keepdims:
        out = out.squeeze(axis=_normalize_axes(axis, data.ndim)) if data.ndim else out
    if not needs_grad(x):
        return out
    axes = _normalize_axes(axis, data.ndim)
    return record(out, (x,), lambda g: (shifted / total * _expand_reduced(g, axes, keepdims),))


def _cumulative_inputs(x, axis, dtype):
    """(array, source, axis) of a cumulative op: ``dtype`` (booleans as
    int32) applied, and flattened when ``axis`` is None, as Keras does."""
    data = _as_array(x)
    if dtype is not None:
        data = data.astype(standardize_dtype(dtype))
    elif data.dtype.kind == "b":
        data = data.astype("int32")
    if axis is None:
        return data, data.reshape(-1), 0
    return data, data, axis


def cumsum(x, axis=None, dtype=None):
    xp = backend_xp()
    data, source, ax = _cumulative_inputs(x, axis, dtype)
    out = xp.cumsum(source, axis=ax, dtype=source.dtype)
    if not needs_grad(x):
        return out
    return record(out, (x,), lambda g: (
        xp.flip(xp.cumsum(xp.flip(g, ax), axis=ax), ax).reshape(data.shape),))


def cumprod(x, axis=None, dtype=None):
    xp = backend_xp()
    data, source, ax = _cumulative_inputs(x, axis, dtype)
    out = xp.cumprod(source, axis=ax, dtype=source.dtype)
    if not needs_grad(x):
        return out

    def vjp(g):
        # d out_j / d x_i = out_j / x_i for j >= i (inputs away from zero)
        reverse = xp.flip(xp.cumsum(xp.flip(g * out, ax), axis=ax), ax)
        return ((reverse / source).reshape(data.shape),)
    return record(out, (x,), vjp)


# --- linear algebra ------------------------------------------------------


def matmul(x1, x2):
    xp = backend_xp()
    x, y = data_of(x1), data_of(x2)
    if getattr(x, "dtype", None) != getattr(y, "dtype", 0):
        x, y = _pair("matmul", _as_array(x), _as_array(y))
    try:
        out = xp.matmul(x, y)
    except ValueError:
        raise ValueError(f"matmul: the last axis of `x1` and the contracted axis of `x2` differ: "
                         f"x1.shape={tuple(shape_of_data(x))}, x2.shape={tuple(shape_of_data(y))}") from None
    if not needs_grad(x1, x2):
        return out
    want_x, want_y = is_tracked(x1), is_tracked(x2)

    def vjp(g):
        # Promote 1-D operands to matrices as matmul does, then undo it.
        xm = x if x.ndim > 1 else x[None, :]
        ym = y if y.ndim > 1 else y[:, None]
        gm = g
        if y.ndim == 1:
            gm = xp.expand_dims(gm, -1)
        if x.ndim == 1:
            gm = xp.expand_dims(gm, -2)
        gx = gy = None
        if want_x:
            gx = unbroadcast(xp.matmul(gm, xp.swapaxes(ym, -1, -2)), xm.shape).reshape(x.shape)
        if want_y:
            gy = unbroadcast(xp.matmul(xp.swapaxes(xm, -1, -2), gm), ym.shape).reshape(y.shape)
        return gx, gy
    return record(out, (x1, x2), vjp)


_builtin_any, _builtin_all = builtins.any, builtins.all

__all__ = [name for name in dir() if not name.startswith("_") and name not in
           ("annotations", "backend_xp", "data_of", "needs_grad", "record", "np", "builtins",
            "shape_of_data", "unbroadcast", "is_tracked", "FLOATX", "promote_types",
            "standardize_dtype")]
