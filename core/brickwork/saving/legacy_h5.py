"""Reading the legacy Keras HDF5 format (``.h5`` / ``.hdf5``), as written by
tf.keras 2.x and by Keras 3's legacy writer.

A full-model file holds, at its root, the attributes ``model_config`` (JSON,
Keras 2 form), ``keras_version``, ``backend`` and, for a compiled model,
``training_config``; a group ``model_weights``; and, when the optimizer was
saved, a group ``optimizer_weights``. A weights-only file (tf.keras 2's
``save_weights("w.h5")``) has the ``model_weights`` layout at its root:

* attribute ``layer_names``: every layer of ``model.layers``, in order;
* a group per layer name, with attribute ``weight_names`` (the variables in
  the legacy order, trainable then non-trainable) and one dataset per name
  (``dense/kernel:0`` in tf.keras 2, the variable path in Keras 3; a ``/`` in
  a name makes nested groups);
* Keras 3 adds ``top_level_model_weights``, the model's own variables.

Lists of names longer than an HDF5 attribute holds are split into
``name0``, ``name1``, ...; strings are ``bytes`` in files h5py 2 wrote.

Weights are read and checked before any variable changes: a file that does
not fit leaves the model as it was, and the error names the layer, the
variable and both shapes. The same protections as for ``.keras`` files
apply (links, external and virtual datasets, non-numeric data and
decompression bombs are refused; see ``weights_store``), and the config is
rebuilt with the registry-only, safe-mode deserializer.
"""
from __future__ import annotations

import contextlib
import json
import warnings

import h5py
import numpy as np

from brickwork.saving import legacy_h5_config, load_limits, weights_store
from brickwork.saving.errors import ConfigError, LoadError, WeightsFileError

LEGACY_SUFFIXES = (".h5", ".hdf5")
TOP_LEVEL_GROUP = "top_level_model_weights"
NO_TRAINING_CONFIG = ("No training configuration found in the save file, so the model was "
                      "*not* compiled. Compile it manually.")


def is_legacy_h5_path(path):
    """Whether ``path`` names a legacy HDF5 file (``.weights.h5`` is the new format)."""
    return path.endswith(LEGACY_SUFFIXES) and not path.endswith(".weights.h5")


def legacy_weights(layer):
    """A layer's variables in the order legacy files store them."""
    return list(layer.trainable_weights) + list(layer.non_trainable_weights)


# -- attributes ----------------------------------------------------------------------


def _text(value, what, source):
    if isinstance(value, (bytes, np.bytes_)):
        try:
            return bytes(value).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise WeightsFileError(f"{source}: {what} is not UTF-8 text: {exc}") from exc
    if isinstance(value, str):
        return value
    raise WeightsFileError(f"{source}: {what} must be a string, found "
                           f"{type(value).__name__}")


def read_names(node, name, source):
    """The list of strings stored in attribute ``name`` (or its chunks)."""
    try:
        if name in node.attrs:
            chunks = [node.attrs[name]]
        else:
            chunks, index = [], 0
            while f"{name}{index}" in node.attrs:
                chunks.append(node.attrs[f"{name}{index}"])
                index += 1
    except (OSError, RuntimeError, TypeError, ValueError) as exc:
        raise WeightsFileError(f"{source}: cannot read attribute {name!r} of "
                               f"{node.name!r}: {exc}") from exc
    names = []
    for chunk in chunks:
        values = np.asarray(chunk)
        if values.size == 0:
            continue
        if values.ndim != 1:
            raise WeightsFileError(f"{source}: attribute {name!r} of {node.name!r} must be a "
                                   f"list of names, found shape {values.shape}")
        names.extend(_text(v, f"attribute {name!r} of {node.name!r}", source) for v in values)
    return names


def read_json_attr(h5_file, name, source):
    """The JSON object stored in a root attribute, or None when absent."""
    if name not in h5_file.attrs:
        return None
    try:
        raw = h5_file.attrs[name]
    except (OSError, RuntimeError, TypeError, ValueError) as exc:
        raise WeightsFileError(f"{source}: cannot read attribute {name!r}: {exc}") from exc
    text = _text(raw.item() if isinstance(raw, np.ndarray) and raw.shape == () else raw,
                 f"attribute {name!r}", source)
    # What parsing will allocate, refused before parsing if over the load limit.
    cost = load_limits.JsonCostEstimate()
    cost.feed(text.encode("utf-8"))
    load_limits.charge(cost.estimate, f"parsing attribute {name!r} ({cost.text_bytes} bytes)",
                       "an upper estimate of what its objects take in memory", source)
    try:
        value = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise ConfigError(f"{source}: attribute {name!r} is not valid JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise ConfigError(f"{source}: attribute {name!r} must hold a JSON object, found "
                          f"{type(value).__name__}")
    return value


# -- reading weights -----------------------------------------------------------------


