"""Contractions, statistics, NaN-aware reductions, segment reductions and
FFTs, composed of the differentiable ops in ``math`` and ``array`` where a
gradient exists (so they need no backward of their own)."""
from __future__ import annotations

import builtins

import numpy as np

from brickwork.dtypes import FLOATX, standardize_dtype
from brickwork.ops import manipulation as _a
from brickwork.ops import math as _m
from brickwork.ops.core import array_adapters, backend_xp, data_of, needs_grad, record, to_host
from brickwork.ops.einsum import einsum

# --- contractions ----------------------------------------------------------


def dot(x1, x2):
    a, b = _a._array(x1), _a._array(x2)
    if a.ndim == 0 or b.ndim == 0:
        return _m.multiply(x1, x2)
    if b.ndim <= 2:
        return _m.matmul(x1, x2)
    # N-D: contract the last axis of x1 with the second-to-last of x2
    return tensordot(x1, x2, axes=([a.ndim - 1], [b.ndim - 2]))


def tensordot(x1, x2, axes=2):
    a, b = _a._array(x1), _a._array(x2)
    if isinstance(axes, int):
        axes_a = list(range(a.ndim - axes, a.ndim))
        axes_b = list(range(axes))
    else:
        axes_a, axes_b = axes
        axes_a = [axes_a] if isinstance(axes_a, int) else list(axes_a)
        axes_b = [axes_b] if isinstance(axes_b, int) else list(axes_b)
    axes_a = [i % a.ndim for i in axes_a]
    axes_b = [i % b.ndim for i in axes_b]
    for i, j in zip(axes_a, axes_b):
        if a.shape[i] != b.shape[j]:
            raise ValueError(f"tensordot: contracted axes differ in size: x1.shape={tuple(a.shape)} "
                             f"(axes {axes_a}), x2.shape={tuple(b.shape)} (axes {axes_b})")
    free_a = [i for i in range(a.ndim) if i not in axes_a]
    free_b = [i for i in range(b.ndim) if i not in axes_b]
    k = int(np.prod([a.shape[i] for i in axes_a], dtype=np.int64))
    left = _a.reshape(_a.transpose(x1, free_a + axes_a), (-1, k))
    right = _a.reshape(_a.transpose(x2, axes_b + free_b), (k, -1))
    out = _m.matmul(left, right)
    return _a.reshape(out, tuple(a.shape[i] for i in free_a) + tuple(b.shape[i] for i in free_b))


def outer(x1, x2):
    return _m.multiply(_a.reshape(x1, (-1, 1)), _a.reshape(x2, (1, -1)))


def inner(x1, x2):
    a, b = _a._array(x1), _a._array(x2)
    if a.ndim == 0 or b.ndim == 0:
        return _m.multiply(x1, x2)
    return tensordot(x1, x2, axes=([a.ndim - 1], [b.ndim - 1]))


def vdot(x1, x2):
    return _m.sum(_m.multiply(_m.conj(_a.ravel(x1)), _a.ravel(x2)))


def kron(x1, x2):
    a, b = _a._array(x1), _a._array(x2)
    nd = builtins.max(a.ndim, b.ndim)
    x1 = _a.reshape(x1, (1,) * (nd - a.ndim) + a.shape)
    x2 = _a.reshape(x2, (1,) * (nd - b.ndim) + b.shape)
    sa, sb = (1,) * (nd - a.ndim) + a.shape, (1,) * (nd - b.ndim) + b.shape
    left = _a.reshape(x1, tuple(d for s in sa for d in (s, 1)))
    right = _a.reshape(x2, tuple(d for s in sb for d in (1, s)))
    return _a.reshape(_m.multiply(left, right), tuple(i * j for i, j in zip(sa, sb)))


def cross(x1, x2, axisa=-1, axisb=-1, axisc=-1, axis=None):
    if axis is not None:
        axisa = axisb = axisc = axis
    a = _a.moveaxis(x1, axisa, -1)
    b = _a.moveaxis(x2, axisb, -1)
    na, nb = _a._array(a).shape[-1], _a._array(b).shape[-1]
    if na not in (2, 3) or nb not in (2, 3):
        raise ValueError(f"cross: `x1` and `x2` need 2 or 3 components along their axes, got "
                         f"{na} and {nb}")

    def part(v, i, n):
        return _a.getitem(v, (Ellipsis, i)) if i < n else _m.multiply(_a.getitem(v, (Ellipsis, 0)), 0.0)
    a0, a1, a2 = (part(a, i, na) for i in range(3))
    b0, b1, b2 = (part(b, i, nb) for i in range(3))
    c2 = _m.subtract(_m.multiply(a0, b1), _m.multiply(a1, b0))
    if na == 2 and nb == 2:
        return c2
    c0 = _m.subtract(_m.multiply(a1, b2), _m.multiply(a2, b1))
    c1 = _m.subtract(_m.multiply(a2, b0), _m.multiply(a0, b2))
    return _a.moveaxis(_a.stack([c0, c1, c2], axis=-1), -1, axisc)


