"""Colour augmentation: RandomBrightness, RandomContrast, RandomSaturation,
RandomHue, RandomColorDegeneration, RandomColorJitter, RandomGrayscale,
RandomInvert, RandomPosterization, RandomSharpness, RandomGaussianBlur and
Solarization, and the deterministic AutoContrast, Equalization and
ContrastLimitedAdaptiveHistogramEqualization.

Pixel values live in ``value_range`` (``(0, 255)`` by default); bounding
boxes and segmentation masks pass through unchanged.
"""
from __future__ import annotations

from brickwork import ops
from brickwork import random as bk_random
from brickwork.api_export import keras_export
from brickwork.backend import epsilon
from brickwork.layers.augmentation.base import (BaseImagePreprocessingLayer, check_value_range,
                                                factor_range)
from brickwork.ops import image_augment
from brickwork.random import SeedGenerator


def _per_image(values, rank=4):
    """(N,) draws shaped to broadcast against (N, H, W, C) images."""
    return ops.reshape(values, (-1,) + (1,) * (rank - 1))


class _ColorLayer(BaseImagePreprocessingLayer):
    """Seed and value range, shared."""

    def _init_color(self, value_range, seed, sort=True):
        self.value_range = check_value_range(self.name, value_range, sort=sort)
        self.seed = seed
        self.generator = SeedGenerator(seed)

    def _color_config(self, config, *names):
        config.update({name: getattr(self, name) for name in names})
        return config

    def _channels_last(self, images):
        if self.data_format == "channels_first":
            return ops.transpose(images, (0, 2, 3, 1))
        return images

    def _restore(self, images):
        if self.data_format == "channels_first":
            return ops.transpose(images, (0, 3, 1, 2))
        return images


