"""Keras's core ops: control flow, slicing and scattering, custom gradients.

Arrays are eager here, so control flow is Python control flow over
differentiable ops: a tape records whatever the branches and loop bodies
compute, and gradients flow through them unchanged.
"""
from __future__ import annotations

import builtins

from brickwork import tree
from brickwork.autodiff import Tensor, needs_grad, record
from brickwork.ops import manipulation as _a
from brickwork.ops import math as _m
from brickwork.ops.core import array_adapters, backend_xp, data_of


def _scalar(value):
    data = data_of(value)
    return data.item() if hasattr(data, "item") else data


def cond(pred, true_fn, false_fn):
    return true_fn() if builtins.bool(_scalar(pred)) else false_fn()


def switch(index, branches, *operands):
    i = builtins.int(_scalar(index))
    i = builtins.min(builtins.max(i, 0), len(branches) - 1)  # clamped, as lax.switch
    return branches[i](*operands)


def while_loop(cond, body, loop_vars, maximum_iterations=None):
    is_tuple = isinstance(loop_vars, (list, tuple))
    state = tuple(loop_vars) if is_tuple else (loop_vars,)
    count = 0
    while builtins.bool(_scalar(cond(*state))):
        if maximum_iterations is not None and count >= maximum_iterations:
            break
        state = body(*state)
        if not isinstance(state, (list, tuple)):
            state = (state,)
        state = tuple(state)
        count += 1
    return state if is_tuple else state[0]


def fori_loop(lower, upper, body_fun, init_val):
    value = init_val
    for i in range(builtins.int(_scalar(lower)), builtins.int(_scalar(upper))):
        value = body_fun(i, value)
    return value


def scan(f, init, xs=None, length=None, reverse=False, unroll=1):
    if xs is None:
        if length is None:
            raise ValueError("scan: give `xs` or `length`")
        n = length
    else:
        firsts = tree.flatten(xs)
        n = _a._array(firsts[0]).shape[0]
        if length is not None and length != n:
            raise ValueError(f"scan: `length`={length} does not match the leading axis of `xs` ({n})")
    carry = init
    ys = []
    order = range(n - 1, -1, -1) if reverse else range(n)
    for i in order:
        x = None if xs is None else tree.map_structure(lambda v: _a.getitem(v, i), xs)
        carry, y = f(carry, x)
        ys.append(y)
    if reverse:
        ys.reverse()
    if not ys or builtins.all(y is None for y in ys):
        return carry, None
    stacked = tree.map_structure(lambda *parts: _a.stack(list(parts), axis=0), *ys)
    return carry, stacked


def map(f, xs):
    firsts = tree.flatten(xs)
    n = _a._array(firsts[0]).shape[0]
    outs = [f(tree.map_structure(lambda v: _a.getitem(v, i), xs)) for i in range(n)]
    return tree.map_structure(lambda *parts: _a.stack(list(parts), axis=0), *outs)


def vectorized_map(function, elements):
    return map(function, elements)


def associative_scan(f, elems, reverse=False, axis=0):
    leaves = tree.flatten(elems)
    n = _a._array(leaves[0]).shape[axis]

    def at(i):
        index = (builtins.slice(None),) * (axis % _a._array(leaves[0]).ndim) + (builtins.slice(i, i + 1),)
        return tree.map_structure(lambda v: _a.getitem(v, index), elems)
    order = list(range(n - 1, -1, -1)) if reverse else list(range(n))
    outs = []
    acc = None
    for i in order:
        item = at(i)
        acc = item if acc is None else f(acc, item)
        outs.append(acc)
    if reverse:
        outs.reverse()
    return tree.map_structure(lambda *parts: _a.concatenate(list(parts), axis=axis), *outs)


