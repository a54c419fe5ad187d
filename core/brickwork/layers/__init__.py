"""``brickwork.layers``: every layer, under its Keras name."""
from brickwork.layers.core import Activation, Dense, Input, InputLayer
from brickwork.layers.input_spec import InputSpec
from brickwork.layers.layer import Layer
from brickwork.layers.regularization import Dropout
from brickwork.layers.reshaping import Flatten, Reshape
from brickwork.saving.serialization import register_builtin
from brickwork.plugin_manager import plugin_layer as __getattr__  # noqa: E402,F401  (plugin layers)

register_builtin("keras.layers", InputLayer, Dense, Activation, Dropout, Flatten, Reshape)

__all__ = ["Layer", "InputSpec", "Input", "InputLayer", "Dense", "Activation", "Dropout",
           "Flatten", "Reshape"]
