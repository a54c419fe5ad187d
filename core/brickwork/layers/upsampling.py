"""Upsampling layers: UpSampling1D/2D/3D (nearest, and bilinear in 2D)."""
from __future__ import annotations

from brickwork.api_export import keras_export

from brickwork import ops
from brickwork.layers.input_spec import InputSpec
from brickwork.layers.layer import Layer
from brickwork.layers.padding import spatial_axes
from brickwork.layers.reshaping import check_data_format

INTERPOLATIONS = ("nearest", "bilinear")


def standardize_size(layer, size, rank):
    if isinstance(size, int) and not isinstance(size, bool):
        size = (size,) * rank
    try:
        size = tuple(size)
    except TypeError:
        size = None
    if size is None or len(size) != rank or not all(
            isinstance(s, int) and not isinstance(s, bool) and s > 0 for s in size):
        raise ValueError(f"Layer {layer.name!r}: the `size` argument must be a positive integer "
                         f"or a tuple of {rank} positive integers. Received size={size!r}")
    return size


class _UpSampling(Layer):
    rank = None

    def _factors(self):
        return self.size

    def _axes(self):
        return spatial_axes(self.data_format, self.rank)

    def call(self, inputs):
        return ops.repeat_along_axes(inputs, dict(zip(self._axes(), self._factors())))

    def compute_output_shape(self, input_shape):
        out = list(input_shape)
        for axis, factor in zip(self._axes(), self._factors()):
            if out[axis] is not None:
                out[axis] *= factor
        return tuple(out)


@keras_export("keras.layers.UpSampling1D")
class UpSampling1D(_UpSampling):
    """Repeats each time step ``size`` times: ``(batch, steps, features)`` ->
    ``(batch, steps * size, features)``."""

    rank = 1

    def __init__(self, size=2, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(size, int) or isinstance(size, bool):
            raise TypeError(f"Layer {self.name!r}: expected an integer value for `size`, got "
                            f"{type(size).__name__} ({size!r})")
        if size <= 0:
            raise ValueError(f"Layer {self.name!r}: argument `size` should be a positive integer. "
                             f"Received: size={size}")
        self.size = size
        self.data_format = "channels_last"
        self.input_spec = InputSpec(ndim=3)

    def _factors(self):
        return (self.size,)

    def get_config(self):
        config = super().get_config()
        config["size"] = self.size
        return config


@keras_export("keras.layers.UpSampling2D")
class UpSampling2D(_UpSampling):
    """Scales images up by ``size = (rows, cols)``, repeating pixels
    (``"nearest"``) or interpolating linearly with half-pixel centres
    (``"bilinear"``, as Keras' ``ops.image.resize``)."""

    rank = 2

    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest", **kwargs):
        super().__init__(**kwargs)
        self.data_format = check_data_format(self.name, data_format)
        self.size = standardize_size(self, size, 2)
        if not isinstance(interpolation, str) or interpolation.lower() not in INTERPOLATIONS:
            raise ValueError(f"Layer {self.name!r}: `interpolation` must be one of "
                             f"{INTERPOLATIONS}. Received: interpolation={interpolation!r}")
        self.interpolation = interpolation.lower()
        self.input_spec = InputSpec(ndim=4)

    def call(self, inputs):
        if self.interpolation == "nearest":
            return super().call(inputs)
        shape = ops.shape(inputs)
        sizes = {axis: shape[axis] * f for axis, f in zip(self._axes(), self.size)}
        return ops.resize_linear(inputs, sizes)

    def get_config(self):
        config = super().get_config()
        config.update({"size": self.size, "data_format": self.data_format,
                       "interpolation": self.interpolation})
        return config


@keras_export("keras.layers.UpSampling3D")
class UpSampling3D(_UpSampling):
    """Repeats each voxel ``size = (d1, d2, d3)`` times along the spatial axes."""

    rank = 3

    def __init__(self, size=(2, 2, 2), data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = check_data_format(self.name, data_format)
        self.size = standardize_size(self, size, 3)
        self.input_spec = InputSpec(ndim=5)

    def get_config(self):
        config = super().get_config()
        config.update({"size": self.size, "data_format": self.data_format})
        return config


__all__ = ["UpSampling1D", "UpSampling2D", "UpSampling3D"]
