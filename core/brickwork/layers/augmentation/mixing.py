"""Augmentation that mixes or occludes images: CutMix, MixUp and RandomErasing.

CutMix and MixUp blend each image with another image of the batch (a
random permutation) and blend the labels in the same proportion, so they
act on batches; RandomErasing fills a random rectangle of each image.
"""
from __future__ import annotations

from brickwork import ops
from brickwork import random as bk_random
from brickwork.api_export import keras_export
from brickwork.layers.augmentation.base import (BaseImagePreprocessingLayer, check_value_range,
                                                factor_range)
from brickwork.random import SeedGenerator


class _RectangleLayer(BaseImagePreprocessingLayer):
    """A random rectangle per image, as a boolean mask broadcast over channels."""

    _USE_BASE_FACTOR = False
    _FACTOR_BOUNDS = (0, 1)

    def _bounds(self, batch, length, ratio, seed):
        size = ops.cast(ops.multiply(ratio, float(length)), self.compute_dtype)
        start = ops.multiply(self._uniform((batch,), 0.0, 1.0, seed, dtype=self.compute_dtype),
                             ops.subtract(float(length), size))
        return start, ops.add(start, size)

    def _mask(self, shape, x0, x1, y0, y1):
        height, width = self._size(shape)
        ys, xs = ops.meshgrid(ops.arange(height, dtype=self.compute_dtype),
                              ops.arange(width, dtype=self.compute_dtype), indexing="ij")
        layout = (1, height, width, 1) if self.data_format == "channels_last" \
            else (1, 1, height, width)
        ys, xs = ops.reshape(ys, layout), ops.reshape(xs, layout)
        x0, x1, y0, y1 = (ops.reshape(v, (-1, 1, 1, 1)) for v in (x0, x1, y0, y1))
        inside = ops.logical_and(ops.logical_and(ops.greater_equal(xs, x0), ops.less(xs, x1)),
                                 ops.logical_and(ops.greater_equal(ys, y0), ops.less(ys, y1)))
        channels = shape[self._channel_axis]
        return ops.repeat(inside, channels, axis=self._channel_axis % 4)