def einsum_(subscripts, *operands, **kwargs):
    return einsum(subscripts, *operands)


# --- differences, integrals, correlation ---------------------------------


def diff(a, n=1, axis=-1):
    x = a
    for _ in range(n):
        size = _a._array(x).shape[axis]
        nd = _a._array(x).ndim
        ax = axis % nd
        hi = (slice(None),) * ax + (slice(1, size),)
        lo = (slice(None),) * ax + (slice(0, size - 1),)
        x = _m.subtract(_a.getitem(x, hi), _a.getitem(x, lo))
    return x


def isin(x1, x2, assume_unique=False, invert=False):
    return backend_xp().isin(_a._array(x1), _a._array(x2), assume_unique=assume_unique,
                             invert=invert)


def vectorize(pyfunc, *, excluded=None, signature=None):
    """``numpy.vectorize`` over backend arrays: ``pyfunc`` is called per
    element (or per core, with ``signature``) and the results stacked."""
    import functools
    vectorized = np.vectorize(lambda *a: _plain(pyfunc(*a)), excluded=excluded or set(),
                              signature=signature, otypes=None)

    @functools.wraps(pyfunc)
    def wrapped(*args, **kwargs):
        xp = backend_xp()
        host = [np.asarray(_host(a)) for a in args]
        return xp.asarray(vectorized(*host, **kwargs))
    return wrapped


def _host(value):
    data = data_of(value)
    return to_host(data)


def _plain(value):
    return np.asarray(_host(value))


def trapezoid(y, x=None, dx=1.0, axis=-1):
    data = _a._array(y)
    ax = axis % data.ndim
    size = data.shape[ax]
    hi = _a.getitem(y, (slice(None),) * ax + (slice(1, size),))
    lo = _a.getitem(y, (slice(None),) * ax + (slice(0, size - 1),))
    widths = dx if x is None else diff(x, axis=axis if _a._array(x).ndim > 1 else -1)
    if x is not None and _a._array(x).ndim == 1 and data.ndim > 1:
        shape = [1] * data.ndim
        shape[ax] = -1
        widths = _a.reshape(widths, shape)
    return _m.sum(_m.multiply(_m.multiply(_m.add(hi, lo), 0.5), widths), axis=axis)


def correlate(x1, x2, mode="valid"):
    a, v = _a._array(x1), _a._array(x2)
    if a.ndim != 1 or v.ndim != 1:
        raise ValueError(f"correlate: `x1` and `x2` must be 1-D, got shapes {tuple(a.shape)} and "
                         f"{tuple(v.shape)}")
    n, m = a.shape[0], v.shape[0]
    if mode == "valid":
        pad_lo = pad_hi = 0
        if n < m:
            return _a.flip(correlate(x2, x1, mode), 0)
    elif mode == "same":
        pad_lo, pad_hi = m // 2, m - 1 - m // 2
    elif mode == "full":
        pad_lo = pad_hi = m - 1
    else:
        raise ValueError(f"correlate: `mode` must be 'valid', 'same' or 'full', got {mode!r}")
    padded = _a.pad(x1, ((pad_lo, pad_hi),))
    length = n + pad_lo + pad_hi - m + 1
    xp = backend_xp()
    index = xp.arange(length)[:, None] + xp.arange(m)[None, :]
    windows = _a.take(padded, index, axis=0)
    return _m.sum(_m.multiply(windows, _m.conj(x2)), axis=-1)


# --- statistics ----------------------------------------------------------


def average(x, axis=None, weights=None):
    if weights is None:
        return _m.mean(x, axis=axis)
    data, w = _a._array(x), _a._array(weights)
    if w.ndim == 1 and data.ndim > 1 and axis is not None:
        shape = [1] * data.ndim
        shape[axis] = -1
        weights = _a.reshape(weights, shape)
    return _m.divide(_m.sum(_m.multiply(x, weights), axis=axis),
                     _m.sum(_m.multiply(_m.add(_m.multiply(x, 0), 1), weights), axis=axis))


