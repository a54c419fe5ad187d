"""Geometric augmentation: RandomFlip, RandomCrop, RandomTranslation,
RandomRotation, RandomZoom, RandomShear, RandomPerspective,
RandomElasticTransform, and MaxNumBoundingBoxes.

Pixels move by ``ops.image.affine_transform`` (output -> input
coordinates); bounding boxes move with them where Keras moves them, and
segmentation masks are resampled by nearest neighbour.
"""
from __future__ import annotations

from brickwork import ops
from brickwork import random as bk_random
from brickwork.api_export import keras_export
from brickwork.layers.augmentation import boxes as box_utils
from brickwork.layers.augmentation.base import (BaseImagePreprocessingLayer, affine_matrix,
                                                check_choice, check_value_range, factor_range)
from brickwork.ops import image_augment
from brickwork.random import SeedGenerator

_FILL_MODES = ("reflect", "wrap", "constant", "nearest")
_INTERPOLATIONS = ("nearest", "bilinear")


def _column(value, batch):
    return ops.reshape(ops.cast(value, "float32"), (batch, 1))


class _AffineLayer(BaseImagePreprocessingLayer):
    """Shared by the layers that resample through an affine matrix."""

    _USE_BASE_FACTOR = False

    def _init_affine(self, fill_mode, interpolation, fill_value, seed):
        self.fill_mode = check_choice(self.name, "fill_mode", fill_mode, _FILL_MODES)
        self.interpolation = check_choice(self.name, "interpolation", interpolation,
                                          _INTERPOLATIONS)
        self.fill_value = fill_value
        self.seed = seed
        self.generator = SeedGenerator(seed)

    def _matrix(self, transformation, height, width):
        raise NotImplementedError

    def _transform_images(self, images, transformation):
        height, width = self._size(ops.shape(images))
        return ops.image.affine_transform(
            images, self._matrix(transformation, height, width), interpolation=self.interpolation,
            fill_mode=self.fill_mode, fill_value=self.fill_value, data_format=self.data_format)

    def transform_segmentation_masks(self, segmentation_masks, transformation, training=True):
        return self._geometric_masks(segmentation_masks, transformation, training)

    def _box_size(self, transformation):
        return self._size(transformation["input_shape"])