def _read_weight(layer_group, weight_name, source):
    """One dataset of a layer group, through the safety checks."""
    where = f"{layer_group.name}/{weight_name}"
    parent_path, _, leaf = weight_name.rpartition("/")
    parent = (weights_store._safe_group(layer_group, parent_path, source) if parent_path
              else layer_group)
    if parent is None or not leaf or leaf not in parent:
        raise WeightsFileError(f"{source}: the weight {weight_name!r} listed in "
                               f"{layer_group.name!r} is missing (no dataset {where!r})")
    link = parent.get(leaf, getlink=True)
    if isinstance(link, (h5py.SoftLink, h5py.ExternalLink)):
        raise WeightsFileError(f"Not allowed: {source} has a {type(link).__name__} at "
                               f"{where!r}")
    dataset = parent[leaf]
    if not isinstance(dataset, h5py.Dataset):
        raise WeightsFileError(f"Invalid {source}: expected a dataset at {where!r}")
    return weights_store.read_dataset(dataset, where, source)


def _stored_layer(group, name, source):
    """``[(weight name, value)]`` of the layer group ``name``."""
    layer_group = weights_store._safe_group(group, name, source)
    if layer_group is None:
        raise WeightsFileError(f"{source}: layer {name!r} is listed in 'layer_names' but "
                               f"has no group")
    return [(weight_name, _read_weight(layer_group, weight_name, source))
            for weight_name in read_names(layer_group, "weight_names", source)]


def _stored_layer_names(group, source):
    names = read_names(group, "layer_names", source)
    if not names and TOP_LEVEL_GROUP not in group:
        raise WeightsFileError(f"{source} is not a legacy Keras weights file: it has no "
                               f"'layer_names' attribute (a `.weights.h5` file must be named "
                               f"so, and a `.keras` archive loads with `load_model`).")
    return names


class _Plan:
    """The assignments a load will make, checked before any is made."""

    def __init__(self, source, skip_mismatch):
        self.source = source
        self.skip_mismatch = skip_mismatch
        self.assignments = []  # (variable, value)
        self.problems = []
        self.skipped = []

    def match(self, owner, variables, stored):
        """Pair a layer's variables with its stored values, by position."""
        for variable, (weight_name, value) in zip(variables, stored):
            expected, received = tuple(variable.shape), tuple(value.shape)
            if expected == received:
                self.assignments.append((variable, value))
                continue
            problem = (f"{owner}: variable {_variable_name(variable)!r} has shape {expected} "
                       f"in the model, but the file stores shape {received} "
                       f"(as {weight_name!r})")
            (self.skipped if self.skip_mismatch else self.problems).append(problem)

    def count_mismatch(self, owner, expected, received, skippable):
        problem = (f"{owner}: the model has {expected} weight(s), the file stores "
                   f"{received}")
        (self.skipped if self.skip_mismatch and skippable else self.problems).append(problem)

    def apply(self):
        if self.problems:
            lines = "\n  ".join(self.problems)
            raise WeightsFileError(
                f"Could not load weights from {self.source}; the model is unchanged.\n  "
                f"{lines}\nBuild the model with the shapes it was saved with, or pass "
                f"`skip_mismatch=True` to load the weights that fit and skip the rest.")
        if self.skipped:
            warnings.warn(f"Skipped loading some weights from {self.source}:\n  "
                          + "\n  ".join(self.skipped), stacklevel=5)
        for variable, value in self.assignments:
            variable.assign(value)


def _variable_name(variable):
    return getattr(variable, "path", None) or getattr(variable, "name", "?")


def _own_variables(model):
    """The model's variables that belong to none of its layers."""
    in_layers = {id(v) for layer in model.layers for v in layer.weights}
    return [v for v in legacy_weights(model) if id(v) not in in_layers]


def _plan_top_level(plan, model, group, by_name):
    if TOP_LEVEL_GROUP not in group:
        return
    stored = _stored_layer(group, TOP_LEVEL_GROUP, plan.source)
    variables = _own_variables(model)
    if len(stored) != len(variables):
        plan.count_mismatch(f"the top-level weights of model {model.name!r}", len(variables),
                            len(stored), skippable=by_name)
        return
    plan.match(f"the top-level weights of model {model.name!r}", variables, stored)


def plan_topological(model, group, source, skip_mismatch=False):
    """Layers with weights, paired in order with the stored layers that have some."""
    plan = _Plan(source, skip_mismatch)
    layers = [layer for layer in model.layers if legacy_weights(layer)]
    stored_layers = [(name, values) for name in _stored_layer_names(group, source)
                     for values in [_stored_layer(group, name, source)] if values]
    if len(layers) != len(stored_layers):
        raise WeightsFileError(
            f"Layer count mismatch when loading weights from {source}: the model has "
            f"{len(layers)} layers with weights ({[layer.name for layer in layers]}), the file "
            f"stores {len(stored_layers)} ({[name for name, _ in stored_layers]}). Load by "
            f"layer name with `load_weights(..., by_name=True)` if the architectures differ.")
    for k, (layer, (name, stored)) in enumerate(zip(layers, stored_layers)):
        owner = f"layer #{k} {layer.name!r} ({name!r} in the file)"
        variables = legacy_weights(layer)
        if len(variables) != len(stored):
            plan.count_mismatch(owner, len(variables), len(stored), skippable=False)
            continue
        plan.match(owner, variables, stored)
    _plan_top_level(plan, model, group, by_name=False)
    return plan