def ptp(x, axis=None, keepdims=False):
    return _m.subtract(_m.max(x, axis=axis, keepdims=keepdims), _m.min(x, axis=axis, keepdims=keepdims))


def quantile(x, q, axis=None, method="linear", keepdims=False):
    """NumPy's quantile, composed of sort and gathers (differentiable in ``x``)."""
    xp = backend_xp()
    data = _a._array(x)
    if data.dtype.kind not in "fc":
        x = data = data.astype(FLOATX)
    qs = np.asarray(_host(q), dtype="float64")
    if axis is None:
        x, axes = _a.reshape(x, (-1,)), (0,)
        ndim = 1
    else:
        axes = _m._normalize_axes(_m._axis_arg(axis), data.ndim)
        ndim = data.ndim
        rest = [i for i in range(ndim) if i not in axes]
        x = _a.transpose(x, rest + list(axes))
        shape = _a._array(x).shape
        x = _a.reshape(x, shape[:len(rest)] + (-1,))
    n = _a._array(x).shape[-1]
    ordered = _a.sort(x, axis=-1)
    position = qs * (n - 1)
    lower = np.floor(position).astype(np.int64)
    upper = np.minimum(lower + 1, n - 1)
    fraction = position - lower
    if method == "lower":
        picks = [(lower, None)]
    elif method == "higher":
        picks = [(np.ceil(position).astype(np.int64), None)]
    elif method == "nearest":
        picks = [(np.round(position).astype(np.int64), None)]
    elif method == "midpoint":  # NumPy halves only between two values, not on one
        half = 0.5 * (fraction > 0)
        picks = [(lower, 1 - half), (upper, half)]
    elif method == "linear":
        picks = [(lower, 1 - fraction), (upper, fraction)]
    else:
        raise ValueError(f"quantile: `method` must be 'linear', 'lower', 'higher', 'midpoint' or "
                         f"'nearest', got {method!r}")
    out = None
    for index, weight in picks:
        gathered = _a.take(ordered, xp.asarray(index.reshape(-1)), axis=-1)  # (..., len(q))
        if weight is not None:
            gathered = _m.multiply(gathered, xp.asarray(np.reshape(weight, -1), dtype=data.dtype))
        out = gathered if out is None else _m.add(out, gathered)
    out = _a.moveaxis(out, -1, 0)  # q first, as NumPy
    if qs.ndim == 0:
        out = _a.squeeze(out, 0)
    if keepdims:
        kept = [1 if i in axes or axis is None else d for i, d in enumerate(data.shape)]
        out = _a.reshape(out, qs.shape + tuple(kept))
    return out


def percentile(x, q, axis=None, method="linear", keepdims=False):
    return quantile(x, _m.divide(q, 100.0) if not isinstance(q, (int, float)) else q / 100.0,
                    axis=axis, method=method, keepdims=keepdims)


def median(x, axis=None, keepdims=False):
    return quantile(x, 0.5, axis=axis, keepdims=keepdims)


def corrcoef(x):
    """Pearson correlation of the rows of ``x`` (variables by observations),
    composed of differentiable ops as ``numpy.corrcoef`` computes it."""
    data = _a._array(x)
    if data.dtype.kind not in "fc":
        x = data.astype(FLOATX)
    centered = _m.subtract(x, _m.mean(x, axis=-1, keepdims=True))
    if data.ndim == 1:
        centered = _a.expand_dims(centered, 0)
    covariance = _m.matmul(centered, _a.transpose(centered))
    scale = _m.sqrt(_a.diagonal(covariance))
    correlation = _m.divide(covariance, _m.multiply(_a.expand_dims(scale, 1),
                                                    _a.expand_dims(scale, 0)))
    # Rounding can step just past +-1; numpy clips too.
    return _m.clip(correlation, -1.0, 1.0) if data.ndim > 1 else _a.squeeze(correlation)


def cdist(x, y):
    """Euclidean distances between the rows of ``x`` (..., m, d) and ``y`` (..., n, d)."""
    delta = _m.subtract(_a.expand_dims(x, -2), _a.expand_dims(y, -3))
    return _m.sqrt(_m.sum(_m.square(delta), axis=-1))


# --- NaN-aware reductions (NaNs ignored; gradients flow to the others) -----


def _nan_filled(x, fill):
    data = _m._float(_a._array(x))
    nan = backend_xp().isnan(data)
    return _m.where(nan, backend_xp().asarray(fill, dtype=data.dtype), x), nan


