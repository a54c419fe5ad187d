"""Reverse-mode automatic differentiation on a tape.

Operations in ``brickwork.ops`` return plain backend arrays unless a
``GradientTape`` is recording and one of their inputs is tracked (a
``Tensor`` the tape produced, or a trainable ``Variable``). Only then do they
return a ``Tensor`` and append a node to the tape, so inference pays nothing.

The tape is a list of nodes in creation order, which is already a
topological order: the backward pass walks it once, in reverse.
"""
from __future__ import annotations

import threading

import numpy as np


class _TapeState(threading.local):
    def __init__(self):
        self.tapes: list[GradientTape] = []
        self.paused = 0


_state = _TapeState()
_ops = None  # brickwork.ops, registered by it (it imports this module): see register_operators


def register_operators(ops_module) -> None:
    """Route Tensor and Variable operators (``+``, ``@``, ``[]``, ...) through
    ``ops_module``. ``brickwork.ops`` calls this once it is imported: it sits
    above this module, so this module never imports it."""
    global _ops
    _ops = ops_module


class TensorOperators:
    """Python operators for Tensor and Variable, routed through ``brickwork.ops``."""

    __array_ufunc__ = None  # make ``ndarray + tensor`` defer to our __radd__
    __slots__ = ()

    def __add__(self, other): return _ops.add(self, other)
    def __radd__(self, other): return _ops.add(other, self)
    def __sub__(self, other): return _ops.subtract(self, other)
    def __rsub__(self, other): return _ops.subtract(other, self)
    def __mul__(self, other): return _ops.multiply(self, other)
    def __rmul__(self, other): return _ops.multiply(other, self)
    def __truediv__(self, other): return _ops.divide(self, other)
    def __rtruediv__(self, other): return _ops.divide(other, self)
    def __matmul__(self, other): return _ops.matmul(self, other)
    def __rmatmul__(self, other): return _ops.matmul(other, self)
    def __pow__(self, other): return _ops.power(self, other)
    def __rpow__(self, other): return _ops.power(other, self)
    def __neg__(self): return _ops.negative(self)
    def __pos__(self): return self
    def __abs__(self): return _ops.abs(self)
    def __getitem__(self, key): return _ops.getitem(self, key)
    def __lt__(self, other): return _ops.less(self, other)
    def __le__(self, other): return _ops.less_equal(self, other)
    def __gt__(self, other): return _ops.greater(self, other)
    def __ge__(self, other): return _ops.greater_equal(self, other)

    @property
    def T(self):
        return _ops.transpose(self)

    def __array__(self, dtype=None, copy=None):
        return np.asarray(_ops.convert_to_numpy(self), dtype=dtype)

    def __len__(self):
        return self.shape[0]

    def numpy(self):
        return _ops.convert_to_numpy(self)

    def __float__(self):
        return float(self.numpy())

    def __int__(self):
        return int(self.numpy())


class Tensor(TensorOperators):
    """A backend array produced while a tape records, linked to its node."""

    __slots__ = ("data", "_keras_mask", "__weakref__")

    def __init__(self, data):
        self.data = data
        self._keras_mask = None

    shape = property(lambda self: self.data.shape)
    dtype = property(lambda self: self.data.dtype)
    ndim = property(lambda self: self.data.ndim)
    size = property(lambda self: self.data.size)

    def __repr__(self):
        return f"<brickwork.Tensor shape={self.shape} dtype={self.dtype}>"


def is_recording() -> bool:
    return bool(_state.tapes) and not _state.paused


def is_tracked(value) -> bool:
    """Whether gradients flow into ``value`` on the tapes now recording."""
    if type(value) is Tensor:
        return True
    return getattr(value, "_tracked_by_tape", False)


def needs_grad(*values) -> bool:
    return bool(_state.tapes) and not _state.paused and any(is_tracked(v) for v in values)


def record(output_data, inputs, vjp) -> Tensor:
    """Wrap ``output_data`` in a Tensor and note how to differentiate it.

    ``vjp(g)`` maps the gradient of the output to a tuple holding one gradient
    (or None) per entry of ``inputs``.
    """
    out = Tensor(output_data)
    node = (out, inputs, vjp)
    for tape in _state.tapes:
        tape._nodes.append(node)
    return out