def plan_by_name(model, group, source, skip_mismatch=False):
    """Each stored layer into the model's layers of the same name; others are skipped."""
    plan = _Plan(source, skip_mismatch)
    by_name = {}
    for layer in model.layers:
        by_name.setdefault(layer.name, []).append(layer)
    for k, name in enumerate(_stored_layer_names(group, source)):
        targets = by_name.get(name, [])
        if not targets:
            continue
        stored = _stored_layer(group, name, source)
        for layer in targets:
            owner = f"layer {layer.name!r} (#{k} in the file)"
            variables = legacy_weights(layer)
            if len(variables) != len(stored):
                plan.count_mismatch(owner, len(variables), len(stored), skippable=True)
                continue
            plan.match(owner, variables, stored)
    _plan_top_level(plan, model, group, by_name=True)
    return plan


def _weights_group(h5_file, source):
    if "model_weights" in h5_file:
        group = weights_store._safe_group(h5_file, "model_weights", source)
        if group is not None:
            return group
    return h5_file


def load_weights(model, filepath, skip_mismatch=False, by_name=False):
    """Load a legacy ``.h5`` weights (or full-model) file into a built model:
    by layer order, or with ``by_name`` into layers of the same name. Nothing
    changes unless every weight that is to load fits; with ``skip_mismatch``
    the ones that do not are skipped with a warning."""
    source = str(filepath)
    with load_limits.LoadBudget(source), _hdf5_errors_as_load_errors(source):
        with weights_store.open_h5_path(source, source) as h5_file:
            group = _weights_group(h5_file, source)
            planner = plan_by_name if by_name else plan_topological
            planner(model, group, source, skip_mismatch).apply()


# -- loading a model -------------------------------------------------------------------


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """The model a legacy ``.h5`` file holds, with its weights and, when
    ``compile`` and the file has a training config, compiled (with the saved
    optimizer state when it fits the optimizer)."""
    from brickwork.saving import saving_lib
    source = str(filepath)
    with load_limits.LoadBudget(source) as budget, _hdf5_errors_as_load_errors(source):
        with weights_store.open_h5_path(source, source) as h5_file:
            model_config = read_json_attr(h5_file, "model_config", source)
            if model_config is None:
                raise LoadError(f"No model config found in {source}: it holds only weights. "
                                f"Build the model, then call `model.load_weights({source!r})`.")
            try:
                config = legacy_h5_config.convert_model_config(model_config)
            except (ValueError, TypeError) as exc:
                raise ConfigError(f"Cannot rebuild the model of {source} from its legacy "
                                  f"config: {exc}") from exc
            training_config = read_json_attr(h5_file, "training_config", source) \
                if compile else None
            if training_config is not None:
                try:
                    compile_config = legacy_h5_config.compile_config_from_training_config(
                        training_config)
                except (ValueError, TypeError) as exc:
                    raise ConfigError(f"{source}: invalid training config: {exc}") from exc
                if compile_config:
                    config["compile_config"] = compile_config
            elif compile:
                warnings.warn(NO_TRAINING_CONFIG, stacklevel=4)
            budget.back_variables_with(weights_store.stored_datasets(h5_file))
            model = saving_lib.model_from_config_dict(config, custom_objects, compile,
                                                      safe_mode, source)
            plan_topological(model, _weights_group(h5_file, source), source).apply()
            if getattr(model, "optimizer", None) is not None and "optimizer_weights" in h5_file:
                _load_optimizer_weights(model.optimizer, h5_file, source)
    return model


def _load_optimizer_weights(optimizer, h5_file, source):
    """The saved optimizer state, when it matches the optimizer's variables
    one for one; otherwise the optimizer starts fresh (with a warning), as
    in Keras (tf.keras 2 optimizers keep their state in another layout)."""
    group = weights_store._safe_group(h5_file, "optimizer_weights", source)
    if group is None:
        return
    stored = [(name, _read_weight(group, name, source))
              for name in read_names(group, "weight_names", source)]
    variables = list(optimizer.variables)
    fits = len(stored) == len(variables) and all(
        tuple(v.shape) == tuple(value.shape) for v, (_, value) in zip(variables, stored))
    if not fits:
        warnings.warn(f"The optimizer state saved in {source} ({len(stored)} variables) does "
                      f"not fit the {type(optimizer).__name__} optimizer ({len(variables)} "
                      f"variables). The model starts with a freshly initialized optimizer.",
                      stacklevel=5)
        return
    for variable, (_, value) in zip(variables, stored):
        variable.assign(value)


@contextlib.contextmanager
def _hdf5_errors_as_load_errors(source):
    """An HDF5 library error while walking a file, as the loader's own error."""
    try:
        yield
    except LoadError:
        raise
    except (OSError, RuntimeError, KeyError) as exc:
        raise WeightsFileError(f"{source} is a corrupt or unreadable HDF5 file: "
                               f"{type(exc).__name__}: {exc}") from exc