def nansum(x, axis=None, keepdims=False):
    filled, _ = _nan_filled(x, 0)
    return _m.sum(filled, axis=axis, keepdims=keepdims)


def nanmean(x, axis=None, keepdims=False):
    filled, nan = _nan_filled(x, 0)
    count = (~nan).sum(axis=_m._axis_arg(axis), keepdims=keepdims).astype(_a._array(filled).dtype)
    return _m.divide(_m.sum(filled, axis=axis, keepdims=keepdims), count)


def nanvar(x, axis=None, keepdims=False):
    mean = nanmean(x, axis=axis, keepdims=True)
    return nanmean(_m.square(_m.subtract(x, mean)), axis=axis, keepdims=keepdims)


def nanstd(x, axis=None, keepdims=False):
    return _m.sqrt(nanvar(x, axis=axis, keepdims=keepdims))


def nanprod(x, axis=None, keepdims=False):
    filled, _ = _nan_filled(x, 1)
    return _m.prod(filled, axis=axis, keepdims=keepdims)


def nanmax(x, axis=None, keepdims=False):
    filled, _ = _nan_filled(x, -np.inf)
    out = _m.max(filled, axis=axis, keepdims=keepdims)
    all_nan = backend_xp().isnan(_m._float(_a._array(x))).all(axis=_m._axis_arg(axis), keepdims=keepdims)
    return _m.where(all_nan, np.nan, out)


def nanmin(x, axis=None, keepdims=False):
    filled, _ = _nan_filled(x, np.inf)
    out = _m.min(filled, axis=axis, keepdims=keepdims)
    all_nan = backend_xp().isnan(_m._float(_a._array(x))).all(axis=_m._axis_arg(axis), keepdims=keepdims)
    return _m.where(all_nan, np.nan, out)


def nanargmax(x, axis=None, keepdims=False):
    filled, _ = _nan_filled(x, -np.inf)
    return _m.argmax(filled, axis=axis, keepdims=keepdims)


def nanargmin(x, axis=None, keepdims=False):
    filled, _ = _nan_filled(x, np.inf)
    return _m.argmin(filled, axis=axis, keepdims=keepdims)


def nancumsum(x, axis=None, dtype=None):
    filled, _ = _nan_filled(x, 0)
    return _m.cumsum(filled, axis=axis, dtype=dtype)


def nancumprod(x, axis=None, dtype=None):
    filled, _ = _nan_filled(x, 1)
    return _m.cumprod(filled, axis=axis, dtype=dtype)


def nanquantile(x, q, axis=None, method="linear", keepdims=False):
    """``quantile`` ignoring NaNs: each row's positions come from its own count
    of numbers; differentiable in ``x`` (gathers from the sorted values)."""
    xp = backend_xp()
    data = _m._float(_a._array(x))
    if _a._array(x).dtype != data.dtype:
        x = data
    qs = np.asarray(_host(q), dtype="float64")
    if axis is None:
        x, axes = _a.reshape(x, (-1,)), (0,)
    else:
        axes = _m._normalize_axes(_m._axis_arg(axis), data.ndim)
        rest = [i for i in range(data.ndim) if i not in axes]
        x = _a.transpose(x, rest + list(axes))
        shape = _a._array(x).shape
        x = _a.reshape(x, shape[:len(rest)] + (-1,))
    nan = xp.isnan(_a._array(x))
    # NaNs sort last as +inf; each row then holds `count` numbers in front.
    ordered = _a.sort(_m.where(nan, xp.asarray(np.inf, dtype=data.dtype), x), axis=-1)
    count = (~nan).sum(axis=-1, keepdims=True)  # (..., 1)
    last = xp.maximum(count - 1, 0).astype("float64")
    q_row = xp.asarray(qs.reshape(-1), dtype="float64")  # (Q,)
    position = last * q_row  # (..., Q)
    lower = xp.floor(position)
    picks = {"lower": [(lower, None)], "higher": [(xp.ceil(position), None)],
             "nearest": [(xp.round(position), None)],
             # NumPy's midpoint halves only between two values, not on one.
             "midpoint": [(lower, 1 - 0.5 * (position > lower)),
                          (xp.minimum(lower + 1, last), 0.5 * (position > lower))],
             "linear": [(lower, 1 - (position - lower)),
                        (xp.minimum(lower + 1, last), position - lower)]}
    if method not in picks:
        raise ValueError(f"nanquantile: `method` must be 'linear', 'lower', 'higher', "
                         f"'midpoint' or 'nearest', got {method!r}")
    out = None
    for index, weight in picks[method]:
        gathered = _a.take_along_axis(ordered, index.astype("int64"), axis=-1)
        if weight is not None:
            gathered = _m.multiply(gathered, xp.asarray(weight, dtype=data.dtype))
        out = gathered if out is None else _m.add(out, gathered)
    out = _m.where(xp.broadcast_to(count == 0, _a._array(out).shape),
                   xp.asarray(np.nan, dtype=data.dtype), out)  # all-NaN rows
    out = _a.moveaxis(out, -1, 0)  # q first, as NumPy
    if qs.ndim == 0:
        out = _a.squeeze(out, 0)
    if keepdims:
        kept = [1 if axis is None or i in axes else d for i, d in enumerate(data.shape)]
        out = _a.reshape(out, qs.shape + tuple(kept))
    return out


