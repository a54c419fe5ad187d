"""Differentiable shape manipulation, indexing, sorting and array creation.

Ops that only move elements around (flip, roll, tile, repeat, diagonal, ...)
share one gradient: the op is applied to the positions ``arange(size)``, and
the incoming gradient is scatter-added back to the positions it came from.
"""
from __future__ import annotations

import builtins

import numpy as np

from brickwork.dtypes import FLOATX, promote_types, standardize_dtype
from brickwork.ops.core import array_adapters, backend_xp, data_of, kernels, needs_grad, record, unbroadcast


def _array(x):
    data = data_of(x)
    if hasattr(data, "ndim"):
        return data
    from brickwork.ops.math import _as_array
    return _as_array(data)


def _dtype(dtype, default=None):
    if dtype is None:
        return default if default is not None else FLOATX
    return standardize_dtype(dtype)


def _rearrange(x, forward):
    """``forward(data)`` for an op that only selects/moves elements; its
    gradient scatter-adds back through ``forward(positions)``."""
    data = _array(x)
    out = forward(data)
    if not needs_grad(x):
        return out
    xp = backend_xp()
    positions = forward(xp.arange(data.size).reshape(data.shape))

    def vjp(g):
        grad = xp.zeros(data.size, dtype=g.dtype)
        array_adapters().add_at(grad, positions.reshape(-1), g.reshape(-1))
        return (grad.reshape(data.shape),)
    return record(out, (x,), vjp)


def _rearrange_many(x, forward):
    """As ``_rearrange`` for an op returning a list of arrays (split)."""
    data = _array(x)
    outs = forward(data)
    if not needs_grad(x):
        return list(outs)
    return [_rearrange(x, lambda d, i=i: forward(d)[i]) for i in range(len(outs))]


def reshape(x, newshape):
    data = _array(x)
    newshape = (newshape,) if isinstance(newshape, int) else tuple(
        -1 if d is None else d for d in newshape)
    try:
        out = data.reshape(newshape)
    except ValueError:
        raise ValueError(f"reshape: cannot reshape `x` of shape {tuple(data.shape)} "
                         f"({data.size} elements) into `newshape`={newshape}") from None
    if not needs_grad(x):
        return out
    return record(out, (x,), lambda g: (g.reshape(data.shape),))


def transpose(x, axes=None):
    data = _array(x)
    out = backend_xp().transpose(data, axes)
    if not needs_grad(x):
        return out
    inverse = None if axes is None else tuple(np.argsort([a % data.ndim for a in axes]))
    return record(out, (x,), lambda g: (backend_xp().transpose(g, inverse),))


def expand_dims(x, axis):
    data = _array(x)
    out = backend_xp().expand_dims(data, axis)
    if not needs_grad(x):
        return out
    return record(out, (x,), lambda g: (g.reshape(data.shape),))


def squeeze(x, axis=None):
    data = _array(x)
    out = backend_xp().squeeze(data, axis=axis)
    if not needs_grad(x):
        return out
    return record(out, (x,), lambda g: (g.reshape(data.shape),))


def broadcast_to(x, shape):
    data = _array(x)
    try:
        out = backend_xp().broadcast_to(data, tuple(shape))
    except ValueError:
        raise ValueError(f"broadcast_to: `x` of shape {tuple(data.shape)} cannot be broadcast "
                         f"to `shape`={tuple(shape)}") from None
    if not needs_grad(x):
        return out
    return record(out, (x,), lambda g: (unbroadcast(g, data.shape),))


def concatenate(xs, axis=0):
    datas = [data_of(v) for v in xs]
    first = getattr(datas[0], "dtype", None)
    mixed = first is None
    for d in datas:
        if mixed or getattr(d, "dtype", None) != first:
            mixed = True
            break
    if mixed:
        datas = [_array(d) for d in datas]
        target = datas[0].dtype
        for d in datas[1:]:
            target = promote_types(target, d.dtype)
        datas = [d if d.dtype == target else d.astype(target) for d in datas]
    try:
        out = backend_xp().concatenate(datas, axis=axis)
    except ValueError:
        raise ValueError(f"concatenate: the arrays in `xs` must match except along axis {axis}; "
                         f"shapes: {[tuple(d.shape) for d in datas]}") from None
    if axis is None or not needs_grad(*xs):
        return out
    bounds = np.cumsum([d.shape[axis] for d in datas])[:-1]

    def vjp(g):
        return tuple(backend_xp().split(g, [int(b) for b in bounds], axis=axis))
    return record(out, tuple(xs), vjp)


def stack(x, axis=0):
    return concatenate([expand_dims(v, axis) for v in x], axis=axis)