@keras_export("keras.layers.RandomBrightness")
class RandomBrightness(_ColorLayer):
    """Randomly shifts the brightness of each image in training.

    A shift drawn from ``factor * (value_range[1] - value_range[0])`` is added
    to every pixel of an image; the result is clipped to ``value_range``.

    Args:
        factor: A float, or a pair ``(lower, upper)``, in [-1, 1]; a float
            ``f`` means ``(-f, f)``.
        value_range: The range of the pixel values, ``(0, 255)`` by default.
        seed: Integer seed.
        **kwargs: Base layer arguments (``name``, ``dtype``, ``data_format``).

    Input shape:
        3D ``(height, width, channels)`` or 4D ``(batch, height, width,
        channels)`` images (``channels_first``: channels before height
        and width), or the dict form ``{"images": ..., "labels": ...,
        "bounding_boxes": ..., "segmentation_masks": ...}``.

    Output shape:
        The input's shape (a dict keeps its keys).

    Examples:
        >>> brickwork.layers.RandomBrightness(0.2, seed=0)(np.zeros((2, 8, 8, 3))).shape
        (2, 8, 8, 3)
    """

    def __init__(self, factor, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(factor=factor, **kwargs)
        self._init_color(value_range, seed)

    def get_random_transformation(self, data, training=True, seed=None):
        shape = self._image_shape(data)
        delta_shape = (1, 1, 1) if len(shape) == 3 else (shape[0], 1, 1, 1)
        if not training:
            return {"rgb_delta": ops.zeros(delta_shape)}
        delta = self._uniform(delta_shape, self.factor[0], self.factor[1], seed)
        return {"rgb_delta": ops.multiply(delta, float(self.value_range[1] - self.value_range[0]))}

    def _transform_images(self, images, transformation):
        delta = ops.cast(self._tensor(transformation["rgb_delta"]), ops.dtype_of(images))
        return ops.clip(ops.add(images, delta), self.value_range[0], self.value_range[1])

    def get_config(self):
        return self._color_config(super().get_config(), "factor", "value_range", "seed")


@keras_export("keras.layers.RandomContrast")
class RandomContrast(_ColorLayer):
    """Randomly scales each image's contrast about its per-channel mean in training.

    Each image's pixels become ``(x - mean) * c + mean`` with ``c`` drawn
    from ``[1 - lower, 1 + upper]``; the result is clipped to ``value_range``.

    Args:
        factor: A float, or a pair ``(lower, upper)``, in [0, 1]; a float
            ``f`` means ``(0, f)``, i.e. ``c`` in ``[1, 1 + f]`` (as Keras 3.15 reads it).
        value_range: The range of the pixel values, ``(0, 255)`` by default.
        seed: Integer seed.
        **kwargs: Base layer arguments (``name``, ``dtype``, ``data_format``).

    Input shape:
        3D ``(height, width, channels)`` or 4D ``(batch, height, width,
        channels)`` images (``channels_first``: channels before height
        and width), or the dict form ``{"images": ..., "labels": ...,
        "bounding_boxes": ..., "segmentation_masks": ...}``.

    Output shape:
        The input's shape (a dict keeps its keys).

    Examples:
        >>> brickwork.layers.RandomContrast(0.2, seed=0)(np.zeros((2, 8, 8, 3))).shape
        (2, 8, 8, 3)
    """

    _FACTOR_BOUNDS = (0, 1)

    def __init__(self, factor, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(factor=factor, **kwargs)
        self._init_color(value_range, seed, sort=False)

    def get_random_transformation(self, data, training=True, seed=None):
        shape = self._image_shape(data)
        factor_shape = (1, 1, 1) if len(shape) == 3 else (shape[0], 1, 1, 1)
        if not training:
            return {"contrast_factor": ops.zeros(factor_shape)}
        return {"contrast_factor": self._uniform(factor_shape, 1.0 - self.factor[0],
                                                 1.0 + self.factor[1], seed,
                                                 dtype=self.compute_dtype)}

    def _transform_images(self, images, transformation):
        factor = ops.cast(self._tensor(transformation["contrast_factor"]), ops.dtype_of(images))
        mean = ops.mean(images, axis=(self._height_axis, self._width_axis), keepdims=True)
        outputs = ops.add(ops.multiply(ops.subtract(images, mean), factor), mean)
        return ops.clip(outputs, self.value_range[0], self.value_range[1])

    def get_config(self):
        return self._color_config(super().get_config(), "factor", "value_range", "seed")


@keras_export("keras.layers.RandomSaturation")
class RandomSaturation(_ColorLayer):
    """Randomly changes the saturation of each image in training.

    A draw ``f`` from ``factor`` becomes the multiplier ``f / (1 - f)`` of
    the HSV saturation (0: grayscale, 0.5: unchanged, 1: fully saturated).
    Keras converts to HSV without rescaling, so images are expected in [0, 1]
    for the colour maths to be exact; its clip of the saturation to
    ``value_range`` is kept.

    Args:
        factor: A float, or a pair ``(lower, upper)``, in [-1, 1]; a float
            ``f`` means ``(-f, f)`` (a negative draw gives a grayscale image).
        value_range: The range of the pixel values, ``(0, 255)`` by default.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        seed: Integer seed.
        **kwargs: Base layer arguments (``name``, ``dtype``).

    Input shape:
        3D ``(height, width, 3)`` or 4D ``(batch, height, width, 3)`` RGB
        images (``channels_first``: channels before height and width), or
        the dict form ``{"images": ..., "labels": ..., "bounding_boxes":
        ..., "segmentation_masks": ...}``.

    Output shape:
        The input's shape (a dict keeps its keys).

    Examples:
        >>> brickwork.layers.RandomSaturation(0.5, seed=0)(np.zeros((2, 8, 8, 3))).shape
        (2, 8, 8, 3)
    """

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self._set_factor(factor)
        self._init_color(value_range, seed)

    def get_random_transformation(self, data, training=True, seed=None):
        batch = self._batch_size(data)
        factor = self._uniform((batch,), self.factor[0], self.factor[1], seed)
        return {"factor": ops.divide(factor, ops.add(ops.subtract(1.0, factor), epsilon()))}

    def _transform_images(self, images, transformation):
        factor = ops.reshape(ops.cast(self._tensor(transformation["factor"]),
                                      self.compute_dtype), (-1, 1, 1))
        hsv = self._channels_last(ops.image.rgb_to_hsv(images, data_format=self.data_format))
        saturation = ops.clip(ops.multiply(hsv[..., 1], factor), self.value_range[0],
                              self.value_range[1])
        hsv = ops.stack([hsv[..., 0], saturation, hsv[..., 2]], axis=-1)
        return ops.image.hsv_to_rgb(self._restore(hsv), data_format=self.data_format)

    def get_config(self):
        return self._color_config(super().get_config(), "factor", "value_range", "seed")


@keras_export("keras.layers.RandomHue")
class RandomHue(_ColorLayer):
    """Randomly rotates the hue of each image in training.

    The hue (in [0, 1)) shifts by ``±f / 2`` with ``f`` drawn from ``factor``
    and the sign at random.

    Args:
        factor: A float, or a pair ``(lower, upper)``, in [0, 1]; a float
            ``f`` means ``(0, f)``.
        value_range: The range of the pixel values, ``(0, 255)`` by default.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        seed: Integer seed.
        **kwargs: Base layer arguments (``name``, ``dtype``).

    Input shape:
        3D ``(height, width, 3)`` or 4D ``(batch, height, width, 3)`` RGB
        images (``channels_first``: channels before height and width), or
        the dict form ``{"images": ..., "labels": ..., "bounding_boxes":
        ..., "segmentation_masks": ...}``.

    Output shape:
        The input's shape (a dict keeps its keys).

    Examples:
        >>> brickwork.layers.RandomHue(0.2, seed=0)(np.zeros((2, 8, 8, 3))).shape
        (2, 8, 8, 3)
    """

    _FACTOR_BOUNDS = (0, 1)

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self._set_factor(factor)
        self._init_color(value_range, seed, sort=False)

    def get_random_transformation(self, data, training=True, seed=None):
        batch = self._batch_size(data)
        sign = ops.where(ops.greater(self._uniform((batch,), 0.0, 1.0, seed), 0.5), -1.0, 1.0)
        factor = self._uniform((batch,), self.factor[0], self.factor[1], seed)
        return {"factor": ops.multiply(ops.multiply(ops.cast(sign, "float32"), factor), 0.5)}

    def _transform_images(self, images, transformation):
        images = self._transform_value_range(images, self.value_range, (0, 1))
        shift = ops.reshape(ops.cast(self._tensor(transformation["factor"]),
                                     ops.dtype_of(images)), (-1, 1, 1))
        hsv = self._channels_last(ops.image.rgb_to_hsv(images, data_format=self.data_format))
        hue = ops.add(hsv[..., 0], shift)
        hue = ops.where(ops.greater(hue, 1.0), ops.subtract(hue, 1.0), hue)
        hue = ops.where(ops.less(hue, 0.0), ops.add(hue, 1.0), hue)
        hsv = self._restore(ops.stack([hue, hsv[..., 1], hsv[..., 2]], axis=-1))
        images = ops.clip(ops.image.hsv_to_rgb(hsv, data_format=self.data_format), 0.0, 1.0)
        return self._cast(self._transform_value_range(images, (0, 1), self.value_range))

    def get_config(self):
        return self._color_config(super().get_config(), "factor", "value_range", "seed")


@keras_export("keras.layers.RandomColorDegeneration")
class RandomColorDegeneration(_ColorLayer):
    """Randomly blends each image towards its grayscale version in training:
    ``x + f * (gray(x) - x)``, ``f`` drawn from ``factor``, clipped to ``value_range``.

    Args:
        factor: A float, or a pair ``(lower, upper)``, in [-1, 1]; a float
            ``f`` means ``(-f, f)``.
        value_range: The range of the pixel values, ``(0, 255)`` by default.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        seed: Integer seed.
        **kwargs: Base layer arguments (``name``, ``dtype``).

    Input shape:
        3D ``(height, width, 3)`` or 4D ``(batch, height, width, 3)`` RGB
        images (``channels_first``: channels before height and width), or
        the dict form ``{"images": ..., "labels": ..., "bounding_boxes":
        ..., "segmentation_masks": ...}``.

    Output shape:
        The input's shape (a dict keeps its keys).

    Examples:
        >>> brickwork.layers.RandomColorDegeneration(0.5)(np.zeros((2, 8, 8, 3))).shape
        (2, 8, 8, 3)
    """

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self._set_factor(factor)
        self._init_color(value_range, seed)

    def get_random_transformation(self, data, training=True, seed=None):
        batch = self._batch_size(data)
        return {"factor": self._uniform((batch, 1, 1, 1), self.factor[0], self.factor[1], seed)}

    def _transform_images(self, images, transformation):
        factor = ops.cast(self._tensor(transformation["factor"]), self.compute_dtype)
        gray = ops.image.rgb_to_grayscale(images, data_format=self.data_format)
        images = ops.add(images, ops.multiply(factor, ops.subtract(gray, images)))
        return self._cast(ops.clip(images, self.value_range[0], self.value_range[1]))

    def get_config(self):
        return self._color_config(super().get_config(), "factor", "value_range", "seed")


@keras_export("keras.layers.RandomColorJitter")
class RandomColorJitter(_ColorLayer):
    """Random brightness, contrast, saturation and hue, in that order, in training.

    Each factor left None skips that step; each step is the layer of the
    same name (:class:`RandomBrightness`, ...) with this layer's
    ``value_range`` and ``seed``.

    Args:
        value_range: The range of the pixel values, ``(0, 255)`` by default.
        brightness_factor: The ``factor`` of the brightness step
            (see ``RandomBrightness``), or None to skip it.
        contrast_factor: The ``factor`` of the contrast step, or None.
        saturation_factor: The ``factor`` of the saturation step, or None.
        hue_factor: The ``factor`` of the hue step, or None.
        seed: Integer seed.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        **kwargs: Base layer arguments (``name``, ``dtype``).

    Input shape:
        3D ``(height, width, 3)`` or 4D ``(batch, height, width, 3)`` RGB
        images (``channels_first``: channels before height and width), or
        the dict form ``{"images": ..., "labels": ..., "bounding_boxes":
        ..., "segmentation_masks": ...}``.

    Output shape:
        The input's shape (a dict keeps its keys).

    Examples:
        >>> layer = brickwork.layers.RandomColorJitter(brightness_factor=0.2, hue_factor=0.1)
        >>> layer(np.zeros((2, 8, 8, 3))).shape
        (2, 8, 8, 3)
    """

    _USE_BASE_FACTOR = False

    def __init__(self, value_range=(0, 255), brightness_factor=None, contrast_factor=None,
                 saturation_factor=None, hue_factor=None, seed=None, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self._init_color(value_range, seed, sort=False)
        self.brightness_factor = brightness_factor
        self.contrast_factor = contrast_factor
        self.saturation_factor = saturation_factor
        self.hue_factor = hue_factor
        shared = {"value_range": value_range, "seed": seed, "data_format": self.data_format}
        self.random_brightness = None if brightness_factor is None else RandomBrightness(
            brightness_factor, **shared)
        self.random_contrast = None if contrast_factor is None else RandomContrast(
            contrast_factor, **shared)
        self.random_saturation = None if saturation_factor is None else RandomSaturation(
            saturation_factor, **shared)
        self.random_hue = None if hue_factor is None else RandomHue(hue_factor, **shared)

    def _steps(self):
        return [layer for layer in (self.random_brightness, self.random_contrast,
                                    self.random_saturation, self.random_hue)
                if layer is not None]

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        seed = self.generator if seed is None else seed
        return [layer.get_random_transformation(data, training=True, seed=seed)
                for layer in self._steps()]

    def _transform_images(self, images, transformation):
        for layer, step in zip(self._steps(), transformation):
            images = layer.transform_images(images, step)
        return self._cast(images)

    def get_config(self):
        return self._color_config(super().get_config(), "value_range", "brightness_factor",
                                  "contrast_factor", "saturation_factor", "hue_factor", "seed")


@keras_export("keras.layers.RandomGrayscale")
class RandomGrayscale(_ColorLayer):
    """Turns each image to grayscale (the gray value in every channel) with
    probability ``factor`` in training.

    Args:
        factor: A float in [0, 1], the probability of converting an image.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        seed: Integer seed.
        **kwargs: Base layer arguments (``name``, ``dtype``).

    Input shape:
        3D ``(height, width, 3)`` or 4D ``(batch, height, width, 3)`` RGB
        images (``channels_first``: channels before height and width), or
        the dict form ``{"images": ..., "labels": ..., "bounding_boxes":
        ..., "segmentation_masks": ...}``.

    Output shape:
        The input's shape (a dict keeps its keys).

    Examples:
        >>> brickwork.layers.RandomGrayscale(0.5, seed=0)(np.zeros((2, 8, 8, 3))).shape
        (2, 8, 8, 3)
    """

    _USE_BASE_FACTOR = False

    def __init__(self, factor=0.5, data_format=None, seed=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        if isinstance(factor, bool) or not isinstance(factor, (int, float)) or not 0 <= factor <= 1:
            raise ValueError(f"Layer {self.name!r}: `factor` should be between 0 and 1. "
                             f"Received: factor={factor!r}")
        self.factor = factor
        self.seed = seed
        self.generator = SeedGenerator(seed)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        draws = self._uniform((self._batch_size(data),), 0.0, 1.0, seed)
        return _per_image(ops.less(draws, self.factor))

    def _transform_images(self, images, transformation):
        gray = ops.image.rgb_to_grayscale(images, data_format=self.data_format)
        return self._cast(ops.where(self._tensor(transformation), gray, images))

    def get_config(self):
        config = super().get_config()
        config["factor"] = self.factor
        return config


@keras_export("keras.layers.RandomInvert")
class RandomInvert(_ColorLayer):
    """Inverts each image (``value_range[1] - x``) with a random probability in training.

    Args:
        factor: A float, or a pair, in [0, 1]: the probability of inverting
            (a float ``f`` means a probability drawn from ``(0, f)``).
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
        >>> brickwork.layers.RandomInvert(seed=0)(np.zeros((2, 8, 8, 3))).shape
        (2, 8, 8, 3)
    """

    _USE_BASE_FACTOR = False
    _FACTOR_BOUNDS = (0, 1)

    def __init__(self, factor=1.0, value_range=(0, 255), seed=None, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self._set_factor(factor)
        self._init_color(value_range, seed, sort=False)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        batch = self._batch_size(data)
        probability = self._uniform((batch,), self.factor[0], self.factor[1], seed)
        return {"apply_inversion": ops.less(self._uniform((batch,), 0.0, 1.0, seed), probability)}

    def _transform_images(self, images, transformation):
        apply = _per_image(self._tensor(transformation["apply_inversion"]))
        return ops.where(apply, ops.subtract(float(self.value_range[1]), images), images)

    def get_config(self):
        return self._color_config(super().get_config(), "factor", "value_range", "seed")


@keras_export("keras.layers.RandomPosterization")
class RandomPosterization(_ColorLayer):
    """Randomly reduces the bits per channel of each image in training:
    values (as 8-bit) keep their top ``b`` bits, ``b`` drawn from ``factor``.

    Args:
        factor: An int, or a pair, in [1, 8]: the number of bits kept.
        value_range: The range of the pixel values, ``(0, 255)`` by default.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        seed: Integer seed.
        **kwargs: Base layer arguments (``name``, ``dtype``).

    Input shape:
        3D ``(height, width, channels)`` or 4D ``(batch, height, width,
        channels)`` images (``channels_first``: channels before height
        and width), or the dict form ``{"images": ..., "labels": ...,
        "bounding_boxes": ..., "segmentation_masks": ...}``.

    Output shape:
        The input's shape (a dict keeps its keys).

    Examples:
        >>> brickwork.layers.RandomPosterization((1, 8))(np.zeros((2, 8, 8, 3))).shape
        (2, 8, 8, 3)
    """

    _USE_BASE_FACTOR = False
    _FACTOR_BOUNDS = (1, 8)

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self._set_factor(factor)
        self._init_color(value_range, seed)

    def get_random_transformation(self, data, training=True, seed=None):
        batch = self._batch_size(data)
        low, high = int(self.factor[0]), int(self.factor[1])
        if low != high:
            bits = bk_random.randint((batch,), low, high, dtype="int32",
                                     seed=self.generator if seed is None else seed)
        else:
            bits = ops.full((batch,), low, dtype="int32")
        return {"shift_factor": ops.cast(ops.subtract(8, bits), "uint8")}

    def _transform_images(self, images, transformation):
        shift = _per_image(ops.cast(self._tensor(transformation["shift_factor"]), "uint8"))
        images = self._transform_value_range(images, self.value_range, (0, 255),
                                             dtype=self.compute_dtype)
        images = ops.cast(images, "uint8")
        images = ops.left_shift(ops.right_shift(images, shift), shift)
        images = ops.cast(images, self.compute_dtype)
        return self._transform_value_range(images, (0, 255), self.value_range,
                                           dtype=self.compute_dtype)

    def get_config(self):
        return self._color_config(super().get_config(), "factor", "value_range", "seed")


@keras_export("keras.layers.RandomSharpness")
class RandomSharpness(_ColorLayer):
    """Randomly sharpens or blurs each image in training: a blend of the
    image with a 3x3 smoothed copy, ``x + (1 - 2 f) * (smooth(x) - x)``.

    Args:
        factor: A float, or a pair, in [0, 1] (``f`` means ``(0, f)``): 0 is
            the smoothed image, 0.5 the original, 1 doubly sharpened.
        value_range: The range of the pixel values, ``(0, 255)`` by default.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        seed: Integer seed.
        **kwargs: Base layer arguments (``name``, ``dtype``).

    Input shape:
        3D ``(height, width, channels)`` or 4D ``(batch, height, width,
        channels)`` images (``channels_first``: channels before height
        and width), or the dict form ``{"images": ..., "labels": ...,
        "bounding_boxes": ..., "segmentation_masks": ...}``.

    Output shape:
        The input's shape (a dict keeps its keys).

    Examples:
        >>> brickwork.layers.RandomSharpness(0.5, seed=0)(np.zeros((2, 8, 8, 3))).shape
        (2, 8, 8, 3)
    """

    _USE_BASE_FACTOR = False
    _FACTOR_BOUNDS = (0, 1)

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self._set_factor(factor)
        self._init_color(value_range, seed)

    def get_random_transformation(self, data, training=True, seed=None):
        return {"factor": self._uniform((self._batch_size(data),), self.factor[0],
                                        self.factor[1], seed)}

    def _transform_images(self, images, transformation):
        images = self._channels_last(images)
        factor = _per_image(ops.cast(ops.multiply(self._tensor(transformation["factor"]), 2.0),
                                     self.compute_dtype))
        channels = ops.shape(images)[-1]
        a, b = 1.0 / 13.0, 5.0 / 13.0
        kernel = ops.convert_to_tensor([[a, a, a], [a, b, a], [a, a, a]], dtype=self.compute_dtype)
        kernel = ops.tile(ops.reshape(kernel, (3, 3, 1, 1)), (1, 1, channels, 1))
        smooth = ops.depthwise_conv(images, kernel, strides=1, padding="same",
                                    data_format="channels_last")
        images = ops.add(images, ops.multiply(ops.subtract(1.0, factor),
                                              ops.subtract(smooth, images)))
        images = ops.clip(images, self.value_range[0], self.value_range[1])
        return self._restore(images)

    def get_config(self):
        return self._color_config(super().get_config(), "factor", "value_range", "seed")


@keras_export("keras.layers.RandomGaussianBlur")
class RandomGaussianBlur(_ColorLayer):
    """Blurs each image with a Gaussian kernel, with a random probability, in training.

    Args:
        factor: A float, or a pair, in [0, 1]: the probability of blurring
            (``f`` means a probability drawn from ``(0, f)``).
        kernel_size: An odd int, or a pair of odd ints ``(height, width)``.
        sigma: A float, or a pair, in [0, 1]: the standard deviation of the
            kernel is drawn from it (``s`` means ``(0, s)``), one per axis.
        value_range: The range of the pixel values, ``(0, 255)`` by default.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        seed: Integer seed.
        **kwargs: Base layer arguments (``name``, ``dtype``).

    Input shape:
        3D ``(height, width, channels)`` or 4D ``(batch, height, width,
        channels)`` images (``channels_first``: channels before height
        and width), or the dict form ``{"images": ..., "labels": ...,
        "bounding_boxes": ..., "segmentation_masks": ...}``.

    Output shape:
        The input's shape (a dict keeps its keys).

    Examples:
        >>> brickwork.layers.RandomGaussianBlur(seed=0)(np.zeros((2, 8, 8, 3))).shape
        (2, 8, 8, 3)
    """

    _USE_BASE_FACTOR = False
    _FACTOR_BOUNDS = (0, 1)

    def __init__(self, factor=1.0, kernel_size=3, sigma=1.0, value_range=(0, 255),
                 data_format=None, seed=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self._set_factor(factor)
        self.kernel_size = self._kernel_size(kernel_size)
        self.sigma = factor_range(self.name, "sigma", sigma, self._FACTOR_BOUNDS)
        self._init_color(value_range, seed, sort=False)

    def _kernel_size(self, size):
        sizes = tuple(size) if isinstance(size, (tuple, list)) else (size, size)
        if len(sizes) != 2 or not all(isinstance(s, int) and not isinstance(s, bool) and s > 0
                                      and s % 2 == 1 for s in sizes):
            raise ValueError(f"Layer {self.name!r}: `kernel_size` must be an odd positive "
                             f"integer or a pair of them. Received: kernel_size={size!r}")
        return sizes

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        batch = self._batch_size(data)
        probability = self._uniform((batch,), self.factor[0], self.factor[1], seed)
        apply = ops.less(self._uniform((batch,), 0.0, 1.0, seed), probability)
        sigma = ops.add(self._uniform((2,), self.sigma[0], self.sigma[1], seed,
                                      dtype=self.compute_dtype), 1e-6)
        return {"should_apply_blur": apply, "blur_factor": sigma}

    def _transform_images(self, images, transformation):
        sigma = [float(s) for s in ops.convert_to_numpy(transformation["blur_factor"])]
        blurred = ops.image.gaussian_blur(images, kernel_size=self.kernel_size,
                                          sigma=tuple(sigma), data_format=self.data_format)
        apply = _per_image(self._tensor(transformation["should_apply_blur"]))
        images = ops.where(apply, self._cast(blurred), images)
        return self._cast(ops.clip(images, self.value_range[0], self.value_range[1]))

    def get_config(self):
        return self._color_config(super().get_config(), "factor", "kernel_size", "sigma",
                                  "value_range", "seed")


@keras_export("keras.layers.Solarization")
class Solarization(_ColorLayer):
    """Randomly solarizes images in training: on the 0-255 scale, a random
    amount is added (clipped), and values at or above a random threshold
    are inverted (``255 - x``).

    Args:
        addition_factor: A float, or a pair, in [0, 1]: the added amount, as
            a fraction of 255 (``f`` means ``(0, f)``).
        threshold_factor: A float, or a pair, in [0, 1]: the threshold, as a
            fraction of 255 (``f`` means ``(0, f)``).
        value_range: The range of the pixel values, ``(0, 255)`` by default.
        seed: Integer seed.
        **kwargs: Base layer arguments (``name``, ``dtype``, ``data_format``).

    Input shape:
        3D ``(height, width, channels)`` or 4D ``(batch, height, width,
        channels)`` images (``channels_first``: channels before height
        and width), or the dict form ``{"images": ..., "labels": ...,
        "bounding_boxes": ..., "segmentation_masks": ...}``.

    Output shape:
        The input's shape (a dict keeps its keys).

    Examples:
        >>> brickwork.layers.Solarization(0.2, 0.5, seed=0)(np.zeros((2, 8, 8, 3))).shape
        (2, 8, 8, 3)
    """

    _USE_BASE_FACTOR = False

    def __init__(self, addition_factor=0.0, threshold_factor=0.0, value_range=(0, 255), seed=None,
                 **kwargs):
        super().__init__(**kwargs)
        self.addition_factor = factor_range(self.name, "addition_factor", addition_factor,
                                            (0, 1), single="zero", strict=True)
        self.threshold_factor = factor_range(self.name, "threshold_factor", threshold_factor,
                                             (0, 1), single="zero", strict=True)
        self._init_color(value_range, seed)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        shape = self._image_shape(data)
        factor_shape = (1, 1, 1) if len(shape) == 3 else (shape[0], 1, 1, 1)
        seed = self.generator if seed is None else seed
        # Keras draws from [lower, upper * 255]: the lower end is not scaled.
        additions = self._uniform(factor_shape, self.addition_factor[0],
                                  self.addition_factor[1] * 255, seed, dtype=self.compute_dtype)
        thresholds = self._uniform(factor_shape, self.threshold_factor[0],
                                   self.threshold_factor[1] * 255, seed, dtype=self.compute_dtype)
        return {"additions": additions, "thresholds": thresholds}

    def _transform_images(self, images, transformation):
        additions = self._tensor(transformation["additions"], self.compute_dtype)
        thresholds = self._tensor(transformation["thresholds"], self.compute_dtype)
        images = self._transform_value_range(images, self.value_range, (0, 255),
                                             dtype=self.compute_dtype)
        results = ops.clip(ops.add(images, additions), 0.0, 255.0)
        results = ops.where(ops.less(results, thresholds), results, ops.subtract(255.0, results))
        return self._transform_value_range(results, (0, 255), self.value_range,
                                           dtype=self.compute_dtype)

    def get_config(self):
        return self._color_config(super().get_config(), "value_range", "addition_factor",
                                  "threshold_factor", "seed")


@keras_export("keras.layers.AutoContrast")
class AutoContrast(_ColorLayer):
    """Stretches each channel of each image to the full ``value_range``
    (its minimum to the bottom, its maximum to the top). Deterministic, and
    applied at inference too, as in Keras; a constant channel is left as is.

    Args:
        value_range: The range of the pixel values, ``(0, 255)`` by default.
        **kwargs: Base layer arguments (``name``, ``dtype``, ``data_format``).

    Input shape:
        3D ``(height, width, channels)`` or 4D ``(batch, height, width,
        channels)`` images (``channels_first``: channels before height
        and width), or the dict form ``{"images": ..., "labels": ...,
        "bounding_boxes": ..., "segmentation_masks": ...}``.

    Output shape:
        The input's shape (a dict keeps its keys).

    Examples:
        >>> brickwork.layers.AutoContrast()(np.zeros((2, 8, 8, 3))).shape
        (2, 8, 8, 3)
    """

    _USE_BASE_FACTOR = False

    def __init__(self, value_range=(0, 255), **kwargs):
        super().__init__(**kwargs)
        self.value_range = check_value_range(self.name, value_range)

    def transform_images(self, images, transformation=None, training=True):
        original = self._cast(images)
        images = self._cast(self._transform_value_range(original, self.value_range, (0, 255),
                                                        dtype=self.compute_dtype))
        axes = (self._height_axis % 4, self._width_axis % 4) if len(ops.shape(images)) == 4 \
            else (self._height_axis % 3, self._width_axis % 3)
        low = ops.min(images, axis=axes, keepdims=True)
        high = ops.max(images, axis=axes, keepdims=True)
        spread = ops.subtract(high, low)
        flat = ops.equal(spread, 0.0)
        scale = ops.divide(255.0, ops.where(flat, 1.0, spread))
        results = ops.clip(ops.multiply(ops.subtract(images, low), scale), 0.0, 255.0)
        results = self._transform_value_range(results, (0, 255), self.value_range,
                                               dtype=self.compute_dtype)
        # Keras divides by zero here and keeps the input where that gives NaN.
        return ops.where(flat, original, results)

    def get_config(self):
        config = super().get_config()
        config["value_range"] = self.value_range
        return config


@keras_export("keras.layers.Equalization")
class Equalization(_ColorLayer):
    """Histogram equalization of each channel in training (identity at
    inference, as in Keras): values map through the channel's normalised
    cumulative histogram (over the whole batch, as Keras computes it).

    Args:
        value_range: The range of the pixel values, ``(0, 255)`` by default.
        bins: The number of histogram bins (256).
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
        >>> brickwork.layers.Equalization()(np.zeros((2, 8, 8, 3))).shape
        (2, 8, 8, 3)
    """

    _USE_BASE_FACTOR = False

    def __init__(self, value_range=(0, 255), bins=256, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        if isinstance(bins, bool) or not isinstance(bins, int) or bins < 2:
            raise ValueError(f"Layer {self.name!r}: `bins` must be an integer >= 2. "
                             f"Received: bins={bins!r}")
        self.bins = bins
        self.value_range = check_value_range(self.name, value_range)

    def transform_images(self, images, transformation=None, training=True):
        images = self._cast(images)
        return self._transform_images(images, transformation) if training else images

    def _equalize(self, channel):
        low, high = float(self.value_range[0]), float(self.value_range[1])
        channel = ops.add(ops.multiply(channel, 255.0 / (high - low)), -low * 255.0 / (high - low))
        counts = image_augment.histogram(channel, self.bins, 0.0, 255.0)
        if int(ops.convert_to_numpy(ops.count_nonzero(counts))) > 1:
            cdf = ops.cast(ops.cumsum(counts), "float32")
            cdf_min = ops.min(ops.where(ops.greater(cdf, 0), cdf, cdf[-1]))
            denominator = ops.subtract(cdf[-1], cdf_min)
            denominator = ops.where(ops.equal(denominator, 0), 1.0, denominator)
            table = ops.clip(ops.round(ops.divide(ops.multiply(ops.subtract(cdf, cdf_min), 255.0),
                                                  denominator)), 0, 255)
            index = ops.clip(ops.multiply(ops.divide(channel, 255.0), float(self.bins - 1)),
                             0, self.bins - 1)
            channel = ops.cast(image_augment.lookup(table, ops.cast(index, "int32")), "float32")
        scale = (high - low) / 255.0
        return ops.add(ops.multiply(channel, scale), low)

    def _transform_images(self, images, transformation):
        axis = self._channel_axis
        count = ops.shape(images)[axis]
        channels = [self._equalize(ops.take(images, i, axis=axis)) for i in range(count)]
        return self._cast(ops.stack(channels, axis=axis))

    def get_config(self):
        config = super().get_config()
        config.update({"bins": self.bins, "value_range": self.value_range})
        return config


@keras_export("keras.layers.ContrastLimitedAdaptiveHistogramEqualization")
class ContrastLimitedAdaptiveHistogramEqualization(_ColorLayer):
    """Contrast-limited adaptive histogram equalization (CLAHE): histogram
    equalization per tile of a ``tile_grid_size`` grid, each histogram
    clipped at ``clip_limit`` times the mean bin count (the excess spread
    evenly), and the tiles' mappings blended bilinearly. Deterministic, and
    applied at inference too, as in Keras.

    Args:
        value_range: The range of the pixel values, ``(0, 255)`` by default.
        clip_limit: The histogram clip, relative to a flat histogram; 0 or
            less turns clipping off.
        tile_grid_size: ``(rows, columns)`` of tiles.
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
        >>> layer = brickwork.layers.ContrastLimitedAdaptiveHistogramEqualization(tile_grid_size=(2, 2))
        >>> layer(np.zeros((2, 8, 8, 3))).shape
        (2, 8, 8, 3)
    """

    _USE_BASE_FACTOR = False

    def __init__(self, value_range=(0, 255), clip_limit=4.0, tile_grid_size=(8, 8),
                 data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.value_range = check_value_range(self.name, value_range, sort=False)
        self.clip_limit = clip_limit
        if (not isinstance(tile_grid_size, (tuple, list)) or len(tile_grid_size) != 2
                or not all(isinstance(v, int) and v > 0 for v in tile_grid_size)):
            raise ValueError(f"Layer {self.name!r}: `tile_grid_size` must be two positive "
                             f"integers (rows, columns). Received: "
                             f"tile_grid_size={tile_grid_size!r}")
        self.tile_grid_size = tile_grid_size

    def transform_images(self, images, transformation=None, training=True):
        dtype = ops.dtype_of(images)
        x = self._channels_last(images)
        x = self._transform_value_range(x, self.value_range, (0, 255), dtype="float32")
        x = self._clahe(ops.cast(x, "float32"))
        x = self._transform_value_range(x, (0, 255), self.value_range, dtype="float32")
        return ops.cast(self._restore(x), dtype)

    def _clahe(self, images):
        batch, height, width, channels = ops.shape(images)
        grid_h, grid_w = self.tile_grid_size
        tile_h, tile_w = -(-height // grid_h), -(-width // grid_w)
        pad_h, pad_w = tile_h * grid_h - height, tile_w * grid_w - width
        padded = images
        if pad_h or pad_w:
            padded = ops.pad(images, ((0, 0), (0, pad_h), (0, pad_w), (0, 0)), mode="symmetric")
        tiles = ops.reshape(padded, (batch, grid_h, tile_h, grid_w, tile_w, channels))
        tiles = ops.transpose(tiles, (0, 1, 3, 5, 2, 4))
        tiles = ops.reshape(tiles, (batch, grid_h, grid_w, channels, tile_h * tile_w))
        levels = ops.clip(ops.cast(tiles, "int32"), 0, 255)
        hists = ops.sum(ops.one_hot(levels, 256), axis=-2)  # (B, gh, gw, C, 256)
        area = float(tile_h * tile_w)
        if self.clip_limit > 0:
            limit = self.clip_limit * area / 256.0
            clipped = ops.clip(hists, 0.0, limit)
            excess = ops.sum(ops.subtract(hists, clipped), axis=-1, keepdims=True)
            hists = ops.add(clipped, ops.divide(excess, 256.0))
        cdf = ops.cumsum(hists, axis=-1)
        cdf_min = ops.min(cdf, axis=-1, keepdims=True)
        denominator = ops.subtract(area, cdf_min)
        denominator = ops.where(ops.equal(denominator, 0), 1.0, denominator)
        cdf = ops.clip(ops.divide(ops.multiply(ops.subtract(cdf, cdf_min), 255.0), denominator),
                       0.0, 255.0)
        # Edge tiles repeated once on every side, so every pixel has 4 neighbours.
        cdf = ops.concatenate([cdf[:, :1], cdf, cdf[:, -1:]], axis=1)
        cdf = ops.concatenate([cdf[:, :, :1], cdf, cdf[:, :, -1:]], axis=2)

        def grid(size, tile, count):
            position = ops.add(ops.divide(ops.subtract(ops.arange(size, dtype="float32"),
                                                       tile / 2.0), float(tile)), 1.0)
            low = ops.floor(position)
            weight = ops.subtract(position, low)
            return (ops.cast(ops.clip(low, 0, count + 1), "int32"),
                    ops.cast(ops.clip(ops.add(low, 1.0), 0, count + 1), "int32"), weight)

        y0, y1, wy = grid(tile_h * grid_h, tile_h, grid_h)
        x0, x1, wx = grid(tile_w * grid_w, tile_w, grid_w)
        stride_x = 256 * channels
        stride_y = stride_x * (grid_w + 2)
        stride_b = stride_y * (grid_h + 2)
        flat = ops.reshape(cdf, (-1,))
        pixels = ops.cast(ops.clip(padded, 0, 255), "int32")
        base = ops.add(ops.add(ops.reshape(ops.arange(batch, dtype="int32"), (-1, 1, 1, 1))
                               * stride_b, ops.reshape(ops.arange(channels, dtype="int32"),
                                                       (1, 1, 1, -1)) * 256), pixels)
        ys = {0: ops.reshape(y0, (1, -1, 1, 1)) * stride_y,
              1: ops.reshape(y1, (1, -1, 1, 1)) * stride_y}
        xs = {0: ops.reshape(x0, (1, 1, -1, 1)) * stride_x,
              1: ops.reshape(x1, (1, 1, -1, 1)) * stride_x}

        def value(i, j):
            return image_augment.lookup(flat, ops.add(ops.add(base, ys[i]), xs[j]))

        wy = ops.reshape(wy, (1, -1, 1, 1))
        wx = ops.reshape(wx, (1, 1, -1, 1))
        top = ops.add(ops.multiply(value(0, 0), ops.subtract(1.0, wx)), ops.multiply(value(0, 1),
                                                                                   wx))
        bottom = ops.add(ops.multiply(value(1, 0), ops.subtract(1.0, wx)),
                         ops.multiply(value(1, 1), wx))
        result = ops.add(ops.multiply(top, ops.subtract(1.0, wy)), ops.multiply(bottom, wy))
        return result[:, :height, :width, :]

    def get_config(self):
        config = super().get_config()
        config.update({"value_range": self.value_range, "clip_limit": self.clip_limit,
                       "tile_grid_size": self.tile_grid_size})
        return config