def nanpercentile(x, q, axis=None, method="linear", keepdims=False):
    return nanquantile(x, np.asarray(data_of(q)) / 100.0, axis=axis, method=method, keepdims=keepdims)


def nanmedian(x, axis=None, keepdims=False):
    return nanquantile(x, 0.5, axis=axis, keepdims=keepdims)


# --- segment reductions ----------------------------------------------------


def _segments(data, segment_ids, num_segments):
    xp = backend_xp()
    ids = xp.asarray(data_of(segment_ids)).astype("int64")
    if num_segments is None:
        num_segments = int(ids.max()) + 1 if ids.size else 0
    return ids, num_segments


def segment_sum(data, segment_ids, num_segments=None, sorted=False):
    xp = backend_xp()
    values = _a._array(data)
    ids, n = _segments(values, segment_ids, num_segments)
    keep = (ids >= 0) & (ids < n)
    out = xp.zeros((n,) + values.shape[1:], dtype=values.dtype)
    array_adapters().add_at(out, ids[keep], values[keep])
    if not needs_grad(data):
        return out
    safe = xp.where(keep, ids, 0)
    mask = keep.reshape((-1,) + (1,) * (values.ndim - 1)).astype(values.dtype)
    return record(out, (data,), lambda g: (g[safe] * mask,))


def _segment_extremum(data, segment_ids, num_segments, name):
    xp = backend_xp()
    values = _a._array(data)
    ids, n = _segments(values, segment_ids, num_segments)
    keep = (ids >= 0) & (ids < n)
    if values.dtype.kind == "f":
        start = -np.inf if name == "max" else np.inf
    else:
        info = xp.iinfo(values.dtype)
        start = info.min if name == "max" else info.max
    out = xp.full((n,) + values.shape[1:], start, dtype=values.dtype)
    scatter = getattr(array_adapters(), "maximum_at" if name == "max" else "minimum_at")
    scatter(out, ids[keep], values[keep])
    if not needs_grad(data):
        return out
    safe = xp.where(keep, ids, 0)
    hit = ((values == out[safe]) & keep.reshape((-1,) + (1,) * (values.ndim - 1))).astype(values.dtype)
    counts = xp.zeros((n,) + values.shape[1:], dtype=values.dtype)
    array_adapters().add_at(counts, safe, hit)
    return record(out, (data,), lambda g: (hit * g[safe] / xp.maximum(counts[safe], 1),))


def segment_max(data, segment_ids, num_segments=None, sorted=False):
    return _segment_extremum(data, segment_ids, num_segments, "max")


def segment_min(data, segment_ids, num_segments=None, sorted=False):
    return _segment_extremum(data, segment_ids, num_segments, "min")


def segment_prod(data, segment_ids, num_segments=None, sorted=False):
    xp = backend_xp()
    values = _a._array(data)
    ids, n = _segments(values, segment_ids, num_segments)
    keep = (ids >= 0) & (ids < n)
    out = _segment_product(xp, values, ids, keep, n)
    if not needs_grad(data):
        return out
    # d out / d x_i is the product of the other members of x_i's segment:
    # the segment's product of nonzero members, over x_i when x_i is one of
    # them, and zero when another member is zero.
    zero = values == 0
    nonzero_product = _segment_product(xp, xp.where(zero, 1, values), ids, keep, n)
    zero_counts = xp.zeros((n,) + values.shape[1:], dtype="int64")
    array_adapters().add_at(zero_counts, ids[keep], zero[keep].astype("int64"))
    safe = xp.where(keep, ids, 0)
    others = xp.where(zero, nonzero_product[safe], nonzero_product[safe] / xp.where(zero, 1, values))
    other_zeros = zero_counts[safe] - zero.astype("int64")
    kept = keep.reshape((-1,) + (1,) * (values.ndim - 1))
    factor = xp.where((other_zeros == 0) & kept, others, 0).astype(values.dtype)
    return record(out, (data,), lambda g: (g[safe] * factor,))


