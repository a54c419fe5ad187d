"""The transform protocol every image augmentation layer follows, as Keras 3's.

A call draws one *transformation* for the batch
(:meth:`BaseImagePreprocessingLayer.get_random_transformation`: a dict of
arrays, or None at inference), then applies it to each part of the input:
``transform_images``, ``transform_labels``, ``transform_bounding_boxes`` and
``transform_segmentation_masks``. The input is either images (3-D, one
image, or 4-D, a batch) or a dict ``{"images", "labels",
"bounding_boxes": {"boxes", "labels"}, "segmentation_masks"}``. Because the
pieces are public, a transformation can be drawn once and applied to
several inputs, or built by hand and applied exactly.

Randomness comes from ``self.generator``, a :class:`brickwork.random.SeedGenerator`
made from ``seed``: each draw advances it, so repeated calls differ and a
layer built with the same seed repeats the same sequence.
"""
from __future__ import annotations

import math

from brickwork import ops
from brickwork import random as bk_random
from brickwork.backend import image_data_format
from brickwork.layers.augmentation import boxes as box_utils
from brickwork.layers.layer import Layer


def standardize_data_format(layer_name, data_format):
    data_format = image_data_format() if data_format is None else str(data_format).lower()
    if data_format not in ("channels_first", "channels_last"):
        raise ValueError(f"Layer {layer_name!r}: the `data_format` argument must be one of "
                         f"'channels_first' or 'channels_last'. Received: "
                         f"data_format={data_format!r}")
    return data_format


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def factor_range(layer_name, argument, factor, bounds, single="symmetric", strict=False):
    """``factor`` as ``(lower, upper)``, as Keras reads it.

    A number ``f`` gives ``(-|f|, |f|)`` (``single="symmetric"``; the lower
    end raised to ``bounds[0]`` when ``strict`` is False) or ``(0, f)``
    (``single="zero"``); a pair gives itself, sorted. ``strict`` checks
    every entry against ``bounds`` (translation, zoom, shear); otherwise a
    pair only has to overlap them, as Keras's base class checks.
    """
    low, high = bounds
    message = (f"Layer {layer_name!r}: the `{argument}` argument should be a number (or a list "
               f"of two numbers) in the range [{low}, {high}]. Received: {argument}={factor!r}")
    if isinstance(factor, (tuple, list)):
        if len(factor) != 2 or not all(_is_number(v) for v in factor):
            raise ValueError(message)
        if strict:
            if any(v < low or v > high for v in factor):
                raise ValueError(message)
        elif factor[0] > high or factor[1] < low:
            raise ValueError(message)
        lower, upper = sorted(factor)
        return lower, upper
    if not _is_number(factor) or factor < low or factor > high:
        raise ValueError(message)
    if single == "zero":
        return 0, factor
    factor = abs(factor)
    return (-factor if strict else max(-factor, low)), factor


def check_value_range(layer_name, value_range, sort=True):
    if not isinstance(value_range, (tuple, list)) or len(value_range) != 2:
        raise ValueError(f"Layer {layer_name!r}: the `value_range` argument should be a list of "
                         f"two numbers, e.g. (0, 255) or (0, 1). Received: "
                         f"value_range={value_range!r}")
    return sorted(value_range) if sort else value_range


def check_choice(layer_name, argument, value, choices):
    if value not in choices:
        raise ValueError(f"Layer {layer_name!r}: unknown `{argument}` {value!r}. Expected one of "
                         f"{choices}.")
    return value


