"""Writing the legacy Keras HDF5 format, as Keras 3's ``model.save("x.h5")``
does (the layout is described in ``legacy_h5``).

The file is written to a temporary file next to the target and renamed over
it when complete (``atomic.atomic_write``). Variables are named with the
paths Keras 3 gives them (``sequential/dense/kernel``,
``lstm/lstm_cell/kernel``, ``adam/sequential_dense_kernel_momentum``), so the
file has the same datasets as the one Keras writes for the same model.
"""
from __future__ import annotations

import json
import warnings

import h5py
import numpy as np

from brickwork.saving import state_walk
from brickwork.saving.atomic import atomic_write
from brickwork.saving.legacy_h5 import TOP_LEVEL_GROUP, legacy_weights

#: HDF5 keeps attributes in the object header, which holds at most this many
#: bytes; longer name lists are split into ``name0``, ``name1``, ...
HDF5_OBJECT_HEADER_LIMIT = 64512
LEGACY_SAVE_WARNING = (
    "You are saving your model as an HDF5 file via `model.save()` or "
    "`keras.saving.save_model(model)`. This file format is considered legacy. We recommend "
    "using instead the native Keras format, e.g. `model.save('my_model.keras')` or "
    "`keras.saving.save_model(model, 'my_model.keras')`.")
#: The compile arguments Keras 3 records in ``training_config``, in its order.
_TRAINING_KEYS = ("loss", "loss_weights", "metrics", "weighted_metrics", "run_eagerly",
                  "steps_per_execution", "jit_compile")


def save_model(model, filepath, include_optimizer=True):
    """Write ``model`` (config, weights and, if compiled, training config and
    optimizer state) to a legacy ``.h5`` file, with Keras' warning that the
    format is legacy."""
    warnings.warn(LEGACY_SAVE_WARNING, stacklevel=4)
    with atomic_write(filepath) as handle:
        with h5py.File(handle, "w") as h5_file:
            write_model(model, h5_file, include_optimizer)


def write_model(model, h5_file, include_optimizer=True):
    from brickwork.saving.saving_lib import KERAS_FORMAT_VERSION
    for key, value in model_metadata(model, include_optimizer).items():
        if isinstance(value, dict):
            h5_file.attrs[key] = json.dumps(value).encode("utf8")
        else:
            h5_file.attrs[key] = value
    paths = keras_variable_paths(model)
    write_weights(h5_file.create_group("model_weights"), model, paths, KERAS_FORMAT_VERSION)
    optimizer = getattr(model, "optimizer", None)
    if include_optimizer and optimizer is not None:
        variables = list(optimizer.variables)
        if variables:
            group = h5_file.create_group("optimizer_weights")
            names = _optimizer_variable_names(optimizer, variables, model, paths)
            _write_datasets(group, names, variables)


def _backend_name():
    from brickwork import backend
    return backend.backend()


def model_metadata(model, include_optimizer=True):
    """The root attributes Keras 3 writes (dicts become JSON)."""
    from brickwork.saving.saving_lib import KERAS_FORMAT_VERSION
    metadata = {"keras_version": KERAS_FORMAT_VERSION, "backend": _backend_name(),
                "model_config": legacy_model_config(model)}
    optimizer = getattr(model, "optimizer", None)
    compile_config = model.get_compile_config() if hasattr(model, "get_compile_config") \
        else None
    if include_optimizer and optimizer is not None and compile_config:
        training_config = {key: _legacy_object(compile_config.get(key))
                           for key in _TRAINING_KEYS if key in compile_config}
        serialized = compile_config.get("optimizer")
        optimizer_config = {"class_name": serialized["class_name"],
                            "config": serialized["config"]} \
            if isinstance(serialized, dict) else {"class_name": type(optimizer).__name__,
                                                  "config": optimizer.get_config()}
        training_config["optimizer_config"] = optimizer_config
        metadata["training_config"] = training_config
    return metadata


def legacy_model_config(model):
    """``{"class_name", "config"}`` with the model's layers in the legacy form
    (no ``module``, ``registered_name`` or ``build_config``), as Keras 3
    writes them under its legacy-config option."""
    from brickwork.saving.serialization import object_sharing_scope, serialize_keras_object
    with object_sharing_scope():
        serialized = serialize_keras_object(model)
    config = serialized["config"]
    if isinstance(config, dict) and isinstance(config.get("layers"), list):
        config["layers"] = [_legacy_layer_entry(entry) for entry in config["layers"]]
    return {"class_name": type(model).__name__, "config": config}


def _legacy_layer_entry(entry):
    if not isinstance(entry, dict):
        return entry
    class_name = entry.get("registered_name") or entry.get("class_name")
    legacy = {"class_name": class_name, "config": entry.get("config")}
    for key in ("name", "inbound_nodes"):
        if key in entry:
            legacy[key] = entry[key]
    return legacy


