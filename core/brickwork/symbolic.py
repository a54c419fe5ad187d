"""Symbolic tensors and graph nodes, for the functional API.

Calling a layer on a ``KerasTensor`` builds the layer, infers the output
shape and records a ``Node``; the functional ``Model`` later walks nodes.
"""
from __future__ import annotations

from typing import NamedTuple

from brickwork import tree
from brickwork.dtypes import standardize_dtype


class KerasHistory(NamedTuple):
    layer: object
    node_index: int
    tensor_index: int


class KerasTensor:
    """A placeholder with a shape (None for unknown dims) and a dtype."""

    def __init__(self, shape, dtype="float32", sparse=False, name=None):
        self.shape = tuple(None if d is None else int(d) for d in shape)
        self.dtype = standardize_dtype(dtype)
        self.sparse = sparse
        self.name = name
        self._keras_history: KerasHistory | None = None

    @property
    def ndim(self):
        return len(self.shape)

    def __repr__(self):
        name = f", name={self.name}" if self.name else ""
        return f"<KerasTensor shape={self.shape}, dtype={self.dtype}{name}>"

    def _refuse(self, *args):
        raise TypeError(
            "Arithmetic on symbolic tensors is not supported; use a layer "
            "(brickwork.layers.Add, Multiply, ..., or Lambda) in the functional model.")

    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = _refuse
    __truediv__ = __rtruediv__ = __matmul__ = __rmatmul__ = __neg__ = __getitem__ = _refuse

    def __array__(self, *args, **kwargs):
        raise TypeError(f"{self!r} is symbolic: it has no value until the model runs. "
                        f"Call the model on data instead.")


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