class BaseImagePreprocessingLayer(Layer):
    """Base of the image augmentation layers (not exported, as in Keras).

    Subclasses set ``_USE_BASE_FACTOR`` / ``_FACTOR_BOUNDS`` to have
    ``factor`` read here, and implement ``get_random_transformation`` and
    ``_transform_images`` (called only in training) or ``transform_images``.
    """

    _USE_BASE_FACTOR = True
    _FACTOR_BOUNDS = (-1, 1)

    def __init__(self, factor=None, bounding_box_format=None, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.bounding_box_format = bounding_box_format
        if bounding_box_format is not None:
            box_utils.check_format(self.name, bounding_box_format)
        self.data_format = standardize_data_format(self.name, data_format)
        self.interpolation = getattr(self, "interpolation", "bilinear")
        if self._USE_BASE_FACTOR:
            self._set_factor(factor or 0.0)
        elif factor is not None:
            raise ValueError(f"Layer {type(self).__name__} does not take a `factor` argument. "
                             f"Received: factor={factor!r}")
        self.supports_masking = False
        self.built = True

    def _set_factor(self, factor):
        self.factor = factor_range(self.name, "factor", factor, self._FACTOR_BOUNDS)

    # -- shapes and helpers -------------------------------------------------------

    @property
    def _height_axis(self):
        return -2 if self.data_format == "channels_first" else -3

    @property
    def _width_axis(self):
        return -1 if self.data_format == "channels_first" else -2

    @property
    def _channel_axis(self):
        return -3 if self.data_format == "channels_first" else -1

    def _size(self, shape):
        """(height, width) of an image shape."""
        return shape[self._height_axis], shape[self._width_axis]

    @staticmethod
    def _images_of(data):
        return data["images"] if isinstance(data, dict) else data

    def _batch_size(self, data):
        shape = self._image_shape(data)
        return 1 if len(shape) == 3 else shape[0]

    def _image_shape(self, data):
        shape = tuple(ops.shape(self._images_of(data)))
        if len(shape) not in (3, 4):
            raise ValueError(f"Layer {self.name!r} ({type(self).__name__}) expects images of rank "
                             f"3 (one image) or 4 (a batch). Received: images.shape={shape}")
        return shape

    def _uniform(self, shape, minval=0.0, maxval=1.0, seed=None, dtype=None):
        """Uniform draws in ``[minval, maxval)``; an empty range gives ``minval``
        (Keras allows ``minval == maxval``, e.g. a zero factor)."""
        seed = self.generator if seed is None else seed
        dtype = dtype or "float32"
        if not float(maxval) > float(minval):
            bk_random.uniform((1,), seed=seed)  # keep the stream advancing as one draw
            return ops.full(tuple(shape), float(minval), dtype=dtype)
        return bk_random.uniform(tuple(shape), float(minval), float(maxval), dtype=dtype,
                                 seed=seed)

    def _cast(self, images):
        return ops.cast(images, self.compute_dtype)

    def _transform_value_range(self, images, original_range, target_range, dtype="float32"):
        """Map values linearly from ``original_range`` to ``target_range``."""
        if (original_range[0] == target_range[0] and original_range[1] == target_range[1]):
            return images
        images = ops.cast(images, dtype)
        low, high = float(original_range[0]), float(original_range[1])
        images = ops.divide(ops.subtract(images, low), high - low)
        scale = float(target_range[1]) - float(target_range[0])
        return ops.add(ops.multiply(images, scale), float(target_range[0]))

    @staticmethod
    def _tensor(value, dtype=None):
        """A transformation entry (possibly a NumPy array built by hand) as a backend array."""
        return ops.convert_to_tensor(value, dtype=dtype)

    # -- the protocol -------------------------------------------------------------

    def get_random_transformation(self, data, training=True, seed=None):
        return None

    def _transform_images(self, images, transformation):
        raise NotImplementedError(f"{type(self).__name__} must implement _transform_images")

    def transform_images(self, images, transformation, training=True):
        images = self._cast(images)
        if training and transformation is not None:
            images = self._transform_images(images, transformation)
        return images

    def transform_labels(self, labels, transformation, training=True):
        return labels

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        return bounding_boxes

    def transform_segmentation_masks(self, segmentation_masks, transformation, training=True):
        return segmentation_masks

    def _geometric_masks(self, segmentation_masks, transformation, training):
        """Segmentation masks move with the pixels, resampled by nearest neighbour."""
        if not training or transformation is None:
            return segmentation_masks
        saved = self.interpolation
        self.interpolation = "nearest"
        try:
            return self._transform_images(segmentation_masks, transformation)
        finally:
            self.interpolation = saved

    # -- calling ------------------------------------------------------------------

    def _per_image(self, method, value, transformation, training, single):
        if not single:
            return method(value, transformation, training=training)
        return ops.squeeze(method(ops.expand_dims(value, 0), transformation, training=training), 0)

    def call(self, data, training=True):
        training = bool(training)
        transformation = self.get_random_transformation(data, training=training)
        if not isinstance(data, dict):
            images = self._images_of(data)
            single = len(self._image_shape(images)) == 3
            return self._per_image(self.transform_images, ops.convert_to_tensor(images),
                                   transformation, training, single)
        data = dict(data)
        single = len(self._image_shape(data)) == 3
        data["images"] = self._per_image(self.transform_images,
                                         ops.convert_to_tensor(data["images"]), transformation,
                                         training, single)
        if "bounding_boxes" in data:
            if not self.bounding_box_format:
                raise ValueError(
                    f"Layer {self.name!r} ({type(self).__name__}) received an input with a "
                    f"'bounding_boxes' key but no bounding box format: pass "
                    f"`bounding_box_format` to the layer, e.g. `bounding_box_format='xyxy'`.")
            bounding_boxes = box_utils.densify(data["bounding_boxes"], self.name)
            if single:
                bounding_boxes = {key: ops.expand_dims(value, 0)
                                  for key, value in bounding_boxes.items()}
            bounding_boxes = self.transform_bounding_boxes(bounding_boxes, transformation,
                                                           training=training)
            if single:
                bounding_boxes = {key: ops.squeeze(value, 0)
                                  for key, value in bounding_boxes.items()}
            data["bounding_boxes"] = bounding_boxes
        if "labels" in data:
            data["labels"] = self._per_image(self.transform_labels,
                                             ops.convert_to_tensor(data["labels"]),
                                             transformation, training, single)
        if "segmentation_masks" in data:
            masks = ops.convert_to_tensor(data["segmentation_masks"])
            data["segmentation_masks"] = self._per_image(self.transform_segmentation_masks, masks,
                                                         transformation, training, single)
        return data

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config["data_format"] = self.data_format
        if self.bounding_box_format is not None:
            config["bounding_box_format"] = self.bounding_box_format
        return config


def affine_matrix(center_x, center_y, angle, translate_x, translate_y, scale, shear_x, shear_y,
                  height, width):
    """Per-image rows ``[a0, a1, a2, b0, b1, b2, 0, 0]`` for
    :func:`brickwork.ops.image.affine_transform`: scale, shear (degrees) and
    rotation (degrees) about the centre ``(center_x, center_y)`` (fractions of
    the image size), then translation (pixels), output -> input as Keras.

    ``angle`` is a (batch,) array; the others broadcast to it.
    """
    to_radians = math.pi / 180.0
    angle = ops.multiply(angle, to_radians)
    tan_x = ops.tan(ops.multiply(shear_x, to_radians))
    tan_y = ops.tan(ops.multiply(shear_y, to_radians))
    cx = center_x * (float(width) - 1)
    cy = center_y * (float(height) - 1)
    cos, sin = ops.cos(angle), ops.sin(angle)
    a0 = ops.multiply(scale, ops.add(cos, ops.multiply(tan_x, sin)))
    a1 = ops.multiply(scale, ops.add(ops.negative(sin), ops.multiply(tan_x, cos)))
    a2 = ops.subtract(ops.subtract(ops.add(translate_x, cx), ops.multiply(a0, cx)),
                      ops.multiply(a1, cy))
    b0 = ops.multiply(scale, ops.add(ops.multiply(tan_y, cos), sin))
    b1 = ops.multiply(scale, ops.add(ops.multiply(tan_y, ops.negative(sin)), cos))
    b2 = ops.subtract(ops.subtract(ops.add(translate_y, cy), ops.multiply(b0, cx)),
                      ops.multiply(b1, cy))
    zeros = ops.zeros_like(a0)
    return ops.stack([a0, a1, a2, b0, b1, b2, zeros, zeros], axis=1)
