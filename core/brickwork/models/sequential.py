"""``Sequential``: a plain stack of layers, each with one input and one output."""
from __future__ import annotations

from brickwork import dtype_policies
from brickwork.layers.core import InputLayer
from brickwork.layers.layer import Layer
from brickwork.masks import with_keras_mask
from brickwork.models.model import Model
from brickwork.symbolic import KerasTensor


class Sequential(Model):
    def __init__(self, layers=None, trainable=True, name=None):
        super().__init__(trainable=trainable, name=name)
        self._stack = []
        self._input_layer = None
        for layer in layers or []:
            self.add(layer, rebuild=False)
        self._maybe_rebuild()

    def add(self, layer, rebuild=True):
        """Append a layer (or a ``brickwork.Input`` tensor) to the stack."""
        if isinstance(layer, KerasTensor) and layer._keras_history is not None:
            layer = layer._keras_history.layer
        if not isinstance(layer, Layer):
            raise ValueError(f"Only instances of brickwork Layer can be added to a Sequential "
                             f"model. Received: {layer!r} (of type {type(layer).__name__})")
        if isinstance(layer, InputLayer):
            if self._input_layer is not None or self._stack:
                raise ValueError(f"Sequential model {self.name!r}: an InputLayer can only be "
                                 f"added first, and only once.")
            self._input_layer = layer
            return
        if any(existing.name == layer.name for existing in self._stack):
            raise ValueError(f"All layers added to a Sequential model should have unique "
                             f"names. Name {layer.name!r} is already the name of a layer in "
                             f"this model. Update the `name` argument to pass a unique name.")
        if not self._stack and self._input_layer is None and layer._input_shape_arg is not None:
            self._input_layer = InputLayer(batch_shape=layer._input_shape_arg)
        self._stack.append(layer)
        if rebuild:
            self._maybe_rebuild()

    def pop(self, rebuild=True):
        """Remove and return the last layer."""
        if not self._stack:
            raise TypeError("There are no layers in the model.")
        layer = self._stack.pop()
        if rebuild:
            self._maybe_rebuild()
        return layer

    @property
    def layers(self):
        return list(self._stack)

    @property
    def _layers(self):
        return list(self._stack)

    def _maybe_rebuild(self):
        self.built = False
        if self._input_layer is not None and self._stack:
            self.build(self._input_layer.batch_shape)

    def build(self, input_shape=None):
        if input_shape is None:
            raise ValueError(f"Sequential model {self.name!r} cannot be built without an "
                             f"input shape: add an Input first, or call it on data.")
        batch_shape = (None,) + tuple(input_shape[1:])
        if self._input_layer is None or self._input_layer.batch_shape[1:] != batch_shape[1:]:
            dtype = self._input_layer.dtype if self._input_layer is not None else None
            self._input_layer = InputLayer(batch_shape=batch_shape, dtype=dtype)
        x = self._input_layer.output_tensor
        for layer in self._stack:
            x = layer(x)
        self._build_shapes = self._input_layer.batch_shape
        self.inputs = [self._input_layer.output_tensor]
        self.outputs = [x]
        self.built = True

    def call(self, inputs, training=None, mask=None):
        # Masks ride on the tensors (brickwork.masks): each layer call reads
        # its input's mask and attaches its own output's.
        x = inputs if mask is None else with_keras_mask(inputs, mask)
        for layer in self._stack:
            x = layer(x)
        return x

    def compute_output_spec(self, *args, **kwargs):
        first = args[0] if args else next(iter(kwargs.values()))
        x = first
        for layer in self._stack:
            x = layer.compute_output_spec(x)
        return x

    def get_config(self):
        from brickwork.saving.serialization import serialize_keras_object
        layers = []
        if self._input_layer is not None:
            layers.append(serialize_keras_object(self._input_layer))
        layers.extend(serialize_keras_object(layer) for layer in self._stack)
        config = {"name": self.name, "trainable": self.trainable,
                  "dtype": dtype_policies.serialize(self.dtype_policy), "layers": layers}
        if self._build_shapes is not None:
            config["build_input_shape"] = list(self._build_shapes)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from brickwork import layers as layers_module  # noqa: F401  (registers built-ins)
        from brickwork.saving.serialization import deserialize_keras_object
        model = cls(name=config.get("name"), trainable=config.get("trainable", True))
        for layer_config in config.get("layers", []):
            model.add(deserialize_keras_object(layer_config, custom_objects=custom_objects,
                                               kind="layer"), rebuild=False)
        if not model.built and config.get("build_input_shape") and model._input_layer is None:
            model.build(tuple(config["build_input_shape"]))
        else:
            model._maybe_rebuild()
        return model

    def get_build_config(self):
        return None if self._build_shapes is None else {"input_shape": list(self._build_shapes)}
