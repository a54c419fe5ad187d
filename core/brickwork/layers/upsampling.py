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
    """Upsamples a sequence by repeating each step ``size`` times.

    Args:
        size: positive int, the repetition factor. Default 2.

    Input shape:
        ``(batch, steps, features)``.

    Output shape:
        ``(batch, steps * size, features)``.

    Examples:
        >>> x = np.arange(4.0).reshape((1, 2, 2))
        >>> layers.UpSampling1D(size=2)(x)
        array([[[0., 1.],
                [0., 1.],
                [2., 3.],
                [2., 3.]]], dtype=float32)
    """

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
    """Upsamples images by whole factors along rows and columns.

    ``"nearest"`` repeats each pixel; ``"bilinear"`` interpolates linearly
    between pixel centres (half-pixel sampling, as ``ops.image.resize``).

    Args:
        size: int or pair of ints ``(rows, cols)``, the upsampling factors.
            Default ``(2, 2)``.
        data_format: ``"channels_last"`` or ``"channels_first"``, which axis
            holds the channels; None (the default) uses
            ``keras.config.image_data_format()``.
        interpolation: ``"nearest"`` (the default) or ``"bilinear"``.

    Input shape:
        ``(batch, rows, cols, channels)`` with ``channels_last``, or
        ``(batch, channels, rows, cols)`` with ``channels_first``.

    Output shape:
        ``(batch, rows * size[0], cols * size[1], channels)``, or the
        ``channels_first`` equivalent.

    Examples:
        >>> layers.UpSampling2D(size=(2, 3))(np.ones((2, 4, 4, 3))).shape
        (2, 8, 12, 3)
        >>> layers.UpSampling2D(interpolation="bilinear")(np.ones((1, 2, 2, 1))).shape
        (1, 4, 4, 1)
    """

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
    """Upsamples volumes by repeating each voxel along the three spatial axes.

    Args:
        size: int or tuple of 3 ints, the upsampling factor of each spatial
            axis. Default ``(2, 2, 2)``.
        data_format: ``"channels_last"`` or ``"channels_first"``, which axis
            holds the channels; None (the default) uses
            ``keras.config.image_data_format()``.

    Input shape:
        ``(batch, dim1, dim2, dim3, channels)`` with ``channels_last``, or
        ``(batch, channels, dim1, dim2, dim3)`` with ``channels_first``.

    Output shape:
        Each spatial axis multiplied by its factor.

    Examples:
        >>> layers.UpSampling3D(size=2)(np.ones((1, 2, 3, 4, 2))).shape
        (1, 4, 6, 8, 2)
    """

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
