"""Dtype names and checks shared by layers, variables and ops."""
from __future__ import annotations

import numpy as np

FLOATX = "float32"

_ALIASES = {"float": "float32", "int": "int32", "double": "float64", "half": "float16"}


_NAMES = {}  # (type, name or dtype) -> canonical name; np.dtype.name is computed in Python


def standardize_dtype(dtype) -> str:
    """A dtype's canonical name (``"float32"``), from a name, numpy dtype or type."""
    if isinstance(dtype, (str, np.dtype)):
        key = (type(dtype), dtype)
        name = _NAMES.get(key)
        if name is None:
            name = _NAMES[key] = _standardize(dtype)
        return name
    return _standardize(dtype)


def _standardize(dtype) -> str:
    if dtype is None:
        return FLOATX
    if isinstance(dtype, dict):  # a serialized DTypePolicy
        return standardize_dtype(dtype.get("config", {}).get("name"))
    name = getattr(dtype, "name", None)
    if isinstance(name, str) and not isinstance(dtype, (str, np.dtype, type)):
        dtype = name  # a DTypePolicy-like object
    if isinstance(dtype, str):
        dtype = _ALIASES.get(dtype, dtype)
    return np.dtype(dtype).name


def is_float_dtype(dtype) -> bool:
    return np.dtype(standardize_dtype(dtype)).kind == "f"


def floatx() -> str:
    return FLOATX
