"""Identity: returns its inputs unchanged."""
from __future__ import annotations

from brickwork import tree
from brickwork.api_export import keras_export
from brickwork.layers.layer import Layer
from brickwork.symbolic import KerasTensor


@keras_export("keras.layers.Identity")
class Identity(Layer):
    """Returns its input (a tensor or any nest of tensors) unchanged, and
    passes its mask on. A placeholder where a model wants a layer that does
    nothing (for example an optional block switched off).

    Args:
        **kwargs: the base ``Layer`` arguments (``name``, ``dtype``, ...).

    Input shape:
        Any shape, or any nest of tensors.

    Output shape:
        The input's.

    Examples:
        >>> brickwork.layers.Identity()(np.ones((2, 3))).shape
        (2, 3)
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.built = True

    def call(self, inputs):
        return inputs

    def compute_mask(self, inputs, mask=None):
        return mask

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return super().get_config()  # no arguments of its own

    def compute_output_spec(self, inputs):
        return tree.map_structure(lambda x: KerasTensor(x.shape, dtype=x.dtype), inputs)
