"""``HostLayer``: the base of the layers that take strings (or other values
a backend array cannot hold) and compute on NumPy host arrays.

Keras runs these layers in TensorFlow on the CPU. Here their inputs stay
NumPy arrays (strings as ``object`` or ``str`` arrays, bytes decoded as
UTF-8); numeric results are handed back as backend arrays, string results
as NumPy ``object`` arrays.
"""
from __future__ import annotations

import numpy as np

from brickwork import ops, tree
from brickwork.layers.layer import Layer
from brickwork.layers.preprocessing import adapt_data


class HostLayer(Layer):
    """A layer whose ``call`` works on NumPy arrays of any dtype, strings included."""

    input_dtype_kinds = "biufOUS"

    def _convert_inputs(self, inputs):
        from brickwork.symbolic import KerasTensor

        def convert(value):
            if value is None or isinstance(value, KerasTensor):
                return value
            if isinstance(value, (str, bytes)):
                value = [value]
                return adapt_data.to_host(value).reshape(())
            return adapt_data.to_host(value)
        if _is_nested_scalars(inputs):  # ["a b", "c"]: one array, not a structure of strings
            return adapt_data.to_host(np.asarray(inputs, dtype=object)
                                      if _has_strings(inputs) else np.asarray(inputs))
        return tree.map_structure(convert, inputs)


def _is_nested_scalars(value):
    if isinstance(value, (list, tuple)):
        return len(value) > 0 and all(_is_nested_scalars(v) for v in value)
    return isinstance(value, (str, bytes, int, float, bool, np.generic))


def _has_strings(value):
    if isinstance(value, (list, tuple)):
        return any(_has_strings(v) for v in value)
    return isinstance(value, (str, bytes))


def to_output(array):
    """A numeric result as a backend array; strings stay a NumPy object array."""
    array = np.asarray(array)
    if array.dtype.kind in "OUS":
        return array.astype(object)
    return ops.convert_to_tensor(array)


def as_strings(array):
    """``array`` as a NumPy object array of Python ``str`` (bytes decoded as UTF-8)."""
    array = np.asarray(array)
    if array.dtype.kind == "S":
        return np.char.decode(array, "utf-8").astype(object)
    if array.dtype.kind == "U":
        return array.astype(object)
    if array.dtype.kind == "O":
        flat = [v.decode("utf-8") if isinstance(v, bytes) else v for v in array.reshape(-1)]
        out = np.empty(array.shape, dtype=object)
        out.reshape(-1)[:] = flat if flat else []
        return out
    return array