@keras_export("keras.layers.RandomFlip")
class RandomFlip(BaseImagePreprocessingLayer):
    """Randomly flips images horizontally and/or vertically in training.

    Each image is flipped with probability 1/2 (in ``"horizontal_and_vertical"``
    mode one draw flips it both ways). At inference the layer is the identity.

    Args:
        mode: ``"horizontal"``, ``"vertical"`` or ``"horizontal_and_vertical"``.
        seed: Integer seed of the layer's random draws.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        **kwargs: Base layer arguments (``name``, ``dtype``, ``bounding_box_format``).

    Input shape: 3-D ``(height, width, channels)`` or 4-D (a batch), or a
    dict with ``"images"`` (and ``"bounding_boxes"``, ``"labels"``,
    ``"segmentation_masks"``). Output: the same.

    Examples:
        >>> layer = brickwork.layers.RandomFlip("horizontal", seed=1)
        >>> layer(np.zeros((2, 8, 8, 3))).shape
        (2, 8, 8, 3)
    """

    _USE_BASE_FACTOR = False

    def __init__(self, mode="horizontal_and_vertical", seed=None, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.mode = check_choice(self.name, "mode", mode,
                                 ("horizontal", "vertical", "horizontal_and_vertical"))
        self.seed = seed
        self.generator = SeedGenerator(seed)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        shape = self._image_shape(data)
        flips_shape = (1, 1, 1) if len(shape) == 3 else (shape[0], 1, 1, 1)
        draws = bk_random.uniform(flips_shape, seed=self.generator if seed is None else seed)
        return {"flips": ops.less_equal(draws, 0.5), "input_shape": shape}

    def _transform_images(self, images, transformation):
        flips = self._tensor(transformation["flips"])
        rank = len(ops.shape(images))
        horizontal, vertical = (rank - 1, rank - 2) if self.data_format == "channels_first" \
            else (rank - 2, rank - 3)
        if self.mode in ("horizontal", "horizontal_and_vertical"):
            images = ops.where(flips, ops.flip(images, axis=horizontal), images)
        if self.mode in ("vertical", "horizontal_and_vertical"):
            images = ops.where(flips, ops.flip(images, axis=vertical), images)
        return images

    def transform_segmentation_masks(self, segmentation_masks, transformation, training=True):
        return self.transform_images(segmentation_masks, transformation, training=training)

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        if not training or transformation is None:
            return bounding_boxes
        flips = ops.squeeze(self._tensor(transformation["flips"]), -1)
        height, width = self._size(transformation["input_shape"])
        boxes = box_utils.convert_format(bounding_boxes, self.bounding_box_format, "rel_xyxy",
                                         height, width)
        x1, y1, x2, y2 = box_utils.split(boxes["boxes"])
        coords = boxes["boxes"]
        if self.mode in ("horizontal", "horizontal_and_vertical"):
            flipped = box_utils.join([ops.subtract(1.0, x2), y1, ops.subtract(1.0, x1), y2])
            coords = ops.where(flips, flipped, coords)
        if self.mode in ("vertical", "horizontal_and_vertical"):
            x1, y1, x2, y2 = box_utils.split(coords)
            flipped = box_utils.join([x1, ops.subtract(1.0, y2), x2, ops.subtract(1.0, y1)])
            coords = ops.where(flips, flipped, coords)
        boxes["boxes"] = coords
        boxes = box_utils.clip_to_image_size(boxes, bounding_box_format="rel_xyxy")
        return box_utils.convert_format(boxes, "rel_xyxy", self.bounding_box_format, height, width)

    def get_config(self):
        config = super().get_config()
        config.update({"seed": self.seed, "mode": self.mode})
        return config


@keras_export("keras.layers.RandomCrop")
class RandomCrop(BaseImagePreprocessingLayer):
    """Randomly crops a ``height`` x ``width`` window, the same for the whole batch,
    in training.

    An input smaller than the window (in either dimension) is centre-cropped
    to the window's aspect ratio and resized to it instead. At inference the
    layer is the identity, as in Keras 3.

    Args:
        height: Integer, the height of the output.
        width: Integer, the width of the output.
        seed: Integer seed; None draws one (and the config records it, as Keras).
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        **kwargs: Base layer arguments (``name``, ``dtype``, ``bounding_box_format``).

    Input shape: 3-D or 4-D images (or the dict form). Output shape: the
    height and width replaced by ``height`` and ``width``.

    Examples:
        >>> brickwork.layers.RandomCrop(4, 4, seed=0)(np.zeros((2, 8, 8, 3))).shape
        (2, 4, 4, 3)
    """

    _USE_BASE_FACTOR = False

    def __init__(self, height, width, seed=None, data_format=None, name=None, **kwargs):
        super().__init__(name=name, data_format=data_format, **kwargs)
        for argument, value in (("height", height), ("width", width)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"Layer {self.name!r}: `{argument}` must be a positive integer. "
                                 f"Received: {argument}={value!r}")
        self.height = height
        self.width = width
        self.seed = seed if seed is not None else bk_random.draw_seed()
        self.generator = SeedGenerator(seed)

    def get_random_transformation(self, data, training=True, seed=None):
        seed = self.generator if seed is None else seed
        height, width = self._size(self._image_shape(data))
        if training and height > self.height and width > self.width:
            h_start = int(ops.convert_to_numpy(self._uniform((), 0, float(height - self.height + 1),
                                                             seed=seed)))
            w_start = int(ops.convert_to_numpy(self._uniform((), 0, float(width - self.width + 1),
                                                             seed=seed)))
            return h_start, w_start
        crop_height = max(min(height, int(float(width * self.height) / self.width)), 1)
        crop_width = max(min(width, int(float(height * self.width) / self.height)), 1)
        return int((height - crop_height) / 2), int((width - crop_width) / 2)

    def _transform_images(self, images, transformation):
        h_start, w_start = (int(v) for v in transformation)
        rank = len(ops.shape(images))
        window = [slice(None)] * rank
        window[rank + self._height_axis] = slice(h_start, h_start + self.height)
        window[rank + self._width_axis] = slice(w_start, w_start + self.width)
        images = ops.getitem(images, tuple(window))
        if self._size(ops.shape(images)) != (self.height, self.width):
            images = self._cast(ops.image.resize(images, (self.height, self.width),
                                                 data_format=self.data_format))
        return images

    def transform_segmentation_masks(self, segmentation_masks, transformation, training=True):
        return self.transform_images(segmentation_masks, transformation, training=training)

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        """Boxes shift by the window's corner (x by its left edge, y by its
        top; Keras 3.15 subtracts the top from x as well) and are clipped to it."""
        if not training:
            return bounding_boxes
        h_start, w_start = (float(v) for v in transformation)
        boxes = box_utils.convert_format(bounding_boxes["boxes"], self.bounding_box_format,
                                         "xyxy", self.height, self.width)
        x1, y1, x2, y2 = box_utils.split(boxes)
        boxes = box_utils.join([ops.maximum(ops.subtract(x1, w_start), 0.0),
                                ops.maximum(ops.subtract(y1, h_start), 0.0),
                                ops.maximum(ops.subtract(x2, w_start), 0.0),
                                ops.maximum(ops.subtract(y2, h_start), 0.0)])
        boxes = box_utils.convert_format(boxes, "xyxy", self.bounding_box_format, self.height,
                                         self.width)
        return {"boxes": boxes, "labels": bounding_boxes["labels"]}

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        shape[self._height_axis] = self.height
        shape[self._width_axis] = self.width
        return tuple(shape)

    def get_config(self):
        config = super().get_config()
        config.update({"height": self.height, "width": self.width, "seed": self.seed})
        return config


@keras_export("keras.layers.RandomTranslation")
class RandomTranslation(_AffineLayer):
    """Randomly translates images in training (identity at inference).

    Args:
        height_factor: A float, or a pair ``(lower, upper)``, in [-1, 1]: the
            vertical shift as a fraction of the height (positive: down). A
            float ``f`` means ``(-f, f)``.
        width_factor: The same for the horizontal shift (positive: right).
        fill_mode: ``"reflect"`` (default), ``"wrap"``, ``"constant"`` or
            ``"nearest"``: how points outside the input are filled.
        interpolation: ``"bilinear"`` (default) or ``"nearest"``.
        seed: Integer seed.
        fill_value: The value outside the input for ``fill_mode="constant"``.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        **kwargs: Base layer arguments (``name``, ``dtype``, ``bounding_box_format``).

    Input shape:
        3D ``(height, width, channels)`` or 4D ``(batch, height, width,
        channels)`` images (``channels_first``: channels before height
        and width), or the dict form ``{"images": ..., "labels": ...,
        "bounding_boxes": ..., "segmentation_masks": ...}``.

    Output shape:
        The input's shape (a dict keeps its keys).

    Examples:
        >>> brickwork.layers.RandomTranslation(0.2, 0.2)(np.zeros((2, 8, 8, 3))).shape
        (2, 8, 8, 3)
    """

    def __init__(self, height_factor, width_factor, fill_mode="reflect", interpolation="bilinear",
                 seed=None, fill_value=0.0, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.height_factor = height_factor
        self.height_lower, self.height_upper = factor_range(self.name, "height_factor",
                                                            height_factor, (-1, 1), strict=True)
        self.width_factor = width_factor
        self.width_lower, self.width_upper = factor_range(self.name, "width_factor",
                                                          width_factor, (-1, 1), strict=True)
        self._init_affine(fill_mode, interpolation, fill_value, seed)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        shape = self._image_shape(data)
        batch = 1 if len(shape) == 3 else shape[0]
        height, width = self._size(shape)
        seed = self.generator if seed is None else seed
        dy = ops.multiply(self._uniform((batch, 1), self.height_lower, self.height_upper, seed),
                          float(height))
        dx = ops.multiply(self._uniform((batch, 1), self.width_lower, self.width_upper, seed),
                          float(width))
        return {"translations": ops.cast(ops.concatenate([dx, dy], axis=1), "float32"),
                "input_shape": shape}

    def _matrix(self, transformation, height, width):
        shifts = self._tensor(transformation["translations"], "float32")
        batch = ops.shape(shifts)[0]
        ones, zeros = ops.ones((batch, 1)), ops.zeros((batch, 1))
        return ops.concatenate([ones, zeros, ops.negative(shifts[:, 0:1]), zeros, ones,
                                ops.negative(shifts[:, 1:2]), zeros, zeros], axis=1)

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        if not training or transformation is None:
            return bounding_boxes
        height, width = self._box_size(transformation)
        boxes = box_utils.convert_format(bounding_boxes, self.bounding_box_format, "xyxy",
                                         height, width)
        shifts = self._tensor(transformation["translations"], "float32")
        dx, dy = shifts[:, 0:1], shifts[:, 1:2]
        if len(ops.shape(boxes["boxes"])) == 3:
            dx, dy = ops.expand_dims(dx, -1), ops.expand_dims(dy, -1)
        x1, y1, x2, y2 = box_utils.split(boxes["boxes"])
        boxes["boxes"] = box_utils.join([ops.add(x1, dx), ops.add(y1, dy), ops.add(x2, dx),
                                         ops.add(y2, dy)])
        boxes = box_utils.clip_to_image_size(boxes, height, width, "xyxy")
        return box_utils.convert_format(boxes, "xyxy", self.bounding_box_format, height, width)

    def get_config(self):
        config = super().get_config()
        config.update({"height_factor": self.height_factor, "width_factor": self.width_factor,
                       "fill_mode": self.fill_mode, "interpolation": self.interpolation,
                       "seed": self.seed, "fill_value": self.fill_value})
        return config


@keras_export("keras.layers.RandomRotation")
class RandomRotation(_AffineLayer):
    """Randomly rotates images about their centre in training (identity at inference).

    Args:
        factor: A float, or a pair ``(lower, upper)``, in [-1, 1]: the angle
            as a fraction of a full turn (``0.1`` is up to 36 degrees either
            way; positive turns counter-clockwise). A float ``f`` means ``(-f, f)``.
        fill_mode: ``"reflect"`` (default), ``"wrap"``, ``"constant"`` or ``"nearest"``.
        interpolation: ``"bilinear"`` (default) or ``"nearest"``.
        seed: Integer seed.
        fill_value: The value outside the input for ``fill_mode="constant"``.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        **kwargs: Base layer arguments (``name``, ``dtype``, ``bounding_box_format``).

    Input shape:
        3D ``(height, width, channels)`` or 4D ``(batch, height, width,
        channels)`` images (``channels_first``: channels before height
        and width), or the dict form ``{"images": ..., "labels": ...,
        "bounding_boxes": ..., "segmentation_masks": ...}``.

    Output shape:
        The input's shape (a dict keeps its keys).

    Examples:
        >>> brickwork.layers.RandomRotation(0.1, seed=0)(np.zeros((2, 8, 8, 3))).shape
        (2, 8, 8, 3)
    """

    _USE_BASE_FACTOR = True

    def __init__(self, factor, fill_mode="reflect", interpolation="bilinear", seed=None,
                 fill_value=0.0, data_format=None, **kwargs):
        super().__init__(factor=factor, data_format=data_format, **kwargs)
        self._init_affine(fill_mode, interpolation, fill_value, seed)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        shape = self._image_shape(data)
        batch = 1 if len(shape) == 3 else shape[0]
        height, width = self._size(shape)
        angle = self._uniform((batch,), self.factor[0] * 360.0, self.factor[1] * 360.0,
                              self.generator if seed is None else seed)
        zeros = ops.zeros((batch,))
        matrix = affine_matrix(0.5, 0.5, angle, zeros, zeros, ops.ones((batch,)), zeros, zeros,
                               height, width)
        if len(shape) == 3:
            matrix = ops.squeeze(matrix, 0)
        return {"angle": angle, "rotation_matrix": matrix, "image_height": height,
                "image_width": width, "batch_size": batch}

    def _matrix(self, transformation, height, width):
        return self._tensor(transformation["rotation_matrix"], "float32")

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        """Each box's corners turn with the image; the new box is their
        bounding box, clipped to the image."""
        if not training or transformation is None:
            return bounding_boxes
        height, width = transformation["image_height"], transformation["image_width"]
        boxes = box_utils.convert_format(bounding_boxes, self.bounding_box_format, "xyxy",
                                         height, width)
        angle = ops.multiply(ops.cast(self._tensor(transformation["angle"]), "float32"),
                             3.141592653589793 / 180.0)
        cos, sin = ops.cos(angle), ops.sin(angle)
        cx, cy = 0.5 * (float(width) - 1), 0.5 * (float(height) - 1)
        x1, y1, x2, y2 = box_utils.split(boxes["boxes"])  # each (N, B, 1)
        xs = ops.subtract(ops.concatenate([x1, x2, x2, x1], axis=-1), cx)
        ys = ops.subtract(ops.concatenate([y1, y1, y2, y2], axis=-1), cy)
        cos, sin = ops.reshape(cos, (-1, 1, 1)), ops.reshape(sin, (-1, 1, 1))
        # The image maps output to input by the rotation; points go the other way.
        new_x = ops.add(ops.add(ops.multiply(cos, xs), ops.multiply(sin, ys)), cx)
        new_y = ops.add(ops.subtract(ops.multiply(cos, ys), ops.multiply(sin, xs)), cy)
        boxes["boxes"] = ops.stack([ops.min(new_x, axis=-1), ops.min(new_y, axis=-1),
                                    ops.max(new_x, axis=-1), ops.max(new_y, axis=-1)], axis=-1)
        boxes = box_utils.clip_to_image_size(boxes, height, width, "xyxy")
        return box_utils.convert_format(boxes, "xyxy", self.bounding_box_format, height, width)

    def get_config(self):
        config = super().get_config()
        config.update({"factor": self.factor, "fill_mode": self.fill_mode,
                       "fill_value": self.fill_value, "interpolation": self.interpolation,
                       "seed": self.seed})
        return config


@keras_export("keras.layers.RandomZoom")
class RandomZoom(_AffineLayer):
    """Randomly zooms images in or out about their centre in training
    (identity at inference).

    Args:
        height_factor: A float, or a pair ``(lower, upper)``, in (-1, 1]:
            the vertical zoom as a fraction; positive values zoom *out*
            (``0.2`` shows up to 20% more), negative values zoom in. A float
            ``f`` means ``(-f, f)``.
        width_factor: The same horizontally; None keeps the aspect ratio
            (the height's zoom is used).
        fill_mode: ``"reflect"`` (default), ``"wrap"``, ``"constant"`` or ``"nearest"``.
        interpolation: ``"bilinear"`` (default) or ``"nearest"``.
        seed: Integer seed.
        fill_value: The value outside the input for ``fill_mode="constant"``.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        **kwargs: Base layer arguments (``name``, ``dtype``, ``bounding_box_format``).

    Input shape:
        3D ``(height, width, channels)`` or 4D ``(batch, height, width,
        channels)`` images (``channels_first``: channels before height
        and width), or the dict form ``{"images": ..., "labels": ...,
        "bounding_boxes": ..., "segmentation_masks": ...}``.

    Output shape:
        The input's shape (a dict keeps its keys).

    Examples:
        >>> brickwork.layers.RandomZoom(0.2, seed=0)(np.zeros((2, 8, 8, 3))).shape
        (2, 8, 8, 3)
    """

    def __init__(self, height_factor, width_factor=None, fill_mode="reflect",
                 interpolation="bilinear", seed=None, fill_value=0.0, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.height_factor = height_factor
        self.height_lower, self.height_upper = self._zoom_range("height_factor", height_factor)
        self.width_factor = width_factor
        if width_factor is not None:
            self.width_lower, self.width_upper = self._zoom_range("width_factor", width_factor)
        self._init_affine(fill_mode, interpolation, fill_value, seed)

    def _zoom_range(self, argument, factor):
        lower, upper = factor_range(self.name, argument, factor, (-1, 1), strict=True)
        if lower <= -1.0:
            raise ValueError(f"Layer {self.name!r}: `{argument}` must lie in (-1, 1] (a zoom "
                             f"of -1 would shrink the view to nothing). Received: "
                             f"{argument}={factor!r}")
        return lower, upper

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        shape = self._image_shape(data)
        batch = 1 if len(shape) == 3 else shape[0]
        seed = self.generator if seed is None else seed
        height_zoom = self._uniform((batch, 1), 1.0 + self.height_lower, 1.0 + self.height_upper,
                                    seed)
        width_zoom = height_zoom if self.width_factor is None else self._uniform(
            (batch, 1), 1.0 + self.width_lower, 1.0 + self.width_upper, seed)
        return {"height_zoom": height_zoom, "width_zoom": width_zoom, "input_shape": shape}

    def _matrix(self, transformation, height, width):
        zoom_x = ops.reshape(self._tensor(transformation["width_zoom"], "float32"), (-1, 1))
        zoom_y = ops.reshape(self._tensor(transformation["height_zoom"], "float32"), (-1, 1))
        batch = ops.shape(zoom_x)[0]
        zeros = ops.zeros((batch, 1))
        x_offset = ops.multiply((float(width) - 1.0) / 2.0, ops.subtract(1.0, zoom_x))
        y_offset = ops.multiply((float(height) - 1.0) / 2.0, ops.subtract(1.0, zoom_y))
        return ops.concatenate([zoom_x, zeros, x_offset, zeros, zoom_y, y_offset, zeros, zeros],
                               axis=1)

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        """The visible window (in input pixels) becomes the whole image:
        boxes are clipped to it and rescaled."""
        if not training or transformation is None:
            return bounding_boxes
        height, width = self._box_size(transformation)
        boxes = box_utils.convert_format(bounding_boxes, self.bounding_box_format, "xyxy",
                                         height, width)
        matrix = self._matrix(transformation, height, width)
        w_start, h_start = matrix[:, 2:3], matrix[:, 5:6]
        w_end = ops.add(ops.multiply(matrix[:, 0:1], float(width)), w_start)
        h_end = ops.add(ops.multiply(matrix[:, 4:5], float(height)), h_start)
        if len(ops.shape(boxes["boxes"])) == 3:
            w_start, h_start, w_end, h_end = (ops.expand_dims(v, -1)
                                              for v in (w_start, h_start, w_end, h_end))
        x1, y1, x2, y2 = box_utils.split(boxes["boxes"])
        clip_x = lambda v: ops.subtract(ops.clip(v, w_start, w_end), w_start)  # noqa: E731
        clip_y = lambda v: ops.subtract(ops.clip(v, h_start, h_end), h_start)  # noqa: E731
        boxes["boxes"] = box_utils.join([clip_x(x1), clip_y(y1), clip_x(x2), clip_y(y2)])
        window_h, window_w = ops.subtract(h_end, h_start), ops.subtract(w_end, w_start)
        boxes = box_utils.convert_format(boxes, "xyxy", "rel_xyxy", window_h, window_w)
        boxes = box_utils.clip_to_image_size(boxes, bounding_box_format="rel_xyxy")
        return box_utils.convert_format(boxes, "rel_xyxy", self.bounding_box_format, height, width)

    def get_config(self):
        config = super().get_config()
        config.update({"height_factor": self.height_factor, "width_factor": self.width_factor,
                       "fill_mode": self.fill_mode, "interpolation": self.interpolation,
                       "seed": self.seed, "fill_value": self.fill_value})
        return config


@keras_export("keras.layers.RandomShear")
class RandomShear(_AffineLayer):
    """Randomly shears images in training (identity at inference).

    Args:
        x_factor: A float in [0, 1], or a pair in [-1, 1]: the horizontal
            shear (the shift of a row per unit of height); its sign is also
            flipped at random. A float ``f`` means ``(-f, f)``.
        y_factor: The same vertically.
        interpolation: ``"bilinear"`` (default) or ``"nearest"``.
        fill_mode: ``"reflect"`` (default), ``"wrap"``, ``"constant"`` or ``"nearest"``.
        fill_value: The value outside the input for ``fill_mode="constant"``.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        seed: Integer seed.
        **kwargs: Base layer arguments (``name``, ``dtype``, ``bounding_box_format``).

    Input shape:
        3D ``(height, width, channels)`` or 4D ``(batch, height, width,
        channels)`` images (``channels_first``: channels before height
        and width), or the dict form ``{"images": ..., "labels": ...,
        "bounding_boxes": ..., "segmentation_masks": ...}``.

    Output shape:
        The input's shape (a dict keeps its keys).

    Examples:
        >>> brickwork.layers.RandomShear(x_factor=0.2)(np.zeros((2, 8, 8, 3))).shape
        (2, 8, 8, 3)
    """

    def __init__(self, x_factor=0.0, y_factor=0.0, interpolation="bilinear", fill_mode="reflect",
                 fill_value=0.0, data_format=None, seed=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.x_factor = self._shear_range("x_factor", x_factor)
        self.y_factor = self._shear_range("y_factor", y_factor)
        self._init_affine(fill_mode, interpolation, fill_value, seed)

    def _shear_range(self, argument, factor):
        if isinstance(factor, (tuple, list)):
            # Keras's configs store a number f as (-f, f), so pairs may be negative.
            return factor_range(self.name, argument, factor, (-1, 1), strict=True)
        factor_range(self.name, argument, factor, (0, 1), strict=True)
        return -abs(factor), abs(factor)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        shape = self._image_shape(data)
        batch = 1 if len(shape) == 3 else shape[0]
        seed = self.generator if seed is None else seed
        sign = ops.where(ops.greater(self._uniform((batch, 1), 0.0, 1.0, seed), 0.5), -1.0, 1.0)
        shear_y = self._uniform((batch, 1), self.y_factor[0], self.y_factor[1], seed)
        shear_x = self._uniform((batch, 1), self.x_factor[0], self.x_factor[1], seed)
        factor = ops.multiply(ops.concatenate([shear_x, shear_y], axis=1), ops.cast(sign,
                                                                                   "float32"))
        return {"shear_factor": self._cast(factor), "input_shape": shape}

    def _matrix(self, transformation, height, width):
        factor = self._tensor(transformation["shear_factor"], "float32")
        batch = ops.shape(factor)[0]
        ones, zeros = ops.ones((batch,)), ops.zeros((batch,))
        return ops.stack([ones, factor[:, 0], zeros, factor[:, 1], ones, zeros, zeros, zeros],
                         axis=1)

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        """Keras's box shear (in relative coordinates), then clipping."""
        if not training or transformation is None:
            return bounding_boxes
        height, width = self._box_size(transformation)
        boxes = box_utils.convert_format(bounding_boxes, self.bounding_box_format, "rel_xyxy",
                                         height, width)
        factor = self._tensor(transformation["shear_factor"], "float32")
        sx, sy = factor[:, 0:1], factor[:, 1:2]  # (N, 1) against (N, B) coordinates
        x1, y1, x2, y2 = (ops.squeeze(v, -1) for v in box_utils.split(boxes["boxes"]))
        negative_x, positive_y = ops.less(sx, 0), ops.greater(sy, 0)
        x1, x2 = (ops.where(negative_x, ops.subtract(x1, ops.multiply(sx, y1)),
                            ops.subtract(x1, ops.multiply(sx, y2))),
                  ops.where(negative_x, ops.subtract(x2, ops.multiply(sx, y2)),
                            ops.subtract(x2, ops.multiply(sx, y1))))
        y1, y2 = (ops.where(positive_y, ops.subtract(y1, ops.multiply(sy, x2)),
                            ops.subtract(y1, ops.multiply(sy, x1))),
                  ops.where(positive_y, ops.subtract(y2, ops.multiply(sy, x1)),
                            ops.subtract(y2, ops.multiply(sy, x2))))
        boxes["boxes"] = ops.stack([x1, y1, x2, y2], axis=-1)
        boxes = box_utils.clip_to_image_size(boxes, bounding_box_format="rel_xyxy")
        return box_utils.convert_format(boxes, "rel_xyxy", self.bounding_box_format, height, width)

    def get_config(self):
        config = super().get_config()
        config.update({"x_factor": self.x_factor, "y_factor": self.y_factor,
                       "fill_mode": self.fill_mode, "interpolation": self.interpolation,
                       "seed": self.seed, "fill_value": self.fill_value})
        return config


@keras_export("keras.layers.RandomPerspective")
class RandomPerspective(BaseImagePreprocessingLayer):
    """Randomly warps images by a perspective transform in training
    (identity at inference).

    Each image is warped with probability drawn from ``factor``; its four
    corners move by up to ``scale / 2`` of their coordinates.

    Args:
        factor: A float, or a pair, in [0, 1]: the probability of warping
            an image (a float ``f`` means ``(0, f)``: a probability drawn
            uniformly from it).
        scale: A float in [0, 1]: the strength of the warp.
        interpolation: ``"bilinear"`` (default) or ``"nearest"``.
        fill_value: The value outside the input.
        seed: Integer seed.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        **kwargs: Base layer arguments (``name``, ``dtype``, ``bounding_box_format``).

    Input shape:
        3D ``(height, width, channels)`` or 4D ``(batch, height, width,
        channels)`` images (``channels_first``: channels before height
        and width), or the dict form ``{"images": ..., "labels": ...,
        "bounding_boxes": ..., "segmentation_masks": ...}``.

    Output shape:
        The input's shape (a dict keeps its keys).

    Examples:
        >>> brickwork.layers.RandomPerspective(scale=0.5)(np.zeros((2, 8, 8, 3))).shape
        (2, 8, 8, 3)
    """

    _USE_BASE_FACTOR = False
    _FACTOR_BOUNDS = (0, 1)

    def __init__(self, factor=1.0, scale=1.0, interpolation="bilinear", fill_value=0.0, seed=None,
                 data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self._set_factor(factor)
        if isinstance(scale, bool) or not isinstance(scale, (int, float)) or not 0 <= scale <= 1:
            raise ValueError(f"Layer {self.name!r}: the `scale` argument should be a number in "
                             f"the range [0, 1]. Received: scale={scale!r}")
        self.scale = scale
        self.fill_value = fill_value
        self.interpolation = check_choice(self.name, "interpolation", interpolation,
                                          _INTERPOLATIONS)
        self.seed = seed
        self.generator = SeedGenerator(seed)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        shape = self._image_shape(data)
        batch = 1 if len(shape) == 3 else shape[0]
        height, width = self._size(shape)
        seed = self.generator if seed is None else seed
        probability = self._uniform((batch,), self.factor[0], self.factor[1], seed)
        apply = ops.less(self._uniform((batch,), 0.0, 1.0, seed), probability)
        offsets = self._uniform((batch, 4, 2), -0.5 * self.scale, 0.5 * self.scale, seed,
                                dtype=self.compute_dtype)
        corners = ops.convert_to_tensor([[0.0, 0.0], [width - 1.0, 0.0], [0.0, height - 1.0],
                                         [width - 1.0, height - 1.0]], dtype=self.compute_dtype)
        start = ops.broadcast_to(corners, (batch, 4, 2))
        end = ops.add(start, ops.multiply(start, offsets))
        return {"apply_perspective": apply, "start_points": start, "end_points": end,
                "input_shape": shape}

    def _transform_images(self, images, transformation):
        warped = ops.image.perspective_transform(
            images, self._tensor(transformation["start_points"], "float32"),
            self._tensor(transformation["end_points"], "float32"),
            interpolation=self.interpolation, fill_value=self.fill_value,
            data_format=self.data_format)
        apply = ops.reshape(self._tensor(transformation["apply_perspective"]), (-1, 1, 1, 1))
        return ops.where(apply, warped, images)

    def transform_segmentation_masks(self, segmentation_masks, transformation, training=True):
        return self._geometric_masks(segmentation_masks, transformation, training)

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        """The box corners go through the inverse homography; the new box is
        their bounding box, clipped to the image (boxes stay in ``xyxy``, as Keras)."""
        if not training or transformation is None:
            return bounding_boxes
        height, width = self._size(transformation["input_shape"])
        boxes = box_utils.convert_format(bounding_boxes, self.bounding_box_format, "xyxy",
                                         height, width)
        coefficients = image_augment.compute_homography_matrix(
            transformation["start_points"], transformation["end_points"])
        batch = ops.shape(coefficients)[0]
        matrix = ops.reshape(ops.concatenate([coefficients, ops.ones((batch, 1))], axis=1),
                             (batch, 3, 3))
        inverse = ops.inv(matrix)  # input points -> output points
        x1, y1, x2, y2 = box_utils.split(boxes["boxes"])  # (N, B, 1)
        xs = ops.concatenate([x1, x2, x1, x2], axis=-1)
        ys = ops.concatenate([y1, y2, y2, y1], axis=-1)
        points = ops.stack([xs, ys, ops.ones_like(xs)], axis=-1)  # (N, B, 4, 3)
        mapped = ops.einsum("nij,nbkj->nbki", inverse, points)
        px = ops.divide(mapped[..., 0], mapped[..., 2])
        py = ops.divide(mapped[..., 1], mapped[..., 2])
        warped = ops.stack([ops.min(px, axis=-1), ops.min(py, axis=-1), ops.max(px, axis=-1),
                            ops.max(py, axis=-1)], axis=-1)
        apply = ops.reshape(self._tensor(transformation["apply_perspective"]), (-1, 1, 1))
        boxes["boxes"] = ops.where(apply, warped, boxes["boxes"])
        return box_utils.clip_to_image_size(boxes, height, width, "xyxy")

    def get_config(self):
        config = super().get_config()
        config.update({"factor": self.factor, "scale": self.scale,
                       "interpolation": self.interpolation, "fill_value": self.fill_value,
                       "seed": self.seed})
        return config


@keras_export("keras.layers.RandomElasticTransform")
class RandomElasticTransform(BaseImagePreprocessingLayer):
    """Randomly distorts images by a smooth random displacement field in
    training (identity at inference).

    Args:
        factor: A float, or a pair, in [0, 1]: the probability of distorting
            an image (``f`` means ``(0, f)``).
        scale: A float, or a pair, in [0, 1]: the strength of the field
            (``alpha = 0.1 * scale * max(H, W)``, ``sigma = 0.05 * scale * min(H, W)``).
        interpolation: ``"bilinear"`` (default) or ``"nearest"``.
        fill_mode: ``"reflect"`` (default), ``"mirror"``, ``"wrap"``,
            ``"constant"`` or ``"nearest"``.
        fill_value: The value outside the input for ``fill_mode="constant"``.
        value_range: The range of the pixel values; outputs are clipped to it.
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
        >>> brickwork.layers.RandomElasticTransform(seed=0)(np.zeros((2, 8, 8, 3))).shape
        (2, 8, 8, 3)
    """

    _USE_BASE_FACTOR = False
    _FACTOR_BOUNDS = (0, 1)

    def __init__(self, factor=1.0, scale=1.0, interpolation="bilinear", fill_mode="reflect",
                 fill_value=0.0, value_range=(0, 255), seed=None, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self._set_factor(factor)
        self.scale = factor_range(self.name, "scale", scale, self._FACTOR_BOUNDS)
        self.interpolation = check_choice(self.name, "interpolation", interpolation,
                                          _INTERPOLATIONS)
        self.fill_mode = check_choice(self.name, "fill_mode", fill_mode,
                                      ("constant", "nearest", "wrap", "mirror", "reflect"))
        self.fill_value = fill_value
        self.value_range = check_value_range(self.name, value_range, sort=False)
        self.seed = seed
        self.generator = SeedGenerator(seed)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training or self.scale[1] == 0 or self.factor[1] == 0:
            return None
        batch = self._batch_size(data)
        seed = self.generator if seed is None else seed
        probability = self._uniform((batch,), self.factor[0], self.factor[1], seed)
        apply = ops.less(self._uniform((batch,), 0.0, 1.0, seed), probability)
        distortion = self._uniform((), self.scale[0], self.scale[1], seed)
        # The displacement field's own seed, drawn now so the transformation replays.
        field_seed = int(ops.convert_to_numpy(bk_random.randint((), 0, 2**31 - 1, seed=seed)))
        return {"apply_transform": apply, "distortion_factor": distortion, "seed": field_seed}

    def _transform_images(self, images, transformation):
        height, width = self._size(ops.shape(images))
        factor = float(ops.convert_to_numpy(transformation["distortion_factor"]))
        alpha = max(height, width) * 0.1 * factor
        sigma = min(height, width) * 0.05 * factor
        if sigma > 0:
            warped = ops.image.elastic_transform(
                images, alpha=alpha, sigma=sigma, interpolation=self.interpolation,
                fill_mode=self.fill_mode, fill_value=self.fill_value,
                seed=transformation["seed"], data_format=self.data_format)
        else:
            warped = images
        apply = ops.reshape(self._tensor(transformation["apply_transform"]), (-1, 1, 1, 1))
        images = ops.where(apply, self._cast(warped), images)
        return ops.clip(images, self.value_range[0], self.value_range[1])

    def transform_segmentation_masks(self, segmentation_masks, transformation, training=True):
        return self._geometric_masks(segmentation_masks, transformation, training)

    def get_config(self):
        config = super().get_config()
        config.update({"factor": self.factor, "scale": self.scale,
                       "interpolation": self.interpolation, "fill_mode": self.fill_mode,
                       "fill_value": self.fill_value, "value_range": self.value_range,
                       "seed": self.seed})
        return config


@keras_export("keras.layers.MaxNumBoundingBoxes")
class MaxNumBoundingBoxes(BaseImagePreprocessingLayer):
    """Pads or truncates the bounding boxes of each image to ``max_number``,
    so that batches of boxes have a fixed shape.

    Args:
        max_number: The number of boxes per image in the output.
        fill_value: The value of padded boxes' coordinates and labels (-1).
        **kwargs: Base layer arguments (``name``, ``dtype``, ``bounding_box_format``).

    Input shape:
        The dict form ``{"images": ..., "bounding_boxes": {"boxes": (N, B,
        4), "labels": (N, B)}}``.

    Output shape:
        The same, with ``B`` replaced by ``max_number``.

    Examples:
        >>> layer = brickwork.layers.MaxNumBoundingBoxes(3, bounding_box_format="xyxy")
        >>> out = layer({"images": np.zeros((1, 8, 8, 3)),
        ...              "bounding_boxes": {"boxes": np.zeros((1, 1, 4)), "labels": np.zeros((1, 1))}})
        >>> out["bounding_boxes"]["boxes"].shape
        (1, 3, 4)
    """

    _USE_BASE_FACTOR = False

    def __init__(self, max_number, fill_value=-1, **kwargs):
        super().__init__(**kwargs)
        if isinstance(max_number, bool) or int(max_number) < 1:
            raise ValueError(f"Layer {self.name!r}: `max_number` must be a positive integer. "
                             f"Received: max_number={max_number!r}")
        self.max_number = int(max_number)
        self.fill_value = int(fill_value)

    def transform_images(self, images, transformation=None, training=True):
        return images

    def transform_bounding_boxes(self, bounding_boxes, transformation=None, training=True):
        boxes, labels = bounding_boxes["boxes"], bounding_boxes["labels"]
        count = ops.shape(boxes)[1]
        pad = max(self.max_number - count, 0)
        boxes = ops.pad(boxes[:, :self.max_number], ((0, 0), (0, pad), (0, 0)),
                        constant_values=self.fill_value)
        labels = ops.pad(labels[:, :self.max_number], ((0, 0), (0, pad)),
                         constant_values=self.fill_value)
        result = dict(bounding_boxes)
        result.update(boxes=boxes, labels=labels)
        return result

    def compute_output_shape(self, input_shape):
        if isinstance(input_shape, dict) and "bounding_boxes" in input_shape:
            shape = dict(input_shape)
            shapes = dict(shape["bounding_boxes"])
            extra = set(shapes) - {"boxes", "labels"}
            if extra:
                raise KeyError(f"Layer {self.name!r}: unsupported keys in `bounding_boxes`: "
                               f"{sorted(extra)}. Only 'boxes' and 'labels' are supported.")
            boxes, labels = list(shapes["boxes"]), list(shapes["labels"])
            boxes[1] = labels[1] = self.max_number
            shapes.update(boxes=tuple(boxes), labels=tuple(labels))
            shape["bounding_boxes"] = shapes
            return shape
        return input_shape

    def get_config(self):
        config = super().get_config()
        config["max_number"] = self.max_number
        return config
