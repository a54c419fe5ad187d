"""The ONNX graph under construction, and the registry of layer converters.

A converter is a function ``convert(call)`` registered for a layer class
with :func:`converter`; it emits ONNX nodes through ``call.graph`` and
returns the ONNX names of the layer call's outputs (one per output tensor,
in the order of the node's flattened outputs). Every node is made with
``onnx.helper.make_node`` and every weight with ``numpy_helper.from_array``:
no protobuf is written by hand.
"""
from __future__ import annotations

import numpy as np

#: The opset the exporter writes (LayerNormalization needs 17; Mish, the
#: Reduce* ops with ``axes`` as an input and Split's ``num_outputs`` need 18).
DEFAULT_OPSET = 18

_CONVERTERS = {}


def converter(*layer_classes, ignores_mask=False):
    """Register ``convert(call)`` for ``layer_classes`` (exact classes; a
    subclass needs its own registration, since it may change ``call``).

    ``ignores_mask``: the layer's output does not depend on an incoming
    Keras mask at inference, so a masked input may be exported.
    """
    def register(function):
        for cls in layer_classes:
            _CONVERTERS[cls] = (function, ignores_mask)
        return function
    return register


def find_converter(layer):
    return _CONVERTERS.get(type(layer))


def supported_layer_classes():
    """The layer classes that export to ONNX, sorted by name."""
    return sorted({cls.__name__ for cls in _CONVERTERS})


class ExportError(ValueError):
    """A model or layer that cannot be written as ONNX."""


def refuse(layer, reason):
    raise ExportError(f"Layer {layer.name!r} ({type(layer).__name__}) cannot be exported to "
                      f"ONNX: {reason}")


class OnnxGraph:
    """Nodes and initializers of one ONNX graph, with unique value names."""

    def __init__(self, onnx):
        self.onnx = onnx
        self.helper = onnx.helper
        self.nodes = []
        self.initializers = []
        self._used = set()

    def unique(self, hint):
        hint = "".join(c if c.isalnum() or c in "_./:-" else "_" for c in str(hint)) or "value"
        name, index = hint, 1
        while name in self._used:
            name, index = f"{hint}_{index}", index + 1
        self._used.add(name)
        return name

    def reserve(self, name):
        """Claim ``name`` exactly (graph inputs and outputs)."""
        if name in self._used:
            raise ExportError(f"Two graph inputs or outputs would both be named {name!r}")
        self._used.add(name)
        return name

    def constant(self, value, hint, dtype=np.float32):
        """An initializer holding ``value`` (converted to ``dtype``)."""
        array = np.ascontiguousarray(np.asarray(value, dtype=dtype))
        name = self.unique(hint)
        self.initializers.append(self.onnx.numpy_helper.from_array(array, name))
        return name

    def ints(self, values, hint):
        """An int64 1-D initializer (shapes, axes, pads, indices)."""
        return self.constant(np.asarray(values, dtype=np.int64).reshape(-1), hint, np.int64)

    def op(self, op_type, inputs, hint, outputs=1, **attributes):
        """Append one node; returns its output name (or a list for
        ``outputs > 1``). An input of ``""`` is an omitted optional input."""
        names = [self.unique(f"{hint}/{op_type}" + (f":{i}" if outputs > 1 else ""))
                 for i in range(outputs)]
        attributes = {k: v for k, v in attributes.items() if v is not None}
        self.nodes.append(self.helper.make_node(op_type, list(inputs), names,
                                                name=self.unique(f"{hint}/{op_type}_node"),
                                                **attributes))
        return names[0] if outputs == 1 else names

    # -- small compositions used by several converters --------------------------

    def transpose(self, x, perm, hint):
        perm = [int(p) for p in perm]
        if perm == sorted(perm):
            return x
        return self.op("Transpose", [x], hint, perm=perm)

    def reshape(self, x, shape, hint):
        """Reshape to ``shape`` (0 keeps the input's dimension, -1 infers)."""
        return self.op("Reshape", [x, self.ints(shape, f"{hint}/shape")], hint)


class LayerCall:
    """One call of a layer in the model's graph, as a converter sees it.

    ``inputs``: ONNX names of the call's input tensors (flattened, in the
    order of the call's arguments); ``input_shapes`` / ``output_shapes``:
    their Keras shapes (None for unknown dims, the batch first);
    ``arguments``: the ``(args, kwargs)`` of the call with every symbolic
    tensor replaced by its ONNX name.
    """

    def __init__(self, graph, layer, inputs, input_shapes, output_shapes, arguments,
                 input_dtypes=(), input_masked=()):
        self.graph = graph
        self.layer = layer
        self.inputs = inputs
        self.input_shapes = input_shapes
        self.output_shapes = output_shapes
        self.arguments = arguments
        self.input_dtypes = input_dtypes
        self.input_masked = input_masked  # whether each input carries a Keras mask
        self.hint = layer.name

    def refuse(self, reason):
        refuse(self.layer, reason)

    def weight(self, variable, hint=None, transform=None):
        """An initializer holding ``variable``'s value (float32), after
        ``transform(array)`` when given."""
        if hasattr(variable, "numpy"):
            array = np.asarray(variable.numpy())
        else:
            from brickwork import ops
            array = np.asarray(ops.convert_to_numpy(variable))
        if transform is not None:
            array = transform(array)
        name = hint or getattr(variable, "name", "weight")
        return self.graph.constant(array, f"{self.hint}/{name}")
