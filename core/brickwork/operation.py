"""``brickwork.Operation`` and ``brickwork.Function``: Keras 3's base class of
computations that can run on values or on symbolic tensors, and a callable
graph of them.

brickwork's layers do not inherit from :class:`Operation` (they have their
own base, ``brickwork.Layer``), but ``isinstance(layer, brickwork.Operation)``
holds, as in Keras: ``Layer`` is registered as a virtual subclass.
"""
from __future__ import annotations

import abc

from brickwork import tree
from brickwork.naming import auto_name, to_snake_case
from brickwork.symbolic import KerasTensor, Node, is_symbolic, run_nodes


class Operation(metaclass=abc.ABCMeta):
    """A computation with a name, run eagerly by ``call`` or symbolically by
    ``symbolic_call``.

    Subclasses implement ``call(*args, **kwargs)`` (on arrays or tensors)
    and ``compute_output_spec(*args, **kwargs)`` (KerasTensors in, output
    KerasTensors out: shapes and dtypes only). Calling an operation on
    symbolic tensors records a node, so a functional ``Model`` or a
    :class:`Function` built on those tensors runs it.

    Args:
        name: The operation's name; by default the snake-case class name
            made unique (``my_op``, ``my_op_1``, ...).
    """

    def __init__(self, name=None):
        if name is None:
            name = auto_name(to_snake_case(type(self).__name__))
        if not isinstance(name, str) or "/" in name:
            raise ValueError(f"Argument `name` must be a string and cannot contain character "
                             f"`/`. Received: name={name} (of type {type(name)})")
        self.name = name
        self._inbound_nodes = []
        self._outbound_nodes = []

    def __call__(self, *args, **kwargs):
        if is_symbolic((args, kwargs)):
            return self.symbolic_call(*args, **kwargs)
        return self.call(*args, **kwargs)

    def symbolic_call(self, *args, **kwargs):
        """The output spec of a call on symbolic tensors, recorded as a node."""
        outputs = self.compute_output_spec(*args, **kwargs)
        Node(self, call_args=args, call_kwargs=kwargs, outputs=outputs)
        return outputs

    def call(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} must implement `call()`.")

    def compute_output_spec(self, *args, **kwargs):
        """Output KerasTensors for KerasTensor inputs. The default runs
        ``call`` twice on zero arrays of the inputs' shapes, unknown
        dimensions as 1 and then as 2: output dimensions that differ between
        the runs are unknown (None)."""
        import numpy as np
        from brickwork import ops

        def run(size):
            def zeros(x):
                if isinstance(x, KerasTensor):
                    shape = tuple(size if d is None else d for d in x.shape)
                    return np.zeros(shape, dtype=x.dtype)
                return x
            call_args, call_kwargs = tree.map_structure(zeros, (args, kwargs))
            return tree.map_structure(ops.convert_to_numpy, self.call(*call_args, **call_kwargs))

        first, second = run(1), run(2)

        def spec(a, b):
            shape = tuple(d if d == e else None for d, e in zip(a.shape, b.shape))
            return KerasTensor(shape, dtype=a.dtype.name)
        return tree.map_structure(spec, first, second)

    def get_config(self):
        return {"name": self.name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    @property
    def input(self):
        """The symbolic input(s) of the operation's first call."""
        return self._node_attribute("arguments", 0)

    @property
    def output(self):
        """The symbolic output(s) of the operation's first call."""
        return self._node_attribute("outputs", 0)

    def _node_attribute(self, attribute, node_index):
        if not self._inbound_nodes:
            raise AttributeError(f"The operation {self.name!r} has never been called and thus "
                                 f"has no defined {attribute}.")
        value = getattr(self._inbound_nodes[node_index], attribute)
        if attribute == "arguments":
            args, kwargs = value
            value = args[0] if len(args) == 1 and not kwargs else value
        return value

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}>"


def _register_layer():
    from brickwork.layers.layer import Layer
    Operation.register(Layer)


_register_layer()


class Function(Operation):
    """A graph of operations (layers included) from symbolic ``inputs`` to
    ``outputs``, callable on values (``keras.Function``).

    >>> x = brickwork.Input((3,))
    >>> y = brickwork.layers.Dense(2)(x)
    >>> f = brickwork.Function(x, y)
    >>> f(np.ones((4, 3))).shape
    (4, 2)

    Args:
        inputs: KerasTensor(s) (a tensor, list, tuple or dict).
        outputs: KerasTensor(s) computed from ``inputs``.
        name: Optional name.
    """

    def __init__(self, inputs, outputs, name=None):
        super().__init__(name=name)
        from brickwork.models.functional import _nodes_in_order
        for tensor in tree.flatten(inputs) + tree.flatten(outputs):
            if not isinstance(tensor, KerasTensor):
                raise ValueError(f"All `inputs` and `outputs` values must be KerasTensors. "
                                 f"Received: {tensor!r}")
        self._inputs_struct = inputs
        self._outputs_struct = outputs
        self._inputs = tree.flatten(inputs)
        self._outputs = tree.flatten(outputs)
        self._nodes, _ = _nodes_in_order(self._inputs, self._outputs, self.name)
        self._operations = list({id(n.layer): n.layer for n in self._nodes
                                 if not n.is_input}.values())

    @property
    def inputs(self):
        return self._inputs

    @property
    def outputs(self):
        return self._outputs

    @property
    def operations(self):
        """The operations (layers) of the graph, in call order."""
        return list(self._operations)

    def call(self, inputs):
        flat = tree.flatten(inputs)
        if len(flat) != len(self._inputs):
            raise ValueError(f"Function {self.name!r} expects {len(self._inputs)} input(s), "
                             f"received {len(flat)}.")
        values = run_nodes(self._nodes, self._inputs, flat)
        return tree.pack_like(self._outputs_struct, [values[id(t)] for t in self._outputs])

    def __call__(self, inputs):
        if is_symbolic(inputs):
            return self.symbolic_call(inputs)
        return self.call(inputs)

    def compute_output_spec(self, inputs):
        return tree.map_structure(lambda t: KerasTensor(t.shape, t.dtype), self._outputs_struct)