def _segment_product(xp, values, ids, keep, n):
    out = xp.ones((n,) + values.shape[1:], dtype=values.dtype)
    array_adapters().multiply_at(out, ids[keep], values[keep])
    return out


# --- sequences, casts, type queries ---------------------------------------


def extract_sequences(x, sequence_length, sequence_stride):
    data = _a._array(x)
    size = data.shape[-1]
    count = 1 + (size - sequence_length) // sequence_stride
    xp = backend_xp()
    index = xp.arange(count)[:, None] * sequence_stride + xp.arange(sequence_length)[None, :]
    return _a.take(x, index, axis=-1) if data.ndim > 1 else _a.take(x, index, axis=0)


def saturate_cast(x, dtype):
    from brickwork.ops.core import cast
    dtype = standardize_dtype(dtype)
    data = _a._array(x)
    xp = backend_xp()
    target = np.dtype(dtype)
    if target.kind in "iu":
        info = np.iinfo(target)
        lo, hi = info.min, info.max
        if data.dtype.kind == "f":
            # clip in float64 so the bounds are exact enough, then cast
            return xp.clip(data.astype("float64"), lo, hi).astype(dtype)
        source = np.iinfo(data.dtype) if data.dtype.kind in "iu" else None
        lo = builtins.max(lo, source.min) if source else lo
        hi = builtins.min(hi, source.max) if source else hi
        return xp.clip(data, lo, hi).astype(dtype)
    if target.kind == "f" and data.dtype.kind == "f":
        info = np.finfo(target)
        return cast(_m.clip(x, float(info.min), float(info.max)), dtype)
    return cast(x, dtype)


def is_tensor(x):
    from brickwork.autodiff import Tensor
    xp = backend_xp()
    return isinstance(x, (xp.ndarray, Tensor))


def dtype(x):
    return standardize_dtype(_a._array(x).dtype)


def view(x, dtype=None):
    data = _a._array(x)
    return data if dtype is None else data.view(standardize_dtype(dtype))


def view_as_complex(x):
    data = _a._array(x)
    if data.shape[-1] != 2:
        raise ValueError(f"view_as_complex: the last axis of `x` must have size 2, got shape "
                         f"{tuple(data.shape)}")
    return data[..., 0] + 1j * data[..., 1]


def view_as_real(x):
    xp = backend_xp()
    data = _a._array(x)
    return xp.stack([data.real, data.imag], axis=-1)


# --- FFT (pairs of real arrays, as Keras); linear, so each part's gradient is
# the adjoint transform of its cotangent ----------------------------------------


def _complex(x):
    real, imag = x
    r, i = _a._array(real), _a._array(imag)
    if r.shape != i.shape:
        raise ValueError(f"fft: the real and imaginary parts differ in shape: {tuple(r.shape)} "
                         f"and {tuple(i.shape)}")
    return r + 1j * i


def _linear_pair(inputs, z, adjoint, dtype):
    """``(real(z), imag(z))`` recorded on the tape: ``adjoint(c)`` maps a
    complex cotangent of ``z`` to the complex (or real) cotangent of the input."""
    real, imag = z.real.astype(dtype), z.imag.astype(dtype)
    if not needs_grad(*inputs):
        return real, imag

    def split(grad):
        if len(inputs) == 1:
            return (grad.real.astype(dtype),)
        return grad.real.astype(dtype), grad.imag.astype(dtype)
    # Re(conj(g) z) for the real part; Im(z) = Re(-i z) for the imaginary part.
    return (record(real, tuple(inputs), lambda g: split(adjoint(g))),
            record(imag, tuple(inputs), lambda g: split(adjoint(1j * g))))


def fft(x):
    xp = backend_xp()
    dtype = _a._array(x[0]).dtype
    z = xp.fft.fft(_complex(x))
    n = z.shape[-1]
    return _linear_pair(tuple(x), z, lambda g: xp.fft.ifft(g) * n, dtype)


def fft2(x):
    xp = backend_xp()
    dtype = _a._array(x[0]).dtype
    z = xp.fft.fft2(_complex(x))
    n = z.shape[-1] * z.shape[-2]
    return _linear_pair(tuple(x), z, lambda g: xp.fft.ifft2(g) * n, dtype)


