"""Keras masks riding on tensors, as ``keras.src.backend.get/set_keras_mask``.

A mask is a boolean backend array attached to the tensor it describes.
Tensors, Variables' outputs and symbolic ``KerasTensor``s hold it in a
``_keras_mask`` attribute; plain backend arrays (``numpy.ndarray``,
``cupy.ndarray``) take no attributes, so their masks live in a side table
keyed by ``id()`` and are dropped by ``weakref.finalize`` when the array dies
(so a recycled id never inherits a stale mask).
"""
from __future__ import annotations

import weakref

_side_table: dict[int, object] = {}


def _forget(key):
    _side_table.pop(key, None)


def get_keras_mask(x):
    """The mask attached to ``x``, or None."""
    if x is None:
        return None
    try:
        return x._keras_mask
    except AttributeError:
        return _side_table.get(id(x))


def set_keras_mask(x, mask):
    """Attach ``mask`` to ``x`` (None detaches). Values that can be neither
    given an attribute nor weakly referenced (Python scalars) keep no mask."""
    try:
        x._keras_mask = mask
        return
    except AttributeError:
        pass
    key = id(x)
    if mask is None:
        _side_table.pop(key, None)
        return
    try:
        if key not in _side_table:
            weakref.finalize(x, _forget, key)
    except TypeError:
        return
    _side_table[key] = mask


def with_keras_mask(x, mask):
    """A fresh alias of ``x`` (same data, new object) carrying ``mask``, so
    attaching a mask never marks the caller's own array."""
    from brickwork import ops
    alias = ops.reshape(x, ops.shape(x))
    set_keras_mask(alias, mask)
    return alias
