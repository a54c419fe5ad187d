"""Wrapper: the base of layers that wrap another layer."""
from __future__ import annotations

from brickwork.api_export import keras_export
from brickwork.layers.layer import Layer
from brickwork.saving.serialization import deserialize_keras_object, serialize_keras_object


@keras_export("keras.layers.Wrapper")
class Wrapper(Layer):
    """Base class for layers that wrap another layer (``TimeDistributed``,
    ``SpectralNormalization``, ...). The wrapped layer is ``self.layer``; its
    weights are saved under ``<wrapper>/layer``, as Keras saves them.

    Args:
        layer: the ``Layer`` instance to wrap.

    Subclasses implement ``call``; ``build`` builds the wrapped layer on the
    wrapper's input shape unless it is already built.

    Input shape:
        What the subclass's ``call`` accepts (by default, the wrapped
        layer's input).

    Output shape:
        What the subclass's ``call`` returns.

    Examples:
        >>> class Doubled(brickwork.layers.Wrapper):
        ...     def call(self, x):
        ...         return 2 * self.layer(x)
        >>> Doubled(brickwork.layers.Dense(3))(np.ones((2, 4))).shape
        (2, 3)
    """

    def __init__(self, layer, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError(f"Layer {layer!r} supplied to {type(self).__name__} isn't a "
                             f"supported layer type: pass a brickwork.layers.Layer instance to "
                             f"wrap.")
        super().__init__(**kwargs)
        self.layer = layer

    def build(self, input_shape=None):
        if not self.layer.built:
            self.layer.build(input_shape)
            # Recorded as a call would (the wrapped layer's build_config, as Keras saves it).
            self.layer._build_shapes = None if input_shape is None else tuple(input_shape)
            self.layer.built = True
        self.built = True

    def get_config(self):
        return {**super().get_config(), "layer": serialize_keras_object(self.layer)}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        layer = deserialize_keras_object(config.pop("layer"), custom_objects=custom_objects)
        return cls(layer, **config)
