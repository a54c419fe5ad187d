"""Keras 2 model configs (the ``model_config`` of legacy ``.h5`` files) in the
form brickwork's deserializer reads.

Only data is rewritten here: the result goes through the same registry-only,
safe-mode deserialization as a ``.keras`` archive's ``config.json``, so a
legacy file cannot name a module to import, and a stored lambda is refused
unless safe mode is off.

What differs between the legacy configs and Keras 3's:

* layer entries carry no ``module`` (tf.keras 2 and Keras 3's legacy writer
  alike), nor do the nested layers of wrappers in tf.keras 2 files;
* tf.keras 2 writes ``batch_input_shape``, ``inbound_nodes`` as lists
  ``[[layer name, node index, tensor index, kwargs], ...]``, ``axis`` as a
  one-element list, mixed precision as a ``Policy`` object, lambdas as
  ``[code, defaults, closure]``, and a few arguments Keras 3 dropped;
* the ``training_config`` holds compile arguments with Keras 2 optimizer and
  loss arguments.
"""
from __future__ import annotations

import copy
import warnings

#: Keys under which a layer config holds other layer configs.
_NESTED_LAYER_KEYS = ("layer", "cell", "forward_layer", "backward_layer")
#: Keras 2 arguments Keras 3 removed that change nothing when at these values.
_DROPPED_IF = {"time_major": False, "enable_caching_device": None, "input_length": None}
_LAMBDA_LEGACY_KEYS = ("module", "function_type", "output_shape_type", "output_shape_module")


def _legacy_module(class_name):
    """The public module a registered built-in of this name loads from
    (layers first, as Keras' legacy loader looks in ``keras.layers``)."""
    from brickwork.saving.serialization import BUILTIN_MODULES
    for module in ("keras.layers", "keras.models", "keras"):
        if class_name in BUILTIN_MODULES.get(module, {}):
            return module
    return "keras.layers"


def convert_model_config(config):
    """The Keras 3 form of a legacy ``{"class_name", "config"}`` model config
    (a converted deep copy; ``config`` is left as it is)."""
    if not isinstance(config, dict) or not isinstance(config.get("config"), dict):
        raise ValueError(f"The legacy model config must be a dict with 'class_name' and "
                         f"'config' keys, got {type(config).__name__}")
    return _convert_layer(copy.deepcopy(config))


def _convert_layer(entry):
    if not isinstance(entry, dict) or not isinstance(entry.get("class_name"), str):
        return entry
    inner = entry.get("config")
    if "module" not in entry:
        entry["module"] = _legacy_module(entry["class_name"])
        entry.setdefault("registered_name", None)
    if not isinstance(inner, dict):
        return entry
    _convert_layer_arguments(entry["class_name"], inner)
    if isinstance(inner.get("layers"), list):  # a nested Sequential or functional model
        inner["layers"] = [_convert_layer(layer) for layer in inner["layers"]]
        for key in ("input_layers", "output_layers"):
            # tf.keras 2 lists even a single input or output; Keras 3 unwraps it
            ends = inner.get(key)
            if isinstance(ends, list) and len(ends) == 1 and _is_history(ends[0]):
                inner[key] = ends[0]
    for key in _NESTED_LAYER_KEYS:
        if isinstance(inner.get(key), dict):
            inner[key] = _convert_layer(inner[key])
    if isinstance(inner.get("cells"), list):
        inner["cells"] = [_convert_layer(cell) for cell in inner["cells"]]
    nodes = entry.get("inbound_nodes")
    if isinstance(nodes, list):
        entry["inbound_nodes"] = [_convert_node(node) for node in nodes]
    return entry


def _convert_layer_arguments(class_name, inner):
    batch_input_shape = inner.pop("batch_input_shape", None)
    if batch_input_shape is not None:
        if class_name == "InputLayer":
            inner.setdefault("batch_shape", batch_input_shape)
        elif isinstance(batch_input_shape, list) and batch_input_shape:
            inner.setdefault("input_shape", batch_input_shape[1:])
    axis = inner.get("axis")
    if isinstance(axis, list) and len(axis) == 1 and isinstance(axis[0], int):
        inner["axis"] = axis[0]
    dtype = inner.get("dtype")
    if isinstance(dtype, dict) and dtype.get("class_name") == "Policy" \
            and isinstance(dtype.get("config"), dict):
        inner["dtype"] = dtype["config"].get("name")  # tf.keras 2 mixed precision
    for key, harmless in _DROPPED_IF.items():
        if key in inner and inner[key] == harmless:
            del inner[key]
    if inner.get("time_major"):
        raise ValueError(f"Layer {inner.get('name')!r} ({class_name}) was saved with "
                         f"time_major=True, a tf.keras 2 argument Keras 3 does not have: "
                         f"rebuild the layer with batch-major inputs (transpose them).")
    if class_name == "Lambda":
        for key in _LAMBDA_LEGACY_KEYS:
            inner.pop(key, None)
        function = inner.get("function")
        if isinstance(function, list):  # [marshalled code, defaults, closure]
            code, defaults, closure = (list(function) + [None, None, None])[:3]
            inner["function"] = {"class_name": "__lambda__",
                                 "config": {"code": code, "defaults": defaults,
                                            "closure": closure}}