def ifft2(x):
    xp = backend_xp()
    dtype = _a._array(x[0]).dtype
    z = xp.fft.ifft2(_complex(x))
    n = z.shape[-1] * z.shape[-2]
    return _linear_pair(tuple(x), z, lambda g: xp.fft.fft2(g) / n, dtype)


def rfft(x, fft_length=None):
    xp = backend_xp()
    data = _m._float(_a._array(x))
    n = data.shape[-1] if fft_length is None else fft_length
    z = xp.fft.rfft(data, n=n)

    def adjoint(g):
        full = xp.zeros(g.shape[:-1] + (n,), dtype=g.dtype)
        full[..., :g.shape[-1]] = g
        grad = (xp.fft.ifft(full) * n).real
        size = data.shape[-1]
        if size > n:
            return xp.concatenate([grad, xp.zeros(grad.shape[:-1] + (size - n,), grad.dtype)], -1)
        return grad[..., :size]
    return _linear_pair((x,), z, adjoint, data.dtype)


def irfft(x, fft_length=None):
    """Inverse of ``rfft`` from ``(real, imag)``; differentiable in both parts."""
    xp = backend_xp()
    dtype = _a._array(x[0]).dtype
    spectrum = _complex(x)
    bins = spectrum.shape[-1]
    n = 2 * (bins - 1) if fft_length is None else int(fft_length)
    out = xp.fft.irfft(spectrum, n=n).astype(dtype)
    if not needs_grad(*x):
        return out

    def backward(g):
        # irfft is linear: bin k of the half spectrum enters c_k / n times,
        # with c_k = 2 except the DC and Nyquist bins, so the adjoint is the
        # forward rfft of g weighted by c_k / n (zero past the bins used).
        used = min(bins, n // 2 + 1)
        weights = xp.full(used, 2.0 / n)
        weights[0] = 1.0 / n
        if n % 2 == 0 and used == n // 2 + 1:
            weights[-1] = 1.0 / n
        grad = xp.zeros(g.shape[:-1] + (bins,), dtype="complex128")
        grad[..., :used] = xp.fft.rfft(g.astype("float64"), n=n)[..., :used] * weights
        return grad.real.astype(dtype), grad.imag.astype(dtype)
    return record(out, tuple(x), backward)


def rearrange(tensor, pattern, **axes_lengths):
    """einops-style ``rearrange``: ``"b (h w) c -> b h w c"`` with ``h=...``.
    Groups in parentheses split or merge axes; names are reordered."""
    import re
    left, right = (side.strip() for side in pattern.split("->"))

    def parse(side):
        return re.findall(r"\([^)]*\)|\S+", side)
    left_groups, right_groups = parse(left), parse(right)
    data = _a._array(tensor)
    if len(left_groups) != data.ndim:
        raise ValueError(f"rearrange: pattern {pattern!r} names {len(left_groups)} axes, `tensor` "
                         f"has shape {tuple(data.shape)}")
    sizes = dict(axes_lengths)
    flat_names = []
    for group, dim in zip(left_groups, data.shape):
        names = group.strip("()").split() if group.startswith("(") else [group]
        known = int(np.prod([sizes[n] for n in names if n in sizes], dtype=np.int64))
        unknown = [n for n in names if n not in sizes]
        if len(unknown) > 1:
            raise ValueError(f"rearrange: cannot infer the sizes of {unknown} in {group}")
        if unknown:
            sizes[unknown[0]] = dim // known
        flat_names.extend(names)
    x = _a.reshape(tensor, tuple(sizes[n] for n in flat_names))
    right_names = [n for group in right_groups
                   for n in (group.strip("()").split() if group.startswith("(") else [group])]
    if sorted(right_names) != sorted(flat_names):
        raise ValueError(f"rearrange: both sides of {pattern!r} must name the same axes")
    x = _a.transpose(x, [flat_names.index(n) for n in right_names])
    out_shape = []
    for group in right_groups:
        names = group.strip("()").split() if group.startswith("(") else [group]
        out_shape.append(int(np.prod([sizes[n] for n in names], dtype=np.int64)))
    return _a.reshape(x, tuple(out_shape))


def stft(x, sequence_length, sequence_stride, fft_length, window="hann", center=True):
    """Short-time Fourier transform over the last axis: (real, imag), as Keras
    (frames of ``fft_length`` with the window centred in them, as torch.stft);
    differentiable in ``x``."""
    xp = backend_xp()
    data = _a._array(x)
    if data.dtype.kind not in "fc":
        x = data = data.astype(FLOATX)
    if center:
        pad = [(0, 0)] * (data.ndim - 1) + [(fft_length // 2, fft_length // 2)]
        x = _a.pad(x, pad, mode="reflect")
    frames = extract_sequences(x, fft_length, sequence_stride)
    win = _padded_window(xp, "stft", window, sequence_length, fft_length)
    frames = _m.multiply(frames, win.astype(data.dtype))
    return rfft(frames, fft_length)


def _padded_window(xp, op, window, sequence_length, fft_length):
    """The ``window`` ("hann", "hamming", an array, or None for ones) of
    ``sequence_length`` samples, centred in ``fft_length`` zeros, in float64."""
    if window is None:
        win = xp.ones(sequence_length, dtype="float64")
    elif isinstance(window, str):
        if window not in ("hann", "hamming"):
            raise ValueError(f"{op}: `window` must be 'hann', 'hamming', an array or None, "
                             f"got {window!r}")
        n = xp.arange(sequence_length, dtype="float64")
        a = 0.5 if window == "hann" else 0.54
        win = a - (1 - a) * xp.cos(2 * np.pi * n / sequence_length)
    else:
        win = xp.asarray(data_of(window), dtype="float64")
    left = (fft_length - sequence_length) // 2
    return xp.pad(win, (left, fft_length - sequence_length - left))


def istft(x, sequence_length, sequence_stride, fft_length, length=None, window="hann",
          center=True):
    """Inverse of ``stft``: overlap-add of the windowed inverse FFTs,
    normalized by the summed squared window (as torch.istft); differentiable
    in both parts of ``x``."""
    xp = backend_xp()
    dtype = _a._array(x[0]).dtype
    frames = irfft(x, fft_length)  # (..., count, fft_length)
    win = _padded_window(xp, "istft", window, sequence_length, fft_length)
    count = _a._array(frames).shape[-2]
    total = fft_length + sequence_stride * (count - 1)
    envelope = sequence_length == fft_length and center and window is not None
    if envelope:
        # torch.istft: divide by the summed squared window actually overlapping each sample
        scale = win
    else:
        # tf.signal.inverse_stft_window_fn: the steady-state sum of squared windows
        overlaps = -(-fft_length // sequence_stride)
        denom = xp.pad(win * win, (0, overlaps * sequence_stride - fft_length))
        denom = xp.tile(denom.reshape(overlaps, sequence_stride).sum(0), overlaps)[:fft_length]
        scale = win / denom
    gain = xp.ones(total, dtype="float64")
    if envelope:
        norm = xp.zeros(total, dtype="float64")
        for i in range(count):
            norm[i * sequence_stride:i * sequence_stride + fft_length] += win * win
        gain = 1.0 / xp.where(norm > 1e-11, norm, 1.0)
    start = fft_length // 2 if center else 0
    stop = (start + length) if length is not None else (total - fft_length // 2 if center else total)
    return _overlap_add(frames, scale, gain, sequence_stride, start, stop, dtype)


def _overlap_add(frames, scale, gain, stride, start, stop, dtype):
    """``sum_i shift(frames[..., i, :] * scale, i * stride) * gain``, cropped
    to ``[start, stop)`` (zero-padded past the end); linear, so recorded with
    its adjoint."""
    xp = backend_xp()
    data = _a._array(frames)
    count, width = data.shape[-2:]
    total = gain.shape[0]
    summed = xp.zeros(data.shape[:-2] + (total,), dtype="float64")
    for i in range(count):
        summed[..., i * stride:i * stride + width] += data[..., i, :] * scale
    summed *= gain
    kept = summed[..., start:min(stop, total)]
    if stop > total:
        kept = xp.pad(kept, [(0, 0)] * (kept.ndim - 1) + [(0, stop - total)])
    out = kept.astype(dtype)
    if not needs_grad(frames):
        return out

    def backward(g):
        full = xp.zeros(g.shape[:-1] + (total,), dtype="float64")
        full[..., start:min(stop, total)] = g[..., :min(stop, total) - start]
        full *= gain
        grad = xp.stack([full[..., i * stride:i * stride + width] * scale for i in range(count)],
                        axis=-2)
        return (grad.astype(data.dtype),)
    return record(out, (frames,), backward)


__all__ = [name for name, value in list(globals().items())
           if not name.startswith("_") and callable(value)
           and getattr(value, "__module__", None) == __name__ and name != "einsum_"]
