"""The masked softmax of attention, served by the kernel table."""
from __future__ import annotations

from brickwork.ops.manipulation import reshape, transpose
from brickwork.ops.core import backend_xp, data_of, kernels, needs_grad, record, shape


def _masked_softmax_along(x, mask, axis):
    k = kernels()
    y = k.masked_softmax_forward(data_of(x), mask, axis)
    if not needs_grad(x):
        return y
    return record(y, (x,), lambda g: (k.softmax_backward(g, y, axis),))


def masked_softmax(x, mask=None, axis=-1):
    """Softmax over ``axis`` (an int or a tuple of ints) of the entries where
    ``mask`` (boolean, broadcastable to ``x``; None: all) is True; masked
    entries and fully masked slices give 0, as Keras' Softmax layer."""
    ndim = len(shape(x))
    axes = tuple(sorted({a % ndim for a in (axis if isinstance(axis, (tuple, list)) else (axis,))}))
    mask = None if mask is None else data_of(mask)
    if len(axes) == 1:
        return _masked_softmax_along(x, mask, axes[0])
    # Several axes: move them last (a no-op when they already are) and merge them.
    rest = tuple(a for a in range(ndim) if a not in axes)
    order = rest + axes
    moved = transpose(x, order) if order != tuple(range(ndim)) else x
    moved_shape = shape(moved)
    if mask is not None:
        mask = backend_xp().broadcast_to(mask, shape(x)).transpose(order).reshape(
            moved_shape[:len(rest)] + (-1,))
    y = _masked_softmax_along(reshape(moved, moved_shape[:len(rest)] + (-1,)), mask, -1)
    y = reshape(y, moved_shape)
    if order == tuple(range(ndim)):
        return y
    return transpose(y, tuple(order.index(a) for a in range(ndim)))


__all__ = ["masked_softmax"]
