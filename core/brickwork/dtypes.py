"""Dtype names and checks shared by layers, variables and ops, and Keras 3's
dtype-promotion rules (``result_type``)."""
from __future__ import annotations

import functools

import numpy as np

from brickwork import global_state

FLOATX = "float32"  # the default of ``floatx()``; the current value is ``floatx()``

_ALIASES = {"float": "float32", "int": "int32", "double": "float64", "half": "float16"}

BOOL_TYPES = ("bool",)
INT_TYPES = ("uint8", "uint16", "uint32", "uint64", "int8", "int16", "int32", "int64")
FLOAT_TYPES = ("bfloat16", "float16", "float32", "float64")
WEAK_TYPES = ("int", "float")
COMPLEX_TYPES = ("complex64", "complex128")
FLOAT8_TYPES = ("float8_e4m3fn", "float8_e5m2")
# Keras's dtype names; those NumPy lacks (bfloat16, string, float8) are
# accepted as names only.
ALLOWED_DTYPES = ("float16", "float32", "float64", "uint8", "uint16", "uint32", "uint64",
                  "int8", "int16", "int32", "int64", "bfloat16", "bool", "string",
                  "float8_e4m3fn", "float8_e5m2", "complex64", "complex128")
_NAME_ONLY = frozenset(("bfloat16", "string") + FLOAT8_TYPES)
# Python types as Keras reads them (not as NumPy does: ``int`` is int32).
PYTHON_DTYPES = {bool: "bool", int: "int32", float: "float32", str: "string",
                 complex: "complex64"}


class InvalidDtypeError(ValueError, TypeError):
    """Not a dtype brickwork knows (a ValueError, as in Keras, and a
    TypeError, as NumPy raises)."""


_NAMES = {}  # (type, name or dtype) -> canonical name; np.dtype.name is computed in Python


def floatx() -> str:
    """The default float dtype (``brickwork.config.set_floatx``)."""
    return global_state.settings["floatx"]


def standardize_dtype(dtype) -> str:
    """A dtype's canonical name (``"float32"``), from a name, numpy dtype,
    Python type (``int`` is ``"int32"``, as in Keras) or policy; ``None`` is
    ``floatx()``.

    Raises:
        InvalidDtypeError: an unknown dtype.
    """
    if isinstance(dtype, (str, np.dtype)):
        key = (type(dtype), dtype)
        name = _NAMES.get(key)
        if name is None:
            name = _NAMES[key] = _standardize(dtype)
        return name
    return _standardize(dtype)


def _standardize(dtype) -> str:
    if dtype is None:
        return floatx()
    if isinstance(dtype, dict):  # a serialized DTypePolicy
        return standardize_dtype(dtype.get("config", {}).get("name"))
    if isinstance(dtype, type) and dtype in PYTHON_DTYPES:
        return PYTHON_DTYPES[dtype]
    name = getattr(dtype, "name", None)
    if isinstance(name, str) and not isinstance(dtype, (str, np.dtype, type)):
        dtype = name  # a DTypePolicy-like object, or another library's dtype
    if isinstance(dtype, str):
        if dtype in _NAME_ONLY:
            return dtype
        dtype = _ALIASES.get(dtype, dtype)
    try:
        return np.dtype(dtype).name
    except TypeError:
        text = str(dtype)
        if "torch." in text or "jax.numpy" in text:  # torch.float32 -> float32
            return standardize_dtype(text.split(".")[-1])
        raise InvalidDtypeError(f"Invalid dtype: {dtype}") from None


def is_float_dtype(dtype) -> bool:
    """Whether ``dtype`` is a float dtype (bfloat16 and float8 included)."""
    name = standardize_dtype(dtype)
    return name.startswith("float") or name.startswith("bfloat")


def is_int_dtype(dtype) -> bool:
    """Whether ``dtype`` is a signed or unsigned integer dtype."""
    name = standardize_dtype(dtype)
    return name.startswith("int") or name.startswith("uint")


# --- Keras's type promotion ------------------------------------------------
#
# Keras 3 (like JAX) promotes dtypes along a lattice: each dtype points to the
# dtypes immediately above it; the result of combining dtypes is their least
# upper bound. Python ``int`` and ``float`` are *weak* types: they take the
# other operand's width (``int8 + int`` is int8). Results then stay 32-bit
# wide where Keras's JAX-aligned rules say so (``int64`` -> ``int32`` and
# ``float64`` -> ``float32`` on every backend but TensorFlow).