def slice(inputs, start_indices, shape):
    data = _a._array(inputs)
    starts = [builtins.int(_scalar(s)) for s in (start_indices if isinstance(start_indices, (list, tuple))
                                                  else data_of(start_indices).tolist())]
    if len(starts) != data.ndim or len(shape) != data.ndim:
        raise ValueError(f"slice: `start_indices` ({starts}) and `shape` ({tuple(shape)}) need one "
                         f"entry per axis of `inputs` (shape {tuple(data.shape)})")
    key = tuple(builtins.slice(s, s + (n if n != -1 else dim - s)) for s, n, dim
                in zip(starts, shape, data.shape))
    return _a.getitem(inputs, key)


def slice_update(inputs, start_indices, updates):
    xp = backend_xp()
    data = _a._array(inputs)
    upd = _a._array(updates)
    starts = [builtins.int(_scalar(s)) for s in (start_indices if isinstance(start_indices, (list, tuple))
                                                  else data_of(start_indices).tolist())]
    if upd.ndim != data.ndim:
        raise ValueError(f"slice_update: `updates` (shape {tuple(upd.shape)}) must have the rank of "
                         f"`inputs` (shape {tuple(data.shape)})")
    key = tuple(builtins.slice(s, s + n) for s, n in zip(starts, upd.shape))
    out = data.copy()
    out[key] = upd.astype(data.dtype)
    if not needs_grad(inputs, updates):
        return out

    def vjp(g):
        g_in = g.copy()
        g_in[key] = 0
        return g_in, g[key]
    return record(out, (inputs, updates), vjp)


def scatter(indices, values, shape):
    xp = backend_xp()
    idx = xp.asarray(data_of(indices)).astype("int64")
    vals = _a._array(values)
    depth = idx.shape[-1]
    out = xp.zeros(tuple(shape), dtype=vals.dtype)
    key = tuple(idx[..., j] for j in range(depth))
    array_adapters().add_at(out, key, vals)
    if not needs_grad(values):
        return out
    return record(out, (values,), lambda g: (g[key],))


def scatter_update(inputs, indices, updates, reduction=None):
    xp = backend_xp()
    data = _a._array(inputs)
    idx = xp.asarray(data_of(indices)).astype("int64")
    upd = _a._array(updates).astype(data.dtype)
    key = tuple(idx[..., j] for j in range(idx.shape[-1]))
    out = data.copy()
    if reduction is None:
        out[key] = upd
    elif reduction == "add":
        array_adapters().add_at(out, key, upd)
    elif reduction == "mul":
        array_adapters().multiply_at(out, key, upd)
    elif reduction == "max":
        array_adapters().maximum_at(out, key, upd)
    elif reduction == "min":
        array_adapters().minimum_at(out, key, upd)
    else:
        raise ValueError(f"scatter_update: `reduction` must be None, 'add', 'mul', 'max' or "
                         f"'min', got {reduction!r}")
    if not needs_grad(inputs, updates) or reduction not in (None, "add"):
        return out

    def vjp(g):
        g_in = g.copy()
        if reduction is None:
            g_in[key] = 0
        return g_in, g[key]
    return record(out, (inputs, updates), vjp)


def custom_gradient(f):
    """Decorator: ``f(*args)`` returns ``(output, grad_fn)``; ``grad_fn(upstream)``
    (or ``grad_fn(*upstream)``) gives the gradients of ``args``."""
    def wrapped(*args, **kwargs):
        from brickwork.autodiff import stop_recording
        with stop_recording():
            output, grad_fn = f(*[data_of(a) for a in args], **kwargs)
        if not needs_grad(*args):
            return output

        def vjp(g):
            grads = grad_fn(g)
            if not isinstance(grads, (list, tuple)):
                grads = (grads,)
            return tuple(None if gr is None else data_of(gr) for gr in grads)
        return record(data_of(output), tuple(args), vjp)
    wrapped.__name__ = getattr(f, "__name__", "custom_gradient")
    wrapped.__doc__ = f.__doc__
    return wrapped


def stop_gradient(variable):
    return data_of(variable)


__all__ = ["cond", "switch", "while_loop", "fori_loop", "scan", "map", "vectorized_map",
           "associative_scan", "slice", "slice_update", "scatter", "scatter_update",
           "custom_gradient", "stop_gradient"]

del Tensor