@keras_export("keras.layers.CutMix")
class CutMix(_RectangleLayer):
    """CutMix in training: a random rectangle of each image is replaced by
    the same rectangle of another image of the batch, and the labels are
    mixed in proportion to the areas.

    The rectangle's area fraction is ``1 - w`` with ``w`` drawn from
    ``Beta(a, a)``, ``a`` drawn from ``factor``. Single images pass through.

    Args:
        factor: A float, or a pair, in [0, 1]: the range of the Beta
            distribution's parameter (``f`` means ``(0, f)``).
        seed: Integer seed.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        **kwargs: Base layer arguments (``name``, ``dtype``).

    Input shape:
        A batch of images ``(batch, height, width, channels)``
        (``channels_first``: channels before height and width), or the
        dict form ``{"images": ..., "labels": (batch, classes)}``.

    Output shape:
        The input's shape (a dict keeps its keys).

    Examples:
        >>> out = brickwork.layers.CutMix(seed=0)({"images": np.zeros((4, 8, 8, 3)),
        ...                                       "labels": np.eye(4)})
        >>> out["labels"].shape
        (4, 4)
    """

    def __init__(self, factor=1.0, seed=None, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self._set_factor(factor)
        self.seed = seed
        self.generator = SeedGenerator(seed)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        shape = self._image_shape(data)
        if len(shape) == 3:
            return None
        batch = shape[0]
        height, width = self._size(shape)
        seed = self.generator if seed is None else seed
        alpha = ops.add(self._uniform((), self.factor[0], self.factor[1], seed,
                                      dtype=self.compute_dtype), 1e-6)
        weight = bk_random.beta((batch,), float(ops.convert_to_numpy(alpha)),
                                float(ops.convert_to_numpy(alpha)), dtype=self.compute_dtype,
                                seed=seed)
        ratio = ops.sqrt(ops.subtract(1.0, weight))
        x0, x1 = self._bounds(batch, width, ratio, seed)
        y0, y1 = self._bounds(batch, height, ratio, seed)
        masks = self._mask(shape, x0, x1, y0, y1)
        mix_weight = ops.subtract(1.0, ops.divide(ops.multiply(ops.subtract(x1, x0),
                                                               ops.subtract(y1, y0)),
                                                  float(width * height)))
        order = bk_random.shuffle(ops.arange(batch, dtype="int32"), seed=seed)
        return {"permutation_order": order, "batch_masks": masks,
                "mix_weight": ops.reshape(mix_weight, (-1, 1, 1, 1))}

    def _transform_images(self, images, transformation):
        order = self._tensor(transformation["permutation_order"])
        return ops.where(self._tensor(transformation["batch_masks"]),
                         ops.take(images, order, axis=0), images)

    def transform_labels(self, labels, transformation, training=True):
        if not training or transformation is None:
            return labels
        order = self._tensor(transformation["permutation_order"])
        weight = ops.reshape(self._tensor(transformation["mix_weight"]), (-1, 1))
        other = ops.take(labels, order, axis=0)
        return ops.add(ops.multiply(weight, labels), ops.multiply(ops.subtract(1.0, weight), other))

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        raise ValueError(f"Layer {self.name!r} (CutMix) does not transform bounding boxes (Keras "
                         f"does not either): remove the 'bounding_boxes' key, or use a layer "
                         f"that moves boxes.")

    def transform_segmentation_masks(self, segmentation_masks, transformation, training=True):
        return self.transform_images(segmentation_masks, transformation, training)

    def get_config(self):
        config = super().get_config()
        config.update({"factor": self.factor, "seed": self.seed})
        return config


@keras_export("keras.layers.MixUp")
class MixUp(BaseImagePreprocessingLayer):
    """MixUp in training: each image becomes ``w * x + (1 - w) * x'`` with
    ``x'`` another image of the batch and ``w`` drawn from ``Beta(alpha, alpha)``;
    labels are mixed with the same weights.

    Args:
        alpha: The Beta distribution's parameter (0.2).
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        seed: Integer seed.
        **kwargs: Base layer arguments (``name``, ``dtype``, ``bounding_box_format``).

    Input shape:
        A batch of images ``(batch, height, width, channels)``
        (``channels_first``: channels before height and width), or the
        dict form ``{"images": ..., "labels": (batch, classes)}``.

    Output shape:
        The input's shape (a dict keeps its keys).

    Examples:
        >>> out = brickwork.layers.MixUp(seed=0)({"images": np.zeros((4, 8, 8, 3)),
        ...                                      "labels": np.eye(4)})
        >>> out["images"].shape
        (4, 8, 8, 3)
    """

    _USE_BASE_FACTOR = False

    def __init__(self, alpha=0.2, data_format=None, seed=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or alpha <= 0:
            raise ValueError(f"Layer {self.name!r}: `alpha` must be a positive number. "
                             f"Received: alpha={alpha!r}")
        self.alpha = alpha
        self.seed = seed
        self.generator = SeedGenerator(seed)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        batch = self._batch_size(data)
        seed = self.generator if seed is None else seed
        order = bk_random.shuffle(ops.arange(batch, dtype="int64"), seed=seed)
        weight = bk_random.beta((batch,), float(self.alpha), float(self.alpha), seed=seed)
        return {"mix_weight": weight, "permutation_order": order}

    def _transform_images(self, images, transformation):
        weight = ops.reshape(ops.cast(self._tensor(transformation["mix_weight"]),
                                      self.compute_dtype), (-1, 1, 1, 1))
        other = ops.take(images, self._tensor(transformation["permutation_order"]), axis=0)
        return ops.add(ops.multiply(weight, images), ops.multiply(ops.subtract(1.0, weight), other))

    def transform_labels(self, labels, transformation, training=True):
        if not training or transformation is None:
            return labels
        weight = ops.reshape(self._tensor(transformation["mix_weight"]), (-1, 1))
        other = ops.take(labels, self._tensor(transformation["permutation_order"]), axis=0)
        return ops.add(ops.multiply(weight, labels), ops.multiply(ops.subtract(1.0, weight), other))

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        """Each image keeps its boxes and gains its partner's (box count doubles)."""
        if not training or transformation is None:
            return bounding_boxes
        order = self._tensor(transformation["permutation_order"])
        boxes, labels = bounding_boxes["boxes"], bounding_boxes["labels"]
        return {"boxes": ops.concatenate([boxes, ops.take(boxes, order, axis=0)], axis=1),
                "labels": ops.concatenate([labels, ops.take(labels, order, axis=0)], axis=1)}

    def transform_segmentation_masks(self, segmentation_masks, transformation, training=True):
        if not training or transformation is None:
            return segmentation_masks
        return self._transform_images(self._cast(segmentation_masks), transformation)

    def get_config(self):
        config = super().get_config()
        config.update({"alpha": self.alpha, "seed": self.seed})
        return config


@keras_export("keras.layers.RandomErasing")
class RandomErasing(_RectangleLayer):
    """Erases a random rectangle of each image, with a random probability, in training.

    The rectangle's side fractions are square roots of draws from
    ``scale``; it is filled with ``fill_value`` or, when None, Gaussian
    noise scaled by ``value_range[1]`` (clipped to ``value_range``).

    Args:
        factor: A float, or a pair, in [0, 1]: the probability of erasing
            (``f`` means a probability drawn from ``(0, f)``).
        scale: A float, or a pair, in [0, 1]: the area fractions drawn.
        fill_value: A number, three numbers (one per channel), or None (noise).
        value_range: The range of the pixel values, ``(0, 255)`` by default.
        seed: Integer seed.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        **kwargs: Base layer arguments (``name``, ``dtype``).

    Input shape:
        3D ``(height, width, channels)`` or 4D ``(batch, height, width,
        channels)`` images (``channels_first``: channels before height
        and width), or the dict form ``{"images": ..., "labels": ...,
        "bounding_boxes": ..., "segmentation_masks": ...}``.

    Output shape:
        The input's shape (a dict keeps its keys).

    Examples:
        >>> brickwork.layers.RandomErasing(seed=0)(np.zeros((2, 8, 8, 3))).shape
        (2, 8, 8, 3)
    """

    def __init__(self, factor=1.0, scale=(0.02, 0.33), fill_value=None, value_range=(0, 255),
                 seed=None, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self._set_factor(factor)
        self.scale = factor_range(self.name, "scale", scale, self._FACTOR_BOUNDS)
        if fill_value is not None and not (
                isinstance(fill_value, (int, float)) and not isinstance(fill_value, bool)
                or isinstance(fill_value, (tuple, list)) and len(fill_value) == 3):
            raise ValueError(f"Layer {self.name!r}: the `fill_value` argument should be a "
                             f"number, a list of three numbers, or None. Received: "
                             f"fill_value={fill_value!r}")
        self.fill_value = fill_value
        self.value_range = check_value_range(self.name, value_range, sort=False)
        self.seed = seed
        self.generator = SeedGenerator(seed)

    def _fill(self, shape, seed):
        if self.fill_value is None:
            fill = ops.multiply(bk_random.normal(shape, dtype=self.compute_dtype, seed=seed),
                                float(self.value_range[1]))
        elif isinstance(self.fill_value, (tuple, list)):
            values = ops.convert_to_tensor(self.fill_value, dtype=self.compute_dtype)
            if self.data_format == "channels_first":
                values = ops.reshape(values, (3, 1, 1))
            fill = ops.broadcast_to(values, shape)
        else:
            fill = ops.full(shape, float(self.fill_value), dtype=self.compute_dtype)
        return ops.clip(fill, self.value_range[0], self.value_range[1])

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        shape = self._image_shape(data)
        batch = 1 if len(shape) == 3 else shape[0]
        seed = self.generator if seed is None else seed
        fractions = ops.sqrt(self._uniform((batch, 2), self.scale[0], self.scale[1], seed,
                                           dtype=self.compute_dtype))
        height, width = self._size(shape)
        x0, x1 = self._bounds(batch, width, fractions[:, 0], seed)
        y0, y1 = self._bounds(batch, height, fractions[:, 1], seed)
        full_shape = shape if len(shape) == 4 else (1,) + tuple(shape)
        masks = self._mask(full_shape, x0, x1, y0, y1)
        probability = self._uniform((batch,), self.factor[0], self.factor[1], seed)
        apply = ops.less(self._uniform((batch,), 0.0, 1.0, seed), probability)
        return {"apply_erasing": apply, "batch_masks": masks,
                "fill_value": self._fill(full_shape, seed)}

    def _transform_images(self, images, transformation):
        fill = self._tensor(transformation["fill_value"], self.compute_dtype)
        erased = ops.where(self._tensor(transformation["batch_masks"]), fill, images)
        apply = ops.reshape(self._tensor(transformation["apply_erasing"]), (-1, 1, 1, 1))
        return ops.where(apply, erased, images)

    def get_config(self):
        config = super().get_config()
        config.update({"factor": self.factor, "scale": self.scale, "fill_value": self.fill_value,
                       "value_range": self.value_range, "seed": self.seed})
        return config