def hstack(xs):
    xs = [atleast(v, 1) for v in xs]
    return concatenate(xs, axis=0 if _array(xs[0]).ndim == 1 else 1)


def vstack(xs):
    return concatenate([atleast(v, 2) for v in xs], axis=0)


def dstack(xs):
    return concatenate([atleast(v, 3) for v in xs], axis=2)


def atleast(x, ndim):
    data = _array(x)
    if data.ndim >= ndim:
        return x
    shape = {1: (1,), 2: (1, -1), 3: (1, -1, 1)}[ndim] if data.ndim <= 1 else data.shape + (1,)
    if data.ndim == 0:
        shape = (1,) * ndim
    elif data.ndim == 1 and ndim == 3:
        shape = (1, data.shape[0], 1)
    elif data.ndim == 1:
        shape = (1, data.shape[0])
    return reshape(x, shape)


def unstack(x, num=None, axis=0):
    data = _array(x)
    n = data.shape[axis]
    return [take(x, i, axis=axis) for i in range(n)]


def append(x1, x2, axis=None):
    if axis is None:
        return concatenate([ravel(x1), ravel(x2)], axis=0)
    return concatenate([x1, x2], axis=axis)


def getitem(x, key):
    data = _array(x)
    key = _plain_key(key)
    out = data[key]
    if not needs_grad(x):
        return out

    def vjp(g):
        grad = backend_xp().zeros(data.shape, dtype=g.dtype)
        if _is_fancy(key):
            array_adapters().add_at(grad, key, g)  # repeated indices accumulate
        else:
            grad[key] = g
        return (grad,)
    return record(out, (x,), vjp)


def get_item(x, key):
    return getitem(x, key)


def _plain_key(key):
    """Index parts as backend arrays (lists become integer or boolean arrays)."""
    def plain(part):
        part = data_of(part)
        return backend_xp().asarray(part) if isinstance(part, list) else part
    if isinstance(key, tuple):
        return tuple(plain(k) for k in key)
    return plain(key)


def _is_fancy(key):
    parts = key if isinstance(key, tuple) else (key,)
    return builtins.any(getattr(p, "ndim", 0) > 0 for p in parts)


def take(x, indices, axis=None):
    xp = backend_xp()
    data, idx = _array(x), xp.asarray(data_of(indices))
    if idx.dtype.kind not in "iu":
        raise TypeError(f"take: `indices` must be integers, got dtype {idx.dtype}")
    if axis is not None:
        axis = axis % data.ndim
    if axis == 0 and idx.ndim:
        return _take_rows(x, data, idx)
    out = xp.take(data, idx, axis=axis)
    if not needs_grad(x):
        return out

    def vjp(g):
        if axis is None:
            grad = xp.zeros(data.size, dtype=g.dtype)
            array_adapters().add_at(grad, idx.reshape(-1), g.reshape(-1))
            return (grad.reshape(data.shape),)
        moved = xp.moveaxis(xp.zeros(data.shape, dtype=g.dtype), axis, 0)
        g_moved = xp.moveaxis(g, tuple(range(axis, axis + idx.ndim)), tuple(range(idx.ndim)))
        array_adapters().add_at(moved, idx.reshape(-1), g_moved.reshape(-1, *moved.shape[1:]))
        return (xp.moveaxis(moved, 0, axis),)
    return record(out, (x,), vjp)


def _take_rows(a, x, idx):
    """``take`` along axis 0 (Embedding lookups) through the row-gather
    kernels, whose gradient is a fast scatter-add."""
    k = kernels()
    out = k.take_rows_forward(x, idx)
    if not needs_grad(a):
        return out
    return record(out, (a,), lambda g: (k.take_rows_backward(g, idx, x.shape[0]),))


def take_along_axis(x, indices, axis=None):
    xp = backend_xp()
    idx = xp.asarray(data_of(indices))
    if axis is None:
        return _rearrange(x, lambda d: xp.take_along_axis(d.reshape(-1), idx.reshape(-1), 0))
    data = _array(x)
    shape = list(builtins.max(a, b) for a, b in zip(data.shape, idx.shape))
    shape_x, shape_i = list(shape), list(shape)
    shape_x[axis], shape_i[axis] = data.shape[axis], idx.shape[axis]
    idx = xp.broadcast_to(idx, tuple(shape_i))
    source = broadcast_to(x, tuple(shape_x)) if tuple(shape_x) != data.shape else x
    return _rearrange(source, lambda d: xp.take_along_axis(d, idx, axis))


def ravel(x):
    return reshape(x, (-1,))


def flip(x, axis=None):
    return _rearrange(x, lambda d: backend_xp().flip(d, axis))


