"""The reference's geometry and window views, on NumPy, with its buffers
reused: a block of im2col rows is copied into a scratch buffer kept per
thread (not a fresh multi-megabyte array faulted in on every call, and the
rows stay in cache), large copies are split between two cores, and the
window views are read-only.
"""
from __future__ import annotations

import math
import os
import threading
import weakref

import numpy as np
from numpy.lib.stride_tricks import as_strided

from brickwork.reference_kernels import bind, geometry

from ..helper_thread import executor

reference = bind(geometry, globals(), xp=np)

#: Copies at least this large are split between the calling thread and one
#: helper: NumPy copies on one core (releasing the GIL) while BLAS sits idle.
PARALLEL_COPY_BYTES = 4 << 20

_scratch = threading.local()


def copy_into(destination, source):
    """``destination[...] = source``, split across two cores when large."""
    if (destination.nbytes < PARALLEL_COPY_BYTES or (os.cpu_count() or 1) < 2
            or destination.ndim < 2 or destination.shape[1] < 2):
        np.copyto(destination, source)
        return
    # Split along axis 1: the batch block may hold a single sample.
    half = destination.shape[1] // 2
    pending = executor().submit(np.copyto, destination[:, :half], source[:, :half])
    np.copyto(destination[:, half:], source[:, half:])
    pending.result()


def scratch(shape, dtype, slot=0):
    """A reused, uninitialised array of ``shape``; ``slot`` tells apart
    buffers that are alive at the same time. Whatever the slot held before
    is forgotten (see :func:`label_scratch`)."""
    dtype = np.dtype(dtype)
    nbytes = math.prod(shape) * dtype.itemsize
    buffers = _scratch.__dict__.setdefault("buffers", {})
    _scratch.__dict__.setdefault("labels", {}).pop(slot, None)
    buffer = buffers.get(slot)
    if buffer is None or buffer.nbytes < nbytes:
        buffer = np.empty(max(nbytes, 1), dtype=np.uint8)
        buffers[slot] = buffer
    return buffer[:nbytes].view(dtype).reshape(shape)


def label_scratch(slot, source, key):
    """Note that ``slot`` now holds data computed from the array ``source``
    (held by a weak reference) in the way ``key`` describes."""
    _scratch.__dict__.setdefault("labels", {})[slot] = (weakref.ref(source), key)


def labelled_scratch(slot, source, key, shape, dtype):
    """``slot``'s contents as ``shape``/``dtype`` when they were computed from
    this very ``source`` array as ``key`` says and no one has taken the
    slot since; else None."""
    label = _scratch.__dict__.get("labels", {}).get(slot)
    if label is None or label[0]() is not source or label[1] != key:
        return None
    dtype = np.dtype(dtype)
    nbytes = math.prod(shape) * dtype.itemsize
    return _scratch.buffers[slot][:nbytes].view(dtype).reshape(shape)


def strided_view(a, shape, strides):
    """``a``'s memory seen with ``shape`` and ``strides``, read-only: the
    window views' elements overlap."""
    return as_strided(a, shape=shape, strides=strides, writeable=False)
