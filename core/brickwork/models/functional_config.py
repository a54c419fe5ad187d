"""Functional model configs in the Keras 3 form (layers, inbound nodes,
input and output layers), and models rebuilt from them."""
from __future__ import annotations

from brickwork import tree
from brickwork.saving.serialization import deserialize_keras_object, serialize_keras_object
from brickwork.symbolic import KerasTensor


def _model_node_index(model):
    """Per node: its index among the layer's nodes that belong to this model."""
    in_model = {id(node) for node in model._nodes}
    index = {}
    for layer in model._functional_layers:
        position = 0
        for node in layer._inbound_nodes:
            if id(node) in in_model:
                index[id(node)] = position
                position += 1
    return index


def functional_config(model) -> dict:
    node_index = _model_node_index(model)

    def tensor_config(tensor):
        layer, layer_node, tensor_index = tensor._keras_history
        node = layer._inbound_nodes[layer_node]
        return [layer.name, node_index.get(id(node), 0), tensor_index]

    def argument(value):
        if isinstance(value, KerasTensor):
            return {"class_name": "__keras_tensor__",
                    "config": {"shape": list(value.shape), "dtype": value.dtype,
                               "keras_history": tensor_config(value)}}
        # Constants of op nodes (3.0, slices, Ellipsis, arrays) in Keras's form.
        return serialize_keras_object(value)

    def listify(structure):
        if isinstance(structure, (list, tuple)):
            return [listify(item) for item in structure]
        if isinstance(structure, dict):
            return {k: listify(v) for k, v in structure.items()}
        return structure

    layers = []
    in_model = {id(node) for node in model._nodes}
    for layer in model._functional_layers:
        serialized = serialize_keras_object(layer)
        serialized["name"] = layer.name
        serialized["inbound_nodes"] = [
            {"args": listify(tree.map_structure(argument, node.call_args)),
             "kwargs": listify(tree.map_structure(argument, node.call_kwargs))}
            for node in layer._inbound_nodes if id(node) in in_model and not node.is_input
        ]
        layers.append(serialized)
    return {
        "name": model.name,
        "trainable": model.trainable,
        "layers": layers,
        "input_layers": listify(tree.map_structure(tensor_config, model._inputs_struct)),
        "output_layers": listify(tree.map_structure(tensor_config, model._outputs_struct)),
    }


def _is_history(value):
    return (isinstance(value, list) and len(value) == 3 and isinstance(value[0], str)
            and all(isinstance(v, int) for v in value[1:]))


def functional_from_config(cls, config, custom_objects=None):
    from brickwork import layers as layers_module  # noqa: F401  (registers built-ins)
    created = {}
    produced = {}  # (layer name, node index) -> list of output tensors
    pending = []
    for layer_config in config["layers"]:
        layer = deserialize_keras_object(layer_config, custom_objects=custom_objects, kind="layer")
        name = layer_config.get("name", layer.name)
        created[name] = layer
        if hasattr(layer, "output_tensor") and not layer_config.get("inbound_nodes"):
            produced[(name, 0)] = [layer.output_tensor]
        for node_config in layer_config.get("inbound_nodes", []):
            pending.append((name, node_config))

    def resolve(value):
        if isinstance(value, dict) and value.get("class_name") == "__keras_tensor__":
            layer_name, node, index = value["config"]["keras_history"]
            return produced[(layer_name, node)][index]
        return value

    def ready(node_config):
        keys = []

        def collect(value):
            if isinstance(value, dict) and value.get("class_name") == "__keras_tensor__":
                keys.append(tuple(value["config"]["keras_history"][:2]))
            elif isinstance(value, dict):
                for v in value.values():
                    collect(v)
            elif isinstance(value, list):
                for v in value:
                    collect(v)
        collect(node_config)
        return all(k in produced for k in keys)

    calls_made = {}
    while pending:
        progress = False
        for item in list(pending):
            name, node_config = item
            if not ready(node_config):
                continue
            args = _resolve_tree(node_config.get("args", []), resolve)
            kwargs = _resolve_tree(node_config.get("kwargs", {}), resolve)
            outputs = created[name](*args, **kwargs)
            index = calls_made.get(name, 0)
            calls_made[name] = index + 1
            produced[(name, index)] = tree.flatten(outputs)
            pending.remove(item)
            progress = True
        if not progress:
            names = sorted({name for name, _ in pending})
            raise ValueError(f"Cannot rebuild model {config.get('name')!r}: inbound nodes of "
                             f"layers {names} refer to tensors no layer produces.")

    def lookup(structure):
        if _is_history(structure):
            return produced[(structure[0], structure[1])][structure[2]]
        if isinstance(structure, dict):
            return {k: lookup(v) for k, v in structure.items()}
        return [lookup(v) for v in structure]
    return cls(inputs=lookup(config["input_layers"]), outputs=lookup(config["output_layers"]),
               name=config.get("name"), trainable=config.get("trainable", True))


#: Serialized constants in node arguments (``x[1:, ...]``, ``x + np.array(...)``).
_VALUE_MARKERS = frozenset({"__slice__", "__ellipsis__", "__numpy__", "__tensor__", "__bytes__"})


def _resolve_tree(value, resolve):
    if isinstance(value, dict) and value.get("class_name") == "__keras_tensor__":
        return resolve(value)
    if isinstance(value, dict) and value.get("class_name") in _VALUE_MARKERS:
        return deserialize_keras_object(value)
    if isinstance(value, dict):
        return {k: _resolve_tree(v, resolve) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve_tree(v, resolve) for v in value]
    return value