def fliplr(x):
    return flip(x, 1)


def flipud(x):
    return flip(x, 0)


def roll(x, shift, axis=None):
    return _rearrange(x, lambda d: backend_xp().roll(d, shift, axis))


def rot90(array, k=1, axes=(0, 1)):
    return _rearrange(array, lambda d: backend_xp().rot90(d, k, axes))


def moveaxis(x, source, destination):
    return _rearrange(x, lambda d: backend_xp().moveaxis(d, source, destination))


def swapaxes(x, axis1, axis2):
    return _rearrange(x, lambda d: backend_xp().swapaxes(d, axis1, axis2))


def tile(x, repeats):
    return _rearrange(x, lambda d: backend_xp().tile(d, repeats))


def repeat(x, repeats, axis=None):
    repeats = data_of(repeats)
    return _rearrange(x, lambda d: backend_xp().repeat(d, repeats, axis))


def diagonal(x, offset=0, axis1=0, axis2=1):
    return _rearrange(x, lambda d: backend_xp().diagonal(d, offset, axis1, axis2))


def trace(x, offset=0, axis1=0, axis2=1):
    from brickwork.ops.math import sum as _sum
    return _sum(diagonal(x, offset, axis1, axis2), axis=-1)


def diag(x, k=0):
    data = _array(x)
    if data.ndim == 2:
        return _rearrange(x, lambda d: backend_xp().diag(d, k))
    return diagflat(x, k)


def diagflat(x, k=0):
    xp = backend_xp()
    data = _array(x)
    count = data.size
    n = count + builtins.abs(k)
    index = xp.full((n, n), count)  # position ``count`` holds the zero
    index[xp.arange(count) + builtins.max(-k, 0), xp.arange(count) + builtins.max(k, 0)] = xp.arange(count)
    padded = concatenate([ravel(x), xp.zeros((1,), dtype=data.dtype)], axis=0)
    return reshape(take(padded, index.reshape(-1), axis=None), (n, n))


def tril(x, k=0):
    from brickwork.ops.math import multiply
    data = _array(x)
    mask = backend_xp().tri(data.shape[-2], data.shape[-1], k, dtype=bool)
    return multiply(x, mask.astype(data.dtype)) if data.dtype.kind != "b" else data & mask


def triu(x, k=0):
    from brickwork.ops.math import multiply
    data = _array(x)
    mask = ~backend_xp().tri(data.shape[-2], data.shape[-1], k - 1, dtype=bool)
    return multiply(x, mask.astype(data.dtype)) if data.dtype.kind != "b" else data & mask


def split(x, indices_or_sections, axis=0):
    sections = data_of(indices_or_sections)
    data = _array(x)
    if isinstance(sections, int) and data.shape[axis] % sections:
        raise ValueError(f"split: axis {axis} of `x` (shape {tuple(data.shape)}) does not divide "
                         f"into {sections} equal sections")
    return _rearrange_many(x, lambda d: backend_xp().split(d, sections, axis))


def array_split(x, indices_or_sections, axis=0):
    sections = data_of(indices_or_sections)
    return _rearrange_many(x, lambda d: backend_xp().array_split(d, sections, axis))


def hsplit(x, indices_or_sections):
    return split(x, indices_or_sections, axis=1 if _array(x).ndim > 1 else 0)


def vsplit(x, indices_or_sections):
    return split(x, indices_or_sections, axis=0)


def dsplit(x, indices_or_sections):
    return split(x, indices_or_sections, axis=2)


def select(condlist, choicelist, default=0):
    from brickwork.ops.math import where
    out = default
    for cond, choice in reversed(list(zip(condlist, choicelist))):
        out = where(cond, choice, out)
    return out


def meshgrid(*x, indexing="xy"):
    xp = backend_xp()
    arrays = [_array(v) for v in x]
    return list(xp.meshgrid(*arrays, indexing=indexing))


def pad(x, pad_width, mode="constant", constant_values=None):
    xp = backend_xp()
    data = _array(x)
    widths = np.broadcast_to(np.asarray(pad_width, dtype=np.int64), (data.ndim, 2))
    kwargs = {} if mode != "constant" else {"constant_values": 0 if constant_values is None
                                            else constant_values}
    if mode != "constant" and constant_values is not None:
        raise ValueError("pad: `constant_values` is only valid with mode='constant'")
    if mode == "constant":
        out = xp.pad(data, widths.tolist(), mode="constant", **kwargs)
        if not needs_grad(x):
            return out
        window = tuple(slice(int(lo), int(lo) + n) for (lo, _), n in zip(widths, data.shape))
        return record(out, (x,), lambda g: (g[window],))
    return _rearrange(x, lambda d: xp.pad(d, widths.tolist(), mode=mode))