class GradientTape:
    """Records operations so that gradients can be taken, as ``tf.GradientTape``.

    >>> with GradientTape() as tape:
    ...     loss = ops.mean(ops.square(layer(x) - y))
    >>> grads = tape.gradient(loss, layer.trainable_weights)
    """

    def __init__(self, persistent: bool = False, watch_accessed_variables: bool = True):
        self.persistent = persistent
        self._nodes = []
        self._watched = []
        self._watched_ids = set()

    def __enter__(self):
        _state.tapes.append(self)
        return self

    def __exit__(self, *exc):
        _state.tapes.remove(self)
        for variable in self._watched:
            variable._watch_count -= 1
        self._watched = []

    def watch(self, variable) -> None:
        """Track a Variable that is not trainable (trainable ones always are)."""
        variable._watch_count += 1
        self._watched.append(variable)
        self._watched_ids.add(id(variable))

    def stop_recording(self):
        return _Paused()

    def gradient(self, target, sources, on_ready=None):
        """Gradients of the scalar (or summed) ``target`` with respect to
        ``sources`` (a Variable, a Tensor, or a list of them). Unconnected
        sources get None.

        ``on_ready(index, grad)``, when given, is called for each source as
        soon as the backward walk has passed its last use (its gradient is
        final), while the rest of the walk still runs: data-parallel
        training starts the allreduce of early gradients there."""
        single = not isinstance(sources, (list, tuple))
        source_list = [sources] if single else list(sources)
        xp = _ops.backend_xp()
        grads = {}
        keep = {id(s) for s in source_list}  # intermediate sources keep their gradient
        ready_after = _ready_points(self._nodes, source_list) if on_ready else {}

        def tracked(value):
            return is_tracked(value) or id(value) in self._watched_ids
        if tracked(target):
            target_data = _ops.data_of(target)
            grads[id(target)] = xp.ones_like(target_data)
        with _Paused():
            for position in range(len(self._nodes) - 1, -1, -1):
                out, inputs, vjp = self._nodes[position]
                g = grads.get(id(out)) if id(out) in keep else grads.pop(id(out), None)
                if g is not None:
                    for value, grad in zip(inputs, vjp(g)):
                        if grad is None or not tracked(value):
                            continue
                        key = id(value)
                        previous = grads.get(key)
                        grads[key] = grad if previous is None else previous + grad
                for index in ready_after.get(position, ()):
                    source = source_list[index]
                    on_ready(index, _in_source_dtype(grads.get(id(source)), source))
        result = [_in_source_dtype(grads.get(id(s)), s) for s in source_list]
        if on_ready:
            for index in ready_after.get(-1, ()):
                on_ready(index, result[index])
        if not self.persistent:
            self._nodes = []
        return result[0] if single else result


def _ready_points(nodes, sources):
    """``{node position: [source indices]}``: each source's gradient is final
    once the backward walk has processed the first node that used it.
    Sources no node used are listed under -1 (ready at the end)."""
    index_of = {id(s): k for k, s in enumerate(sources)}
    first_use = {}
    for position, (_, inputs, _) in enumerate(nodes):
        for value in inputs:
            k = index_of.get(id(value))
            if k is not None and k not in first_use:
                first_use[k] = position
    points = {}
    for k in range(len(sources)):
        points.setdefault(first_use.get(k, -1), []).append(k)
    return points


def _in_source_dtype(grad, source):
    """A Variable's gradient in the Variable's dtype: under autocast its ops
    ran in the compute dtype (float16), their gradients too."""
    value = getattr(source, "_value", None)
    if grad is None or value is None or grad.dtype == value.dtype:
        return grad
    return grad.astype(value.dtype)


class _Paused:
    def __enter__(self):
        _state.paused += 1

    def __exit__(self, *exc):
        _state.paused -= 1


def stop_recording():
    """Context manager: operations inside are not recorded on any tape."""
    return _Paused()
