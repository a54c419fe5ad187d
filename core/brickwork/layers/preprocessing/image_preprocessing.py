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


def _data_format(layer, data_format):
    data_format = backend.image_data_format() if data_format is None else data_format
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(f"{layer}: `data_format` must be 'channels_last' or 'channels_first', "
                         f"got {data_format!r}")
    return data_format


def _spatial_axes(data_format, ndim, layer_name):
    if ndim not in (3, 4):
        raise ValueError(f"{layer_name}: expected images of rank 3 (height, width, channels) or "
                         f"4 (batch, height, width, channels), got rank {ndim}")
    return (-2, -1) if data_format == "channels_first" else (-3, -2)


def _saturate_to(values, dtype):
    """Round and clip float ``values`` to the range of integer ``dtype``, then cast."""
    info = np.iinfo(dtype) if np.dtype(dtype).kind in "iu" else None
    values = ops.round(values)
    if info is not None:
        values = ops.clip(values, float(info.min), float(info.max))
    return ops.cast(values, dtype)


@keras_export("keras.layers.Resizing")
class Resizing(Layer):
    """Resize images to ``(height, width)``.

    Args:
        height: Integer, the output height.
        width: Integer, the output width.
        interpolation: ``"bilinear"`` (default), ``"nearest"``, ``"bicubic"``,
            ``"lanczos3"``, ``"lanczos5"`` or ``"area"``.
        crop_to_aspect_ratio: If True, first crop the largest centred window
            with the target aspect ratio, so the image is not distorted.
        pad_to_aspect_ratio: If True, first pad the image evenly on both
            sides to the target aspect ratio, with ``fill_value``.
        fill_mode: How padding is filled; only ``"constant"``.
        fill_value: The value of the padding.
        antialias: Whether to widen the filter when downsampling (bilinear,
            bicubic and the Lanczos kernels).
        data_format: ``"channels_last"`` or ``"channels_first"``; defaults to
            ``keras.config.image_data_format()``.

    Input shape: ``(batch, height, width, channels)`` or ``(height, width,
    channels)`` (channels first: ``(batch, channels, height, width)``).
    Output shape: the same with the target height and width. Integer images
    come back in their dtype, rounded and saturated.

    Example:

    >>> brickwork.layers.Resizing(2, 2)(np.ones((1, 4, 4, 3))).shape
    (1, 2, 2, 3)
    """

    def __init__(self, height, width, interpolation="bilinear", crop_to_aspect_ratio=False,
                 pad_to_aspect_ratio=False, fill_mode="constant", fill_value=0.0,
                 antialias=False, data_format=None, **kwargs):
        super().__init__(**kwargs)
        from brickwork.ops.image import RESIZE_INTERPOLATIONS
        if interpolation not in RESIZE_INTERPOLATIONS:
            raise ValueError(f"Resizing {self.name!r}: invalid `interpolation` "
                             f"{interpolation!r}; expected one of {RESIZE_INTERPOLATIONS}")
        if crop_to_aspect_ratio and pad_to_aspect_ratio:
            raise ValueError(f"Resizing {self.name!r}: only one of `crop_to_aspect_ratio` and "
                             f"`pad_to_aspect_ratio` can be True")
        self.height = height
        self.width = width
        self.interpolation = interpolation
        self.data_format = _data_format(f"Resizing {self.name!r}", data_format)
        self.crop_to_aspect_ratio = crop_to_aspect_ratio
        self.pad_to_aspect_ratio = pad_to_aspect_ratio
        self.fill_mode = fill_mode
        self.fill_value = fill_value
        self.antialias = bool(antialias)

    def call(self, inputs):
        _spatial_axes(self.data_format, ops.ndim(inputs), f"Resizing {self.name!r}")
        dtype = ops.dtype_of(inputs)
        integer = np.dtype(str(dtype)).kind in "iub"
        images = ops.cast(inputs, "float32") if integer else inputs
        resized = ops.image.resize(
            images, (self.height, self.width), interpolation=self.interpolation,
            antialias=self.antialias, crop_to_aspect_ratio=self.crop_to_aspect_ratio,
            pad_to_aspect_ratio=self.pad_to_aspect_ratio, fill_mode=self.fill_mode,
            fill_value=self.fill_value, data_format=self.data_format)
        return _saturate_to(resized, str(dtype)) if integer else resized

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        rows, cols = _spatial_axes(self.data_format, len(shape), f"Resizing {self.name!r}")
        shape[rows], shape[cols] = self.height, self.width
        return tuple(shape)

    def compute_output_spec(self, inputs, *args, **kwargs):
        from brickwork.symbolic import KerasTensor
        return KerasTensor(self.compute_output_shape(inputs.shape), dtype=inputs.dtype)

    def get_config(self):
        config = super().get_config()
        config.update({"data_format": self.data_format, "height": self.height,
                       "width": self.width, "interpolation": self.interpolation,
                       "crop_to_aspect_ratio": self.crop_to_aspect_ratio,
                       "pad_to_aspect_ratio": self.pad_to_aspect_ratio,
                       "fill_mode": self.fill_mode, "fill_value": self.fill_value,
                       "antialias": self.antialias})
        return config


@keras_export("keras.layers.CenterCrop")
class CenterCrop(Layer):
    """Crop the central ``(height, width)`` window of images.

    An image smaller than the target in either dimension is instead cropped
    to the target aspect ratio and resized (bilinear), as
    ``keras.preprocessing.image.smart_resize`` does. Inputs are cast to the
    layer's compute dtype.

    Args:
        height: Integer, the output height.
        width: Integer, the output width.
        data_format: ``"channels_last"`` or ``"channels_first"``; defaults to
            ``keras.config.image_data_format()``.

    Input shape: ``(batch, height, width, channels)`` or ``(height, width,
    channels)``. Output shape: the same with the target height and width.

    Example:

    >>> brickwork.layers.CenterCrop(2, 2)(np.ones((1, 4, 4, 3))).shape
    (1, 2, 2, 3)
    """

    def __init__(self, height, width, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.height = height
        self.width = width
        self.data_format = _data_format(f"CenterCrop {self.name!r}", data_format)

    def call(self, inputs):
        inputs = ops.cast(inputs, self.compute_dtype)
        shape = tuple(ops.shape(inputs))
        rows, cols = _spatial_axes(self.data_format, len(shape), f"CenterCrop {self.name!r}")
        h_diff, w_diff = shape[rows] - self.height, shape[cols] - self.width
        if h_diff >= 0 and w_diff >= 0:
            start = [0] * len(shape)
            size = list(shape)
            start[rows], start[cols] = h_diff // 2, w_diff // 2
            size[rows], size[cols] = self.height, self.width
            return ops.slice(inputs, start, size)
        return ops.image.resize(inputs, (self.height, self.width), crop_to_aspect_ratio=True,
                                data_format=self.data_format)

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        rows, cols = _spatial_axes(self.data_format, len(shape), f"CenterCrop {self.name!r}")
        shape[rows], shape[cols] = self.height, self.width
        return tuple(shape)

    def get_config(self):
        config = super().get_config()
        config.update({"data_format": self.data_format, "height": self.height,
                       "width": self.width})
        return config