# --- sorting and searching --------------------------------------------------


def sort(x, axis=-1):
    xp = backend_xp()
    data = _array(x)
    if axis is None:
        return _rearrange(x, lambda d: xp.sort(d.reshape(-1)))
    order = xp.argsort(data, axis=axis, kind="stable")
    return _rearrange(x, lambda d: xp.take_along_axis(d, order, axis))


def argsort(x, axis=-1):
    data = _array(x)
    if axis is None:
        data, axis = data.reshape(-1), 0
    return backend_xp().argsort(data, axis=axis, kind="stable").astype("int32")


def argpartition(x, kth, axis=-1):
    return backend_xp().argpartition(_array(x), kth, axis=axis).astype("int32")


def top_k(x, k, sorted=True):
    xp = backend_xp()
    data = _array(x)
    order = xp.argsort(-data if data.dtype.kind != "b" else ~data, axis=-1, kind="stable")[..., :k]
    values = _rearrange(x, lambda d: xp.take_along_axis(d, order, -1))
    return values, order.astype("int32")


def in_top_k(targets, predictions, k):
    xp = backend_xp()
    preds = _array(predictions)
    t = xp.asarray(data_of(targets)).astype("int64")
    target_scores = xp.take_along_axis(preds, t[:, None], axis=-1)
    better = (preds > target_scores).sum(axis=-1)
    return better < k


def searchsorted(sorted_sequence, values, side="left"):
    xp = backend_xp()
    seq = _array(sorted_sequence)
    if seq.ndim != 1:
        raise ValueError(f"searchsorted: `sorted_sequence` must be 1-D, got shape {tuple(seq.shape)}")
    return xp.searchsorted(seq, _array(values), side=side).astype("int32")


def digitize(x, bins):
    return backend_xp().digitize(_array(x), _array(bins)).astype("int32")


def nonzero(x):
    return tuple(i.astype("int32") for i in backend_xp().nonzero(_array(x)))


def unique(x, sorted=True, return_index=False, return_inverse=False, return_counts=False,
           axis=None, size=None, fill_value=None):
    xp = backend_xp()
    result = xp.unique(_array(x), return_index=return_index, return_inverse=return_inverse,
                       return_counts=return_counts, axis=axis)
    if size is not None:
        values = result[0] if isinstance(result, tuple) else result
        fill = values[-1] if fill_value is None and values.size else (fill_value or 0)
        if values.shape[0] < size:
            pad_shape = (size - values.shape[0],) + values.shape[1:]
            values = xp.concatenate([values, xp.full(pad_shape, fill, dtype=values.dtype)])
        else:
            values = values[:size]
        result = (values,) + tuple(result[1:]) if isinstance(result, tuple) else values
    return result


def bincount(x, weights=None, minlength=0, sparse=False):
    xp = backend_xp()
    data = _array(x)
    w = None if weights is None else _array(weights)
    if data.ndim == 2:
        length = builtins.max(int(data.max()) + 1 if data.size else 0, minlength)
        return xp.stack([xp.bincount(row, None if w is None else w[i], minlength=length)
                         for i, row in enumerate(data)])
    out = xp.bincount(data, w, minlength=minlength)
    return out if w is not None else out.astype("int32")


def histogram(x, bins=10, range=None):
    xp = backend_xp()
    counts, edges = xp.histogram(_array(x), bins=bins, range=range)
    return counts.astype("int32"), edges.astype(_array(x).dtype if _array(x).dtype.kind == "f" else FLOATX)


def unravel_index(indices, shape):
    return tuple(i.astype("int32") for i in backend_xp().unravel_index(_array(indices), shape))


# --- creation (never differentiable) -------------------------------------


def zeros(shape, dtype=None):
    return backend_xp().zeros(_shape(shape), dtype=_dtype(dtype))


def ones(shape, dtype=None):
    return backend_xp().ones(_shape(shape), dtype=_dtype(dtype))


def empty(shape, dtype=None):
    return backend_xp().empty(_shape(shape), dtype=_dtype(dtype))


def _shape(shape):
    return (shape,) if isinstance(shape, int) else tuple(shape)


def full(shape, fill_value, dtype=None):
    fill = data_of(fill_value)
    return backend_xp().full(_shape(shape), fill, dtype=_dtype(dtype))  # floatx by default, as Keras


def zeros_like(x, dtype=None):
    data = _array(x)
    return backend_xp().zeros(data.shape, dtype=_dtype(dtype, data.dtype))


