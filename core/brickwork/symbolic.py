"""Symbolic tensors and graph nodes, for the functional API.

Calling a layer on a ``KerasTensor`` builds the layer, infers the output
shape and records a ``Node``; the functional ``Model`` later walks nodes.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from brickwork import call_context, tree
from brickwork import autodiff as _autodiff
from brickwork.autodiff import TensorOperators
from brickwork.dtypes import standardize_dtype


class KerasHistory(NamedTuple):
    layer: object
    node_index: int
    tensor_index: int


class KerasTensor(TensorOperators):
    """A placeholder with a shape (None for unknown dims) and a dtype.

    Python operators (``x + 1``, ``x[:, 0]``, ``-x``, ``x @ w``, ...) go
    through ``brickwork.ops``, whose functions return KerasTensors when given
    one: the operation becomes a node of the functional graph.
    """

    __hash__ = object.__hash__

    def __init__(self, shape, dtype="float32", sparse=False, ragged=False, record_history=True,
                 name=None, **kwargs):
        if ragged:
            raise ValueError("KerasTensor: ragged tensors are not supported (Keras supports "
                             "them only on TensorFlow).")
        if kwargs:
            raise TypeError(f"KerasTensor got unexpected keyword arguments {sorted(kwargs)}")
        self.shape = tuple(None if d is None else int(d) for d in shape)
        self.dtype = standardize_dtype(dtype)
        self.sparse = sparse
        self.name = name
        self._keras_history: KerasHistory | None = None

    @property
    def ndim(self):
        return len(self.shape)

    @property
    def size(self):
        return None if None in self.shape else int(np.prod(self.shape, dtype=np.int64))

    def __repr__(self):
        name = f", name={self.name}" if self.name else ""
        return f"<KerasTensor shape={self.shape}, dtype={self.dtype}{name}>"

    def reshape(self, *shape):
        return _ops().reshape(self, shape[0] if len(shape) == 1 else shape)

    def astype(self, dtype):
        return _ops().cast(self, dtype)

    # ``/`` and round() record the ops Keras's KerasTensor records (TrueDivide, Round).
    def __truediv__(self, other): return _ops().true_divide(self, other)
    def __rtruediv__(self, other): return _ops().true_divide(other, self)
    def __round__(self, ndigits=None): return _ops().round(self, ndigits or 0)
    # ``x != 0`` is an op (NotEqual), as in Keras; ``==`` stays identity (hashing).
    def __ne__(self, other): return _ops().not_equal(self, other)
    def __floordiv__(self, other): return _ops().floor_divide(self, other)
    def __rfloordiv__(self, other): return _ops().floor_divide(other, self)
    def __mod__(self, other): return _ops().mod(self, other)
    def __rmod__(self, other): return _ops().mod(other, self)
    def __and__(self, other): return _ops().logical_and(self, other)
    def __rand__(self, other): return _ops().logical_and(other, self)
    def __or__(self, other): return _ops().logical_or(self, other)
    def __ror__(self, other): return _ops().logical_or(other, self)
    def __xor__(self, other): return _ops().logical_xor(self, other)
    def __rxor__(self, other): return _ops().logical_xor(other, self)
    def __invert__(self): return _ops().logical_not(self)

    def __len__(self):
        if not self.shape or self.shape[0] is None:
            raise TypeError(f"{self!r} has no known length")
        return self.shape[0]

    def __bool__(self):
        raise TypeError(f"{self!r} is symbolic: it has no truth value until the model runs. "
                        f"Use brickwork.ops.cond / ops.where instead of Python `if`.")

    def __iter__(self):
        if not self.shape or self.shape[0] is None:
            raise TypeError(f"Cannot iterate over {self!r}: its first dimension is unknown")
        return (self[i] for i in range(self.shape[0]))

    def __array__(self, *args, **kwargs):
        raise TypeError(f"{self!r} is symbolic: it has no value until the model runs. "
                        f"Call the model on data instead.")

    def numpy(self):
        self.__array__()

    __float__ = __int__ = numpy


def _ops():
    return _autodiff._ops  # brickwork.ops (it imports this module)


_operation_layer = None  # set by brickwork.layers.operation_layer


def register_operation_layer(cls) -> None:
    """Name what wraps an op applied to symbolic tensors: ``cls(function)``
    is called on the op's arguments and returns its outputs (a Layer class,
    or a factory that picks one per call)."""
    global _operation_layer
    _operation_layer = cls


def symbolic_call(function, args, kwargs):
    """Apply the op ``function`` to arguments holding KerasTensors: a graph
    node of an operation layer that replays ``function`` on real arrays."""
    if _operation_layer is None:
        raise RuntimeError("brickwork.layers is not imported: ops on symbolic tensors need it")
    return _operation_layer(function)(*args, **kwargs)


def is_symbolic(structure) -> bool:
    return any(isinstance(v, KerasTensor) for v in tree.flatten(structure))


class Node:
    """One call of a layer on symbolic inputs."""

    def __init__(self, layer, call_args=(), call_kwargs=None, outputs=()):
        self.layer = layer
        self.call_args = tuple(call_args)
        self.call_kwargs = dict(call_kwargs or {})
        self.arguments = (self.call_args, self.call_kwargs)
        self.input_tensors = [t for t in tree.flatten(self.arguments) if isinstance(t, KerasTensor)]
        self.outputs = outputs
        self.output_tensors = [t for t in tree.flatten(outputs) if isinstance(t, KerasTensor)]
        self.parent_nodes = [
            t._keras_history.layer._inbound_nodes[t._keras_history.node_index]
            for t in self.input_tensors if t._keras_history is not None
        ]
        layer._inbound_nodes.append(self)
        node_index = len(layer._inbound_nodes) - 1
        for i, tensor in enumerate(self.output_tensors):
            tensor._keras_history = KerasHistory(layer, node_index, i)
        for parent in {id(p.layer): p.layer for p in self.parent_nodes}.values():
            parent._outbound_nodes.append(self)

    @property
    def is_input(self):
        return not self.input_tensors

    def __repr__(self):
        return f"<Node of {self.layer.name!r}>"


def run_nodes(nodes, input_tensors, input_values):
    """Run a graph's ``nodes`` (in call order) on concrete values given for
    ``input_tensors``; returns ``{id(tensor): value}`` for every tensor made.
    Nodes whose outputs are all given are skipped, so a graph may start from
    intermediate tensors (``keras.Function``) as well as from its inputs."""
    values = {id(t): v for t, v in zip(input_tensors, input_values)}
    given = set(values)

    def fill(item):
        return values[id(item)] if isinstance(item, KerasTensor) else item

    # As Keras: a graph run with a training value passes it to every node,
    # over the one a node recorded (Keras writes `training: false` in files).
    training = call_context.current_training()
    for node in nodes:
        if node.is_input or all(id(t) in given for t in node.output_tensors):
            continue
        args, kwargs = tree.map_structure(fill, node.arguments)
        if training is not None and "training" in kwargs:
            kwargs["training"] = training
        outputs = node.layer(*args, **kwargs)
        for tensor, value in zip(node.output_tensors, tree.flatten(outputs)):
            values[id(tensor)] = value
    return values
