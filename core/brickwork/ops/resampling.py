"""Differentiable padding and resampling along spatial axes."""
from __future__ import annotations

import numpy as np

from brickwork.ops.manipulation import broadcast_to, expand_dims, reshape
from brickwork.ops.core import backend_xp, convert_to_tensor, data_of, needs_grad, record, shape
from brickwork.ops.einsum import einsum


def pad(x, pad_width):
    """Zero-pad ``x``; ``pad_width`` holds one ``(before, after)`` pair per axis."""
    xd = data_of(x)
    pad_width = tuple((int(a), int(b)) for a, b in pad_width)
    out = backend_xp().pad(xd, pad_width)
    if not needs_grad(x):
        return out
    inner = tuple(slice(a, a + n) for (a, _), n in zip(pad_width, xd.shape))
    return record(out, (x,), lambda g: (g[inner],))


def repeat_along_axes(x, factors):
    """Repeat each element ``factors[axis]`` times along each given axis
    (``numpy.repeat`` on several axes at once), in one copy."""
    in_shape = shape(x)
    factors = {axis % len(in_shape): int(n) for axis, n in factors.items()}
    # (..., n, ...) -> (..., n, 1, ...) -> broadcast (..., n, f, ...) -> merge the pair.
    expanded, out_shape = x, []
    inserted = 0
    for axis, size in enumerate(in_shape):
        if axis in factors:
            expanded = expand_dims(expanded, axis + inserted + 1)
            inserted += 1
            out_shape.append(size * factors[axis])
        else:
            out_shape.append(size)
    wide = []
    for axis, size in enumerate(in_shape):
        wide.append(size)
        if axis in factors:
            wide.append(factors[axis])
    return reshape(broadcast_to(expanded, tuple(wide)), tuple(out_shape))


def linear_resize_matrix(in_size, out_size, dtype="float32"):
    """The ``(out_size, in_size)`` matrix of 1-D linear interpolation with
    half-pixel centres, as Keras' ``ops.image.resize(..., "bilinear")`` uses
    (``jax.image.resize``; torch ``interpolate(align_corners=False)``):
    output ``i`` samples input position ``(i + 0.5) * in / out - 0.5``,
    clamped to the edges."""
    position = (np.arange(out_size) + 0.5) * (in_size / out_size) - 0.5
    position = np.clip(position, 0, in_size - 1)
    low = np.floor(position).astype(np.int64)
    high = np.minimum(low + 1, in_size - 1)
    frac = position - low
    matrix = np.zeros((out_size, in_size))
    rows = np.arange(out_size)
    np.add.at(matrix, (rows, low), 1 - frac)
    np.add.at(matrix, (rows, high), frac)
    return convert_to_tensor(matrix, dtype=dtype)


def resize_linear(x, sizes):
    """Linear interpolation of ``x`` to ``sizes[axis]`` along each given axis,
    one matrix product per axis."""
    x_shape = shape(x)
    letters = "abcdefghijklmnopqrstuvwxyz"[:len(x_shape)]
    dtype = str(data_of(x).dtype)
    for axis, out_size in sizes.items():
        axis %= len(x_shape)
        matrix = linear_resize_matrix(x_shape[axis], int(out_size), dtype)
        source = letters[:axis] + "Z" + letters[axis + 1:]
        x = einsum(f"{letters[axis]}Z,{source}->{letters}", matrix, x)
    return x


__all__ = ["repeat_along_axes", "linear_resize_matrix", "resize_linear"]
