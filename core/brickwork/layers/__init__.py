"""``brickwork.layers``: every layer, under its Keras name.

Each layer class registers itself where it is defined, with
``@keras_export("keras.layers.Name")`` (``brickwork.api_export``). Importing
a layer family's module below is all it takes for its classes to appear
here, under every name Keras exports them by, and to load from files.
"""
from brickwork.api_export import BUILTIN_MODULES as _BUILTIN_MODULES
from brickwork.layers import (activation_layers, attention, convolutional, core,  # noqa: F401
                              einsum_dense, embedding, lambda_layer, masking, merging, noise,
                              normalization, padding, pooling, regularization, reshaping, rnn,
                              upsampling)
from brickwork.layers import adaptive_pooling, identity, spectrogram, wrapper  # noqa: F401
from brickwork.layers import operation_layer as _operation_layer  # noqa: F401  (ops on KerasTensors)
from brickwork.layers import preprocessing  # noqa: F401  (Normalization, lookups, ...)
from brickwork.layers import augmentation  # noqa: F401  (Random*, AugMix, CutMix, ...)
from brickwork.layers.core import Input
from brickwork.layers.input_spec import InputSpec
from brickwork.layers.layer import Layer
from brickwork.layers.layer_serialization import deserialize, serialize
from brickwork.layers.merging import (add, average, concatenate, dot, maximum, minimum, multiply,
                                      subtract)
from brickwork.layers.plugin_layers import plugin_layer as __getattr__  # noqa: F401  (plugin layers)

_EXPORTED_LAYERS = dict(_BUILTIN_MODULES["keras.layers"])
globals().update(_EXPORTED_LAYERS)

__all__ = ["Layer", "InputSpec", "Input", "add", "average", "concatenate", "dot", "maximum",
           "minimum", "multiply", "subtract", "serialize", "deserialize", *_EXPORTED_LAYERS]
