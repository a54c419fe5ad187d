"""Image preprocessing layers: ``Rescaling``, ``Resizing``, ``CenterCrop``."""
from __future__ import annotations

import numpy as np

from brickwork import backend, ops
from brickwork.api_export import keras_export
from brickwork.layers.layer import Layer


@keras_export("keras.layers.Rescaling")
class Rescaling(Layer):
    """Multiply inputs by ``scale`` and add ``offset``.

    To map ``[0, 255]`` to ``[0, 1]`` pass ``scale=1./255``; to map it to
    ``[-1, 1]`` pass ``scale=1./127.5, offset=-1``. The inputs are cast to
    the layer's compute dtype first.

    Args:
        scale: A float, or a list of per-channel floats (the channel axis
            follows ``keras.config.image_data_format()``).
        offset: A float (or a list), added after scaling.

    Input shape: any. Output shape: the input shape.

    Example:

    >>> brickwork.layers.Rescaling(1 / 255)(np.array([[0, 255]]))
    array([[0., 1.]], dtype=float32)
    """

    def __init__(self, scale, offset=0.0, **kwargs):
        super().__init__(**kwargs)
        self.scale = scale
        self.offset = offset
        self.supports_masking = True

    def call(self, inputs):
        dtype = self.compute_dtype
        scale = ops.cast(ops.convert_to_tensor(self.scale), dtype)
        offset = ops.cast(ops.convert_to_tensor(self.offset), dtype)
        if ops.ndim(scale) > 0 and backend.image_data_format() == "channels_first":
            scale = ops.reshape(scale, tuple(ops.shape(scale)) + (1,) * (3 - ops.ndim(scale)))
        return ops.add(ops.multiply(ops.cast(inputs, dtype), scale), offset)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update({"scale": _plain(self.scale), "offset": _plain(self.offset)})
        return config


def _plain(value):
    """A config value as JSON holds it (NumPy scalars and arrays become lists/floats)."""
    if isinstance(value, (np.ndarray, np.generic)):
        return value.tolist()
    return value