def _lattice():
    b1, = BOOL_TYPES
    u1, u2, u4, u8, i1, i2, i4, i8 = INT_TYPES
    bf, f2, f4, f8 = FLOAT_TYPES
    i_, f_ = WEAK_TYPES
    c64, c128 = COMPLEX_TYPES
    return {b1: [i_], u1: [i2, u2], u2: [i4, u4], u4: [i8, u8], u8: [f_],
            i_: [u1, i1, c64], i1: [i2], i2: [i4], i4: [i8], i8: [f_],
            f_: [bf, f2], bf: [f4], f2: [f4], f4: [f8, c64], f8: [c128],
            c64: [c128], c128: []}


def _upper_bounds():
    lattice = _lattice()
    bounds = {node: {node} for node in lattice}
    for node in lattice:
        while True:
            above = set().union(*(lattice[b] for b in bounds[node]))
            if above <= bounds[node]:
                break
            bounds[node] |= above
    return bounds


_UPPER_BOUNDS = _upper_bounds()


@functools.lru_cache(512)
def _least_upper_bound(*nodes):
    nodes = set(nodes)
    unknown = [n for n in nodes if n not in _UPPER_BOUNDS]
    if unknown:
        raise ValueError(f"dtype={unknown[0]!r} is not a valid dtype for Keras type promotion.")
    common = set.intersection(*(_UPPER_BOUNDS[n] for n in nodes))
    least = (common & nodes) or {c for c in common if common <= _UPPER_BOUNDS[c]}
    if len(least) != 1:
        raise ValueError(f"Input dtypes {tuple(sorted(nodes))} have no available implicit dtype "
                         f"promotion path. Try explicitly casting inputs to the desired output "
                         f"type.")
    return least.pop()


def _weak_name(dtype):
    if dtype == "bool":
        return dtype
    for kind in ("float", "int", "complex"):
        if kind in dtype:
            return kind
    raise ValueError(f"Invalid value for argument `dtype`. Expected one of {ALLOWED_DTYPES}. "
                     f"Received: dtype={dtype}")


def _resolve_weak(dtype, precision):
    kind = "f" if dtype == "bfloat16" else dtype[:1]
    if kind == "b":
        return "bool"
    if kind == "i":
        return f"int{precision}"
    if kind == "u":
        return f"uint{precision}"
    return f"float{precision}"


@functools.lru_cache(256)
def promote_types(a, b) -> np.dtype:
    """The NumPy dtype two arrays of dtypes ``a`` and ``b`` meet in, on Keras's
    lattice (``int32`` with ``float32`` is float32, not NumPy's float64;
    ``uint8`` with ``int8`` is int16), without ``result_type``'s narrowing of
    64-bit results: ``float64`` stays float64. Dtypes off the lattice fall
    back to NumPy's promotion."""
    a, b = standardize_dtype(a), standardize_dtype(b)
    if a == b:
        return np.dtype(a)
    try:
        out = _least_upper_bound(a, b)
    except ValueError:
        return np.promote_types(a, b)
    if out in WEAK_TYPES:  # uint64 with a signed int: no integer holds both
        out = _resolve_weak(out, floatx()[-2:])
    return np.dtype(out)


_TO_32_BITS = {"int64": "int32", "uint64": "uint32", "float64": "float32",
               "complex128": "complex64"}


def result_type(*dtypes) -> str:
    """The dtype Keras's promotion rules give for combining ``dtypes``
    (``keras.backend.result_type``): names, NumPy dtypes, or the weak Python
    types ``int`` and ``float``; ``None`` counts as ``floatx()``, and no
    argument at all gives ``floatx()``.

    >>> result_type("int32", "float16")
    'float16'
    >>> result_type("int8", int)
    'int8'
    """
    if not dtypes:
        return floatx()
    for dtype in dtypes:
        if isinstance(dtype, str) and dtype in FLOAT8_TYPES:
            raise ValueError(f"There is no implicit conversions from float8 dtypes to others. "
                             f"You must cast it internally. Received: {dtypes}")
    args = [floatx() if d is None else d for d in dtypes]
    names = [standardize_dtype(a) for a in args]
    weak = [a is int or a is float for a in args]
    if len(names) == 1:
        out, out_weak = names[0], weak[0]
    elif len(set(names)) == 1 and not all(weak):
        out, out_weak = names[0], False
    elif all(weak):
        out, out_weak = _least_upper_bound(*set(names)), True
    else:
        out = _least_upper_bound(*{_weak_name(n) if w else n for n, w in zip(names, weak)})
        out_weak = out in WEAK_TYPES
    if out_weak and out != "bool":
        out = _resolve_weak(out, floatx()[-2:])
    return _TO_32_BITS.get(out, out)