def ones_like(x, dtype=None):
    data = _array(x)
    return backend_xp().ones(data.shape, dtype=_dtype(dtype, data.dtype))


def empty_like(x, dtype=None):
    data = _array(x)
    return backend_xp().empty(data.shape, dtype=_dtype(dtype, data.dtype))


def full_like(x, fill_value, dtype=None):
    data = _array(x)
    return backend_xp().full(data.shape, data_of(fill_value), dtype=_dtype(dtype, data.dtype))


def arange(start, stop=None, step=None, dtype=None):
    if dtype is None:
        values = [v for v in (start, stop, step) if v is not None]
        dtype = FLOATX if builtins.any(isinstance(v, float) for v in values) else "int32"
    return backend_xp().arange(start, stop, 1 if step is None else step,
                               dtype=standardize_dtype(dtype))


def eye(N, M=None, k=0, dtype=None):
    return backend_xp().eye(N, M, k, dtype=_dtype(dtype))


def identity(n, dtype=None):
    return backend_xp().eye(n, dtype=_dtype(dtype))


def tri(N, M=None, k=0, dtype=None):
    return backend_xp().tri(N, M, k, dtype=_dtype(dtype))


def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    xp = backend_xp()
    out = xp.linspace(data_of(start), data_of(stop), num, endpoint=endpoint, retstep=retstep,
                      axis=axis)
    if retstep:
        return out[0].astype(_dtype(dtype)), out[1]
    return out.astype(_dtype(dtype))


def logspace(start, stop, num=50, endpoint=True, base=10, dtype=None, axis=0):
    return backend_xp().logspace(data_of(start), data_of(stop), num, endpoint=endpoint, base=base,
                                 axis=axis).astype(_dtype(dtype))


def geomspace(start, stop, num=50, endpoint=True, dtype=None, axis=0):
    xp = backend_xp()
    if xp is np:
        return np.geomspace(data_of(start), data_of(stop), num, endpoint=endpoint,
                            axis=axis).astype(_dtype(dtype))
    logs = xp.linspace(xp.log(xp.asarray(data_of(start), dtype="float64")),
                       xp.log(xp.asarray(data_of(stop), dtype="float64")), num,
                       endpoint=endpoint, axis=axis)
    return xp.exp(logs).astype(_dtype(dtype))


def vander(x, N=None, increasing=False):
    data = _array(x)
    return backend_xp().vander(data, N, increasing)


def _window(name):
    def window(x):
        return getattr(backend_xp(), name)(int(data_of(x))).astype(FLOATX)
    window.__name__ = name
    return window


bartlett = _window("bartlett")
blackman = _window("blackman")
hamming = _window("hamming")
hanning = _window("hanning")


def kaiser(x, beta):
    return backend_xp().kaiser(int(data_of(x)), beta).astype(FLOATX)


def one_hot(x, num_classes, axis=-1, dtype=None, sparse=False):
    xp = backend_xp()
    idx = xp.asarray(data_of(x)).astype("int64")
    out = (idx[..., None] == xp.arange(num_classes)).astype(_dtype(dtype))
    if axis != -1 and axis != out.ndim - 1:
        out = xp.moveaxis(out, -1, axis)
    return out


def multi_hot(inputs, num_classes=None, axis=-1, dtype=None, sparse=False, **kwargs):
    num_classes = num_classes if num_classes is not None else kwargs.pop("num_tokens", None)
    xp = backend_xp()
    idx = xp.asarray(data_of(inputs)).astype("int64")
    squeeze_batch = idx.ndim == 1
    if squeeze_batch:
        idx = idx[None]
    hot = (idx[..., None] == xp.arange(num_classes)).any(axis=-2).astype(_dtype(dtype))
    if squeeze_batch:
        hot = hot[0]
    if axis != -1:
        hot = xp.moveaxis(hot, -1, axis)
    return hot


def ndim(x):
    return _array(x).ndim


def size(x):
    return _array(x).size


def copy(x):
    data = _array(x)
    out = data.copy()
    if not needs_grad(x):
        return out
    return record(out, (x,), lambda g: (g,))


__all__ = [name for name, value in list(globals().items())
           if not name.startswith("_") and callable(value) and getattr(value, "__module__", None) == __name__
           and name not in ("atleast",)]


def array(x, dtype=None):
    """A backend array of ``x`` (as ``keras.ops.array``; Python floats become floatx)."""
    data = data_of(x)
    if dtype is None and not hasattr(data, "dtype"):
        from brickwork.ops.math import _python_dtype
        dtype = _python_dtype(data)
    return backend_xp().asarray(data, dtype=None if dtype is None else standardize_dtype(dtype))


__all__.append("array")
