"""The functional API: a model defined by a graph of layer calls."""
from __future__ import annotations

from brickwork import ops, tree
from brickwork.layers.core import InputLayer
from brickwork.masks import with_keras_mask
from brickwork.models.model import Model
from brickwork.symbolic import KerasTensor, run_nodes


def _nodes_in_order(inputs, outputs, model_name):
    """Every node between the inputs and the outputs, parents before children,
    and each layer's position in a depth-first pre-order walk from the outputs
    (Keras breaks depth ties between layers by that position)."""
    input_ids = {id(t) for t in inputs}
    ordered, visiting, done = [], set(), set()
    preorder = {}

    def visit(tensor, consumer):
        history = tensor._keras_history
        if history is None:
            raise ValueError(f"Model {model_name!r}: output {tensor!r} was not produced by a "
                             f"layer call on a brickwork.Input.")
        node = history.layer._inbound_nodes[history.node_index]
        if id(node) in done:
            return
        if id(node) in visiting:
            raise ValueError(f"Model {model_name!r}: the layer graph has a cycle at layer "
                             f"{history.layer.name!r}")
        if node.is_input and id(tensor) not in input_ids:
            raise ValueError(
                f"Graph disconnected: cannot get a value for tensor {tensor!r} at layer "
                f"{consumer!r}: it comes from input {history.layer.name!r}, which is not "
                f"among the model's inputs.")
        preorder.setdefault(id(history.layer), len(preorder))
        visiting.add(id(node))
        if id(tensor) not in input_ids:
            for parent in node.input_tensors:
                visit(parent, history.layer.name)
        visiting.discard(id(node))
        done.add(id(node))
        ordered.append(node)

    for output in outputs:
        visit(output, "the outputs")
    return ordered, preorder


def _layers_by_depth(nodes, preorder, inputs):
    """Layers in the order Keras lists them (its ``map_graph``): by decreasing
    depth, ties by pre-order position. A node is at least as deep as earlier
    nodes of its layer, and its parents are one deeper than it."""
    in_graph = {id(node) for node in nodes}
    node_depth, layer_depth, layers = {}, {}, {}
    for node in reversed(nodes):
        depth = max(node_depth.setdefault(id(node), 0), layer_depth.get(id(node.layer), 0))
        layer_depth[id(node.layer)] = node_depth[id(node)] = depth
        layers[id(node.layer)] = node.layer
        for parent in node.parent_nodes:
            if id(parent) in in_graph:
                node_depth[id(parent)] = max(depth + 1, node_depth.get(id(parent), 0))
    order = dict(preorder)
    for tensor in inputs:  # inputs no output depends on are still listed
        layer = tensor._keras_history.layer
        if id(layer) not in layer_depth:
            layer_depth[id(layer)], order[id(layer)], layers[id(layer)] = 0, -1, layer
    return sorted(layers.values(), key=lambda layer: (-layer_depth[id(layer)], order[id(layer)]))


class Functional(Model):
    """``Model(inputs, outputs)``: several inputs and outputs, shared layers."""

    def __init__(self, inputs, outputs, name=None, trainable=True, **kwargs):
        super().__init__(name=name, trainable=trainable, **kwargs)
        for tensor in tree.flatten(inputs):
            history = getattr(tensor, "_keras_history", None)
            if not isinstance(tensor, KerasTensor) or not isinstance(
                    getattr(history, "layer", None), InputLayer):
                raise ValueError(f"Model {self.name!r}: every input must be a tensor from "
                                 f"brickwork.Input(), got {tensor!r}")
        for tensor in tree.flatten(outputs):
            if not isinstance(tensor, KerasTensor):
                raise ValueError(f"Model {self.name!r}: outputs must be symbolic tensors "
                                 f"from layer calls, got {tensor!r}")
        self._inputs_struct = inputs
        self._outputs_struct = outputs
        self.inputs = tree.flatten(inputs)
        self.outputs = tree.flatten(outputs)
        self._nodes, preorder = _nodes_in_order(self.inputs, self.outputs, self.name)
        self._functional_layers = _layers_by_depth(self._nodes, preorder, self.inputs)
        self._build_shapes = tree.map_structure(lambda t: t.shape, inputs)
        self.built = True

    @property
    def layers(self):
        return list(self._functional_layers)

    @property
    def input_names(self):
        return [t._keras_history.layer.name for t in self.inputs]

    @property
    def output_names(self):
        return [t._keras_history.layer.name for t in self.outputs]

    def _flat_call_inputs(self, inputs):
        """Match call inputs to the model's Input tensors (list, dict or single)."""
        if isinstance(inputs, dict):
            missing = [n for n in self.input_names if n not in inputs]
            if missing:
                raise ValueError(f"Model {self.name!r}: missing inputs {missing}; "
                                 f"expected keys {self.input_names}, got {sorted(inputs)}")
            return [inputs[n] for n in self.input_names]
        flat = tree.flatten(inputs)
        if len(flat) != len(self.inputs):
            raise ValueError(f"Model {self.name!r} expects {len(self.inputs)} input(s) "
                             f"{[t.shape for t in self.inputs]}, but received {len(flat)}.")
        return flat

    def _check_input_shapes(self, values):
        for i, (tensor, value) in enumerate(zip(self.inputs, values)):
            shape = tuple(getattr(value, "shape", ()))
            expected = tensor.shape
            fits = len(shape) == len(expected) and all(
                e is None or e == a for e, a in zip(expected, shape))
            if not fits:
                raise ValueError(
                    f"Input {i} ({tensor._keras_history.layer.name!r}) of model {self.name!r} is "
                    f"incompatible: expected shape {expected}, found shape {shape}")

    def _convert_input_dtypes(self, values):
        """As Keras: each input becomes an array of its ``Input``'s dtype (int
        ids fed to a float32 ``Input`` reach the layers as float32)."""
        converted = []
        for tensor, value in zip(self.inputs, values):
            dtype = tensor.dtype
            if value is None or dtype in (None, "string") or getattr(value, "dtype", None) == dtype:
                converted.append(value)
            else:
                converted.append(ops.convert_to_tensor(value, dtype=dtype))
        return converted

    def call(self, inputs, training=None, mask=None):
        flat_inputs = self._convert_input_dtypes(self._flat_call_inputs(inputs))
        self._check_input_shapes(flat_inputs)
        if mask is not None:
            # Masks ride on the tensors (brickwork.masks); each layer call
            # passes them on, so the graph walk needs no mask bookkeeping.
            flat_inputs = [x if m is None else with_keras_mask(x, m)
                           for x, m in zip(flat_inputs, tree.flatten(mask))]
        values = run_nodes(self._nodes, self.inputs, flat_inputs)
        return tree.pack_like(self._outputs_struct, [values[id(t)] for t in self.outputs])

    def compute_output_spec(self, *args, **kwargs):
        return tree.map_structure(lambda t: KerasTensor(t.shape, t.dtype), self._outputs_struct)

    def get_config(self):
        from brickwork.models.functional_config import functional_config
        return functional_config(self)

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from brickwork.models.functional_config import functional_from_config
        return functional_from_config(cls, config, custom_objects)