def _is_history(value):
    return (isinstance(value, list) and len(value) == 3 and isinstance(value[0], str)
            and all(isinstance(v, int) for v in value[1:]))


def _keras_tensor(history):
    return {"class_name": "__keras_tensor__", "config": {"keras_history": list(history[:3])}}


def _convert_node(node):
    """``[[name, node, tensor, kwargs], ...]`` as ``{"args": ..., "kwargs": ...}``."""
    if not isinstance(node, list):
        return node
    if not node:
        return {"args": [], "kwargs": {}}
    tensors, kwargs = [], {}
    for item in node:
        if not (isinstance(item, list) and len(item) in (3, 4) and isinstance(item[0], str)):
            raise ValueError(f"Invalid legacy inbound node entry {item!r}: expected "
                             f"[layer name, node index, tensor index, kwargs]")
        tensors.append(_keras_tensor(item))
        if len(item) == 4:
            if not isinstance(item[3], dict):
                raise ValueError(f"Invalid legacy inbound node kwargs {item[3]!r}")
            kwargs = item[3]
    return {"args": [tensors[0] if len(tensors) == 1 else tensors], "kwargs": kwargs}


# -- training_config -----------------------------------------------------------------

#: Compile arguments a training_config may carry.
_COMPILE_KEYS = ("loss", "loss_weights", "metrics", "weighted_metrics", "run_eagerly",
                 "steps_per_execution", "jit_compile")
_OPTIMIZER_DROPPED = ("is_legacy_optimizer", "jit_compile")


def compile_config_from_training_config(training_config):
    """A ``compile_config`` (what ``get_compile_config`` makes) for a legacy
    ``training_config``, or None when there is no optimizer to compile with."""
    if not isinstance(training_config, dict):
        raise ValueError(f"The legacy training config must be a dict, got "
                         f"{type(training_config).__name__}")
    optimizer = training_config.get("optimizer_config")
    if not isinstance(optimizer, dict):
        return None
    config = {key: copy.deepcopy(training_config[key]) for key in _COMPILE_KEYS
              if key in training_config}
    config["optimizer"] = _convert_optimizer(copy.deepcopy(optimizer))
    config["loss"] = _convert_losses(config.get("loss"))
    for key in ("metrics", "weighted_metrics"):
        metrics = _convert_metrics(config.get(key))
        if isinstance(metrics, list) and len(metrics) == 1 and isinstance(metrics[0], list):
            metrics = metrics[0]  # tf.keras 2 lists them per output, even for one output
        config[key] = metrics
    return config


def _convert_optimizer(optimizer):
    class_name = optimizer.get("class_name")
    if isinstance(class_name, str) and class_name.startswith("Custom>"):
        class_name = class_name[len("Custom>"):]  # tf.keras 2.11+ optimizers
    inner = dict(optimizer.get("config") or {})
    if "lr" in inner:
        inner.setdefault("learning_rate", inner.pop("lr"))
    for key in _OPTIMIZER_DROPPED:
        inner.pop(key, None)
    decay = inner.pop("decay", 0.0)
    if decay:
        warnings.warn(f"The saved {class_name} optimizer used `decay={decay}`, which Keras 3 "
                      f"optimizers do not have; it is dropped. Pass a "
                      f"`keras.optimizers.schedules.LearningRateSchedule` to get it back.",
                      stacklevel=4)
    return {"module": optimizer.get("module", "keras.optimizers"), "class_name": class_name,
            "config": inner, "registered_name": optimizer.get("registered_name")}


def _convert_losses(value):
    if isinstance(value, list):
        return [_convert_losses(v) for v in value]
    if isinstance(value, dict) and "class_name" not in value:
        return {k: _convert_losses(v) for k, v in value.items()}
    if isinstance(value, dict):
        value = dict(value)
        value.setdefault("module", "keras.losses")
        inner = dict(value.get("config") or {})
        if inner.get("reduction") == "auto":  # Keras 2's default
            inner["reduction"] = "sum_over_batch_size"
        value["config"] = inner
    return value


def _convert_metrics(value):
    if isinstance(value, list):
        return [_convert_metrics(v) for v in value]
    if isinstance(value, dict) and "class_name" not in value:
        return {k: _convert_metrics(v) for k, v in value.items()}
    if isinstance(value, dict):
        inner = value.get("config") or {}
        if value["class_name"] == "MeanMetricWrapper" and isinstance(inner.get("fn"), str):
            return inner.get("name") or inner["fn"]  # tf.keras 2 wraps named metric functions
        value = dict(value)
        value.setdefault("module", "keras.metrics")
    return value
