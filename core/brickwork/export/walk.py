"""Walking a Sequential or functional model's layer graph into ONNX nodes."""
from __future__ import annotations

from brickwork import tree
from brickwork.export.graph import ExportError, LayerCall, find_converter, refuse
from brickwork.layers.core import InputLayer
from brickwork.masks import get_keras_mask
from brickwork.symbolic import KerasTensor


def _nodes_between(inputs, outputs):
    """The layer-call nodes from ``inputs`` to ``outputs``, parents first."""
    input_ids = {id(t) for t in inputs}
    ordered, done = [], set()

    def visit(tensor):
        history = tensor._keras_history
        node = history.layer._inbound_nodes[history.node_index]
        if id(node) in done:
            return
        done.add(id(node))
        if id(tensor) not in input_ids:
            for parent in node.input_tensors:
                visit(parent)
        ordered.append(node)

    for output in outputs:
        visit(output)
    return ordered


def is_graph_model(layer):
    """A functional or Sequential model (duck-typed: this package imports
    no model module, so that models -> export stays one-way)."""
    return hasattr(layer, "_functional_layers") or hasattr(layer, "_stack")


def graph_nodes(model):
    """The nodes of ``model``'s graph, parents first; refuses models that
    have no graph (subclassed models, unbuilt Sequential models)."""
    if hasattr(model, "_functional_layers"):
        return model._nodes
    if hasattr(model, "_stack"):
        if not model.built or not getattr(model, "outputs", None):
            raise ExportError(
                f"Sequential model {model.name!r} is not built, so it has no input shape to "
                f"export: give it an Input (or `input_shape`), or call it on data first.")
        return _nodes_between(model.inputs, model.outputs)
    raise ExportError(
        f"Model {model.name!r} ({type(model).__name__}) is a subclassed model: its `call` is "
        f"Python code with no layer graph to export to ONNX. Build the same network with the "
        f"functional API (brickwork.Model(inputs, outputs)) or Sequential, load the weights "
        f"into it, and export that.")


def convert_model(graph, model, input_names):
    """Emit ``model``'s graph with its inputs bound to ``input_names``;
    returns the ONNX names of its flattened outputs."""
    nodes = graph_nodes(model)
    values = {id(t): name for t, name in zip(model.inputs, input_names)}
    for node in nodes:
        if node.is_input:
            continue
        layer = node.layer
        inputs = [values[id(t)] for t in node.input_tensors]
        if is_graph_model(layer):
            outputs = convert_model(graph, layer, inputs)
        else:
            outputs = convert_layer(graph, node, inputs)
        if len(outputs) != len(node.output_tensors):
            raise ExportError(f"Layer {layer.name!r} ({type(layer).__name__}): its converter "
                              f"gave {len(outputs)} outputs, the layer has "
                              f"{len(node.output_tensors)}")
        for tensor, name in zip(node.output_tensors, outputs):
            values[id(tensor)] = name
    return [values[id(t)] for t in model.outputs]


def convert_layer(graph, node, inputs):
    layer = node.layer
    if isinstance(layer, InputLayer):
        return inputs
    found = find_converter(layer)
    if found is None:
        from brickwork.export.exclusions import reason_for
        refuse(layer, reason_for(layer) or "this layer class has no ONNX converter yet. Layers "
                      "that export: see brickwork.export.supported_layer_classes().")
    function, ignores_mask = found
    if not ignores_mask and getattr(layer, "_call_has_mask_arg", False) and any(
            get_keras_mask(t) is not None for t in node.input_tensors):
        refuse(layer, "its input carries a Keras mask (from Masking or Embedding(mask_zero="
                      "True)), and masked computation is not exported yet. Export a model "
                      "without the mask, or pad so that no mask is needed.")
    if layer.compute_dtype not in ("float32", None):
        refuse(layer, f"its compute dtype is {layer.compute_dtype!r}; ONNX export supports "
                      f"float32 models only (as Keras' ONNX export).")
    names = {id(t): name for t, name in zip(node.input_tensors, inputs)}
    arguments = tree.map_structure(
        lambda item: names[id(item)] if isinstance(item, KerasTensor) else item, node.arguments)
    call = LayerCall(graph, layer, inputs, [tuple(t.shape) for t in node.input_tensors],
                     [tuple(t.shape) for t in node.output_tensors], arguments,
                     input_dtypes=[t.dtype for t in node.input_tensors],
                     input_masked=[get_keras_mask(t) is not None for t in node.input_tensors])
    return list(function(call))