def _legacy_object(value):
    """Compile arguments as Keras' legacy serializer writes them: objects as
    ``{"class_name", "config"}``."""
    if isinstance(value, list):
        return [_legacy_object(v) for v in value]
    if isinstance(value, dict) and "class_name" in value:
        return {"class_name": value.get("registered_name") or value["class_name"],
                "config": value.get("config")}
    if isinstance(value, dict):
        return {k: _legacy_object(v) for k, v in value.items()}
    return value


# -- weights -------------------------------------------------------------------------


def keras_variable_paths(model):
    """``id(variable) -> path`` as Keras 3 names the model's variables: the
    names of the layers from the model's layer down to the variable's owner,
    then the variable's name; a Sequential model's layers are built inside
    its name scope, so their paths start with the model's name."""
    # (the weights walk already tells model kinds apart; asking it keeps
    # saving from importing the models package)
    prefix = f"{model.name}/" if state_walk._obj_type(model) == "Sequential" else ""
    paths = {}
    for layer in model.layers:
        _collect_paths(layer, prefix + layer.name, paths, set())
    for variable in legacy_weights(model):
        paths.setdefault(id(variable), f"{model.name}/{variable.name}")
    return paths


def _collect_paths(layer, path, paths, visited):
    if id(layer) in visited:
        return
    visited.add(id(layer))
    for variable in (*layer._trainable_variables, *layer._non_trainable_variables):
        paths.setdefault(id(variable), f"{path}/{variable.name}")
    for child in _sublayers(layer):
        _collect_paths(child, f"{path}/{child.name}", paths, visited)


def _sublayers(layer):
    """The layers ``layer`` holds, in the order the weights walk visits them."""
    from brickwork.layers.layer import Layer
    found = []
    for _attr, value in state_walk.walk_children(layer):
        items = value.values() if isinstance(value, dict) else (
            value if isinstance(value, (list, tuple)) else [value])
        found.extend(item for item in items if isinstance(item, Layer) and item is not layer)
    return found


def write_weights(group, model, paths, keras_version):
    """The ``model_weights`` layout into ``group``."""
    write_names(group, "layer_names", [layer.name.encode("utf8") for layer in model.layers])
    group.attrs["backend"] = _backend_name().encode("utf8")
    group.attrs["keras_version"] = str(keras_version).encode("utf8")
    # Sorted so that group names grow strictly (no name is created after a prefix of it).
    for layer in sorted(model.layers, key=lambda layer: layer.name):
        variables = legacy_weights(layer)
        _write_datasets(group.create_group(layer.name),
                        [paths.get(id(v), f"{layer.name}/{v.name}") for v in variables],
                        variables)
    in_layers = {id(v) for layer in model.layers for v in layer.weights}
    own = [v for v in legacy_weights(model) if id(v) not in in_layers]
    _write_datasets(group.create_group(TOP_LEVEL_GROUP), [paths[id(v)] for v in own], own)


def _write_datasets(group, names, variables):
    encoded = [name.encode("utf8") for name in names]
    write_names(group, "weight_names", encoded)
    for name, variable in zip(encoded, variables):
        value = np.asarray(variable.numpy())
        dataset = group.create_dataset(name, value.shape, dtype=value.dtype)
        if value.shape:
            dataset[:] = value
        else:
            dataset[()] = value


def write_names(group, name, data):
    """A list of names as one attribute, or as ``name0``, ``name1``, ... when
    it does not fit in an HDF5 object header."""
    too_long = [x for x in data if len(x) > HDF5_OBJECT_HEADER_LIMIT]
    if too_long:
        raise ValueError(f"Cannot save names longer than {HDF5_OBJECT_HEADER_LIMIT} bytes in "
                         f"an HDF5 attribute: {too_long[0][:80]!r}...")
    array = np.asarray(data)
    chunks, count = [array], 1
    while any(chunk.nbytes > HDF5_OBJECT_HEADER_LIMIT for chunk in chunks):
        count += 1
        chunks = np.array_split(array, count)
    if count == 1:
        group.attrs[name] = data
    else:
        for index, chunk in enumerate(chunks):
            group.attrs[f"{name}{index}"] = chunk


def _optimizer_variable_names(optimizer, variables, model, paths):
    """Keras 3 names a slot ``<optimizer>/<model variable path, '/' as '_'>_<slot>``;
    brickwork's slot names are made from its own variable paths, mapped over here."""
    renames = {}
    for variable in model.weights:
        keras_path = paths.get(id(variable))
        own_path = getattr(variable, "path", None)
        if keras_path and own_path:
            renames[own_path.replace("/", "_")] = keras_path.replace("/", "_")
    prefixes = sorted(renames, key=len, reverse=True)
    names = []
    for variable in variables:
        path = getattr(variable, "path", None) or f"{optimizer.name}/{variable.name}"
        head, _, rest = path.partition("/")
        for prefix in prefixes:
            if rest.startswith(prefix + "_"):
                rest = renames[prefix] + rest[len(prefix):]
                break
        names.append(f"{head}/{rest}" if rest else head)
    return names
