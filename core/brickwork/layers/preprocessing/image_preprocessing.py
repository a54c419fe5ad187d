"""Image preprocessing layers: ``Rescaling``, ``Resizing``, ``CenterCrop``."""
from __future__ import annotations

import numpy as np

from brickwork import backend, ops
from brickwork.api_export import keras_export
from brickwork.layers.augmentation import boxes as box_utils
from brickwork.layers.augmentation.base import BaseImagePreprocessingLayer
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

    Examples:
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


def _clip_boxes_to_window(bounding_boxes, top, left, bottom, right):
    """xyxy boxes clipped to a window and moved to its origin."""
    x1, y1, x2, y2 = box_utils.split(bounding_boxes["boxes"])
    result = dict(bounding_boxes)
    def clip_x(x):
        return ops.subtract(ops.clip(x, left, right), left)

    def clip_y(y):
        return ops.subtract(ops.clip(y, top, bottom), top)
    result["boxes"] = box_utils.join([clip_x(x1), clip_y(y1), clip_x(x2), clip_y(y2)])
    return result


@keras_export("keras.layers.Resizing")
class Resizing(BaseImagePreprocessingLayer):
    """Resize images to ``(height, width)``.

    Also takes a dict with ``"images"`` and optionally ``"bounding_boxes"``
    (moved with the pixels; pass ``bounding_box_format``),
    ``"segmentation_masks"`` (resized by nearest neighbour) and ``"labels"``.

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

    Examples:
        >>> brickwork.layers.Resizing(2, 2)(np.ones((1, 4, 4, 3))).shape
        (1, 2, 2, 3)
    """

    _USE_BASE_FACTOR = False

    def __init__(self, height, width, interpolation="bilinear", crop_to_aspect_ratio=False,
                 pad_to_aspect_ratio=False, fill_mode="constant", fill_value=0.0,
                 antialias=False, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
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
        self.crop_to_aspect_ratio = crop_to_aspect_ratio
        self.pad_to_aspect_ratio = pad_to_aspect_ratio
        self.fill_mode = fill_mode
        self.fill_value = fill_value
        self.antialias = bool(antialias)

    def get_random_transformation(self, data, training=True, seed=None):
        return self._size(self._image_shape(data))

    def _resize(self, images, interpolation):
        _spatial_axes(self.data_format, ops.ndim(images), f"Resizing {self.name!r}")
        dtype = ops.dtype_of(images)
        integer = np.dtype(str(dtype)).kind in "iub"
        source = ops.cast(images, "float32") if integer else images
        resized = ops.image.resize(
            source, (self.height, self.width), interpolation=interpolation,
            antialias=self.antialias, crop_to_aspect_ratio=self.crop_to_aspect_ratio,
            pad_to_aspect_ratio=self.pad_to_aspect_ratio, fill_mode=self.fill_mode,
            fill_value=self.fill_value, data_format=self.data_format)
        return _saturate_to(resized, str(dtype)) if integer else resized

    def transform_images(self, images, transformation=None, training=True):
        return self._resize(images, self.interpolation)

    def transform_segmentation_masks(self, segmentation_masks, transformation=None,
                                     training=True):
        return self._resize(segmentation_masks, "nearest")

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        input_height, input_width = transformation
        boxes = bounding_boxes["boxes"]
        empty = ops.logical_or(ops.all(ops.equal(boxes, -1), axis=-1),
                               ops.all(ops.equal(boxes, 0), axis=-1))
        bounding_boxes = box_utils.convert_format(bounding_boxes, self.bounding_box_format,
                                                  "xyxy", input_height, input_width)
        bounding_boxes["boxes"] = self._transform_xyxy(bounding_boxes["boxes"],
                                                       float(input_height), float(input_width))
        bounding_boxes = box_utils.clip_to_image_size(bounding_boxes, self.height, self.width)
        bounding_boxes["boxes"] = ops.where(ops.expand_dims(empty, -1),
                                            ops.zeros((4,), "float32"), bounding_boxes["boxes"])
        return box_utils.convert_format(bounding_boxes, "xyxy", self.bounding_box_format,
                                        self.height, self.width)

    def _transform_xyxy(self, boxes, input_height, input_width):
        x1, y1, x2, y2 = box_utils.split(boxes)
        if self.pad_to_aspect_ratio:
            ratio = min(self.height / input_height, self.width / input_width)
            scale_x = scale_y = ratio
            shift_x = -((self.width - input_width * ratio) // 2)
            shift_y = -((self.height - input_height * ratio) // 2)
        elif self.crop_to_aspect_ratio:
            source_ratio = input_width / input_height
            if source_ratio > self.width / self.height:
                new_width, new_height = self.height * source_ratio, self.height
            else:
                new_width, new_height = self.width, self.width / source_ratio
            scale_x, scale_y = new_width / input_width, new_height / input_height
            shift_x, shift_y = (new_width - self.width) // 2, (new_height - self.height) // 2
        else:
            scale_x, scale_y = self.width / input_width, self.height / input_height
            shift_x = shift_y = 0.0
        return box_utils.join([ops.subtract(ops.multiply(x1, scale_x), shift_x),
                               ops.subtract(ops.multiply(y1, scale_y), shift_y),
                               ops.subtract(ops.multiply(x2, scale_x), shift_x),
                               ops.subtract(ops.multiply(y2, scale_y), shift_y)])

    def compute_output_shape(self, input_shape):
        if isinstance(input_shape, dict):
            return {key: (self.compute_output_shape(shape) if key in ("images",
                                                                      "segmentation_masks")
                          else shape) for key, shape in input_shape.items()}
        shape = list(input_shape)
        rows, cols = _spatial_axes(self.data_format, len(shape), f"Resizing {self.name!r}")
        shape[rows], shape[cols] = self.height, self.width
        return tuple(shape)

    def compute_output_spec(self, inputs, *args, **kwargs):
        from brickwork.symbolic import KerasTensor
        return KerasTensor(self.compute_output_shape(inputs.shape), dtype=inputs.dtype)

    def get_config(self):
        config = super().get_config()
        config.update({"height": self.height, "width": self.width,
                       "interpolation": self.interpolation,
                       "crop_to_aspect_ratio": self.crop_to_aspect_ratio,
                       "pad_to_aspect_ratio": self.pad_to_aspect_ratio,
                       "fill_mode": self.fill_mode, "fill_value": self.fill_value,
                       "antialias": self.antialias})
        return config


@keras_export("keras.layers.CenterCrop")
class CenterCrop(BaseImagePreprocessingLayer):
    """Crop the central ``(height, width)`` window of images.

    An image smaller than the target in either dimension is instead cropped
    to the target aspect ratio and resized (bilinear), as
    ``keras.preprocessing.image.smart_resize`` does. Inputs are cast to the
    layer's compute dtype. Also takes a dict with ``"images"``,
    ``"bounding_boxes"`` (pass ``bounding_box_format``),
    ``"segmentation_masks"`` and ``"labels"``.

    Args:
        height: Integer, the output height.
        width: Integer, the output width.
        data_format: ``"channels_last"`` or ``"channels_first"``; defaults to
            ``keras.config.image_data_format()``.

    Input shape: ``(batch, height, width, channels)`` or ``(height, width,
    channels)``. Output shape: the same with the target height and width.

    Examples:
        >>> brickwork.layers.CenterCrop(2, 2)(np.ones((1, 4, 4, 3))).shape
        (1, 2, 2, 3)
    """

    _USE_BASE_FACTOR = False

    def __init__(self, height, width, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.height = height
        self.width = width

    def get_random_transformation(self, data, training=True, seed=None):
        return {"input_shape": self._image_shape(data)}

    def transform_images(self, images, transformation=None, training=True):
        images = ops.cast(images, self.compute_dtype)
        shape = tuple(ops.shape(images))
        rows, cols = _spatial_axes(self.data_format, len(shape), f"CenterCrop {self.name!r}")
        h_diff, w_diff = shape[rows] - self.height, shape[cols] - self.width
        if h_diff >= 0 and w_diff >= 0:
            start = [0] * len(shape)
            size = list(shape)
            start[rows], start[cols] = h_diff // 2, w_diff // 2
            size[rows], size[cols] = self.height, self.width
            return ops.slice(images, start, size)
        return ops.image.resize(images, (self.height, self.width), crop_to_aspect_ratio=True,
                                data_format=self.data_format)

    def transform_segmentation_masks(self, segmentation_masks, transformation=None,
                                     training=True):
        return self.transform_images(segmentation_masks, transformation, training)

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        height, width = self._size(transformation["input_shape"])
        bounding_boxes = box_utils.convert_format(bounding_boxes, self.bounding_box_format,
                                                  "xyxy", height, width)
        h_diff, w_diff = height - self.height, width - self.width
        if h_diff >= 0 and w_diff >= 0:
            top, left = int(h_diff / 2), int(w_diff / 2)
            bounding_boxes = _clip_boxes_to_window(bounding_boxes, top, left, top + self.height,
                                                   left + self.width)
        else:  # resized as ops.image.resize(crop_to_aspect_ratio=True) resizes the image
            crop_h = max(min(height, int(float(width * self.height) / self.width)), 1)
            crop_w = max(min(width, int(float(height * self.width) / self.height)), 1)
            top, left = int(float(height - crop_h) / 2), int(float(width - crop_w) / 2)
            bounding_boxes = _clip_boxes_to_window(bounding_boxes, top, left, top + crop_h,
                                                   left + crop_w)
            bounding_boxes = box_utils.convert_format(bounding_boxes, "xyxy", "rel_xyxy",
                                                      crop_h, crop_w)
            bounding_boxes = box_utils.convert_format(bounding_boxes, "rel_xyxy", "xyxy",
                                                      self.height, self.width)
        bounding_boxes = box_utils.clip_to_image_size(bounding_boxes, self.height, self.width)
        return box_utils.convert_format(bounding_boxes, "xyxy", self.bounding_box_format,
                                        self.height, self.width)

    def compute_output_shape(self, input_shape):
        if isinstance(input_shape, dict):
            return {key: (self.compute_output_shape(shape) if key in ("images",
                                                                      "segmentation_masks")
                          else shape) for key, shape in input_shape.items()}
        shape = list(input_shape)
        rows, cols = _spatial_axes(self.data_format, len(shape), f"CenterCrop {self.name!r}")
        shape[rows], shape[cols] = self.height, self.width
        return tuple(shape)

    def get_config(self):
        config = super().get_config()
        config.update({"height": self.height, "width": self.width})
        return config
