"""``Model``: a Layer that can be trained, evaluated, summarized and saved.

``Model(inputs, outputs)`` returns a functional model; subclassing ``Model``
and defining ``call`` gives a subclassed model.
"""
from __future__ import annotations

from brickwork.layers.layer import Layer
from brickwork.trainers.trainer import Trainer


class Model(Trainer, Layer):
    def __new__(cls, *args, **kwargs):
        if cls is Model and (len(args) >= 2 or ("inputs" in kwargs and "outputs" in kwargs)
                             or (len(args) == 1 and "outputs" in kwargs)):
            from brickwork.models.functional import Functional
            return Functional.__new__(Functional, *args, **kwargs)
        return super().__new__(cls, *args, **kwargs)

    def __init__(self, *args, **kwargs):
        trainable = kwargs.pop("trainable", True)
        name = kwargs.pop("name", None)
        dtype = kwargs.pop("dtype", None)
        Layer.__init__(self, trainable=trainable, name=name, dtype=dtype, **kwargs)
        Trainer.__init__(self)

    @property
    def layers(self):
        return self._layers

    @property
    def input_shape(self):
        return self._graph_shape("inputs") or Layer.input_shape.fget(self)

    @property
    def output_shape(self):
        return self._graph_shape("outputs") or Layer.output_shape.fget(self)

    def _graph_shape(self, ends):
        """Shapes of a graph model's (built Sequential's) inputs or outputs,
        one shape when there is one, as Keras; None for a model without a graph."""
        tensors = getattr(self, ends, None)
        if not tensors:
            return None
        shapes = [tensor.shape for tensor in tensors]
        return shapes[0] if len(shapes) == 1 else shapes

    def get_layer(self, name=None, index=None):
        """A layer by name or by index in ``layers``."""
        if name is not None and index is not None:
            raise ValueError("Provide either a layer name or a layer index, not both: "
                             f"received name={name!r}, index={index!r}")
        if index is not None:
            if not -len(self.layers) <= index < len(self.layers):
                raise ValueError(f"Model {self.name!r} was asked for layer index {index}, but "
                                 f"it has only {len(self.layers)} layers.")
            return self.layers[index]
        if name is not None:
            for layer in self.layers:
                if layer.name == name:
                    return layer
            raise ValueError(f"No such layer: {name!r}. Existing layers are: "
                             f"{[layer.name for layer in self.layers]}.")
        raise ValueError("Provide either a layer name or a layer index to `get_layer`.")

    def summary(self, line_length=None, positions=None, print_fn=None, expand_nested=False,
                show_trainable=False, layer_range=None):
        """Print the Keras-style table of layers, output shapes and parameters."""
        from brickwork.models.summary import print_summary
        print_summary(self, line_length=line_length, positions=positions, print_fn=print_fn,
                      show_trainable=show_trainable)

    def get_config(self):
        if type(self).get_config is Model.get_config and self._auto_config is None:
            return {"name": self.name, "trainable": self.trainable}
        return Layer.get_config(self)

    @classmethod
    def from_config(cls, config, custom_objects=None):
        if "layers" in config and "input_layers" in config:
            from brickwork.models.functional import Functional
            return Functional.from_config(config, custom_objects=custom_objects)
        return super().from_config(config)

    # -- state as a tree (Keras 3's get_state_tree / set_state_tree) ----------

    def get_state_tree(self, value_format="backend_tensor"):
        """Every variable of the model, its optimizer and its metrics, nested
        by path: ``{"trainable_variables": {"dense": {"kernel": ...}}, ...}``
        under the keys ``trainable_variables``, ``non_trainable_variables``,
        ``optimizer_variables`` and ``metrics_variables``. Leaves are backend
        arrays (``value_format="backend_tensor"``) or NumPy arrays
        (``"numpy_array"``)."""
        if value_format not in ("backend_tensor", "numpy_array"):
            raise ValueError("Invalid `value_format` argument. Expected one of "
                             "{'numpy_array', 'backend_tensor'}. Received: "
                             f"value_format={value_format}")
        optimizer = getattr(self, "optimizer", None)
        groups = {"trainable_variables": self.trainable_variables,
                  "non_trainable_variables": self.non_trainable_variables,
                  "optimizer_variables": optimizer.variables if optimizer is not None else [],
                  "metrics_variables": self.metrics_variables}
        return {key: _nested_by_path(variables, value_format)
                for key, variables in groups.items()}

    def set_state_tree(self, state_tree):
        """Assign the values of a tree from ``get_state_tree`` (or a part of
        it) to the variables at the same paths."""
        optimizer = getattr(self, "optimizer", None)
        groups = {"trainable_variables": self.trainable_variables,
                  "non_trainable_variables": self.non_trainable_variables,
                  "optimizer_variables": optimizer.variables if optimizer is not None else [],
                  "metrics_variables": self.metrics_variables}
        for key, subtree in state_tree.items():
            if key not in groups:
                raise ValueError(f"Unknown variable name: {key}. Expected one of {list(groups)}.")
            by_path = {variable.path: variable for variable in groups[key]}
            for path, value in _flatten_by_path(subtree).items():
                if path not in by_path:
                    raise ValueError(f"set_state_tree: model {self.name!r} has no {key} "
                                     f"variable at path {path!r}.")
                by_path[path].assign(value)

    def reset_states(self):
        """Reset the states of every stateful layer (stateful RNNs), as Keras 2's
        ``Model.reset_states`` did."""
        for layer in self._flatten_layers(include_self=False):
            if getattr(layer, "stateful", False) and hasattr(layer, "reset_states"):
                layer.reset_states()

    def to_backend(self, name):
        """Select backend ``name`` (globally: computation follows the selected
        backend) and move all of this model's state onto it: weights, optimizer
        and metric variables, random streams. Values are unchanged; training
        goes on there. Returns the model. Keras has no counterpart: its backend
        is fixed per process. See ``brickwork.models.backend_move``."""
        from brickwork.models.backend_move import move_to_backend
        return move_to_backend(self, name)

    # -- saving (thin delegations to brickwork.saving) --------------------------

    def save(self, filepath, overwrite=True, zipped=None, **kwargs):
        """Save as a Keras 3 ``.keras`` archive, or to a ``.h5`` path in the
        legacy HDF5 format (written atomically)."""
        from brickwork.saving import saving_api
        saving_api.save_model(self, filepath, overwrite=overwrite, zipped=zipped, **kwargs)

    def save_weights(self, filepath, overwrite=True, max_shard_size=None):
        """Save the variables (optimizer state included) to a ``.weights.h5`` file."""
        from brickwork.saving import saving_api
        saving_api.save_weights(self, filepath, overwrite=overwrite,
                                max_shard_size=max_shard_size)

    def load_weights(self, filepath, skip_mismatch=False, **kwargs):
        """Load variables from a ``.weights.h5``, ``.keras`` or legacy ``.h5``
        file (``by_name=True``: legacy files, into the layers of the same name)."""
        from brickwork.models.backend_move import check_model_backend
        from brickwork.saving import saving_api
        check_model_backend(self)  # values are written into the existing arrays
        saving_api.load_weights(self, filepath, skip_mismatch=skip_mismatch, **kwargs)

    def export(self, filepath, format="tf_saved_model", verbose=None, input_signature=None,
               **kwargs):
        """Export for inference, as Keras 3's ``Model.export``: ``format="onnx"``
        writes an ONNX file (atomically; extra keyword ``opset_version``).
        Other formats (Keras' default 'tf_saved_model', 'litert', 'openvino',
        'torch') need libraries brickwork does not use and are refused. See
        ``brickwork.export``."""
        from brickwork.export import export_model
        return export_model(self, filepath, format=format, verbose=verbose,
                            input_signature=input_signature, **kwargs)

    def to_json(self, **kwargs):
        import json
        from brickwork.saving.serialization import serialize_keras_object
        return json.dumps(serialize_keras_object(self), **kwargs)


def _nested_by_path(variables, value_format):
    nested = {}
    for variable in variables:
        *folders, leaf = variable.path.split("/")
        node = nested
        for folder in folders:
            node = node.setdefault(folder, {})
        if leaf in node:
            raise ValueError(f"The following variable path is found twice in the model: "
                             f"'{variable.path}'. `get_state_tree()` can only be called when "
                             f"all variable paths are unique: give your layers unique names.")
        node[leaf] = variable.numpy() if value_format == "numpy_array" else variable.value
    return nested


def _flatten_by_path(tree, prefix=""):
    flat = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            flat.update(_flatten_by_path(value, f"{prefix}{key}/"))
        else:
            flat[f"{prefix}{key}"] = value
    return flat
