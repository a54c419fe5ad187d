"""Augmentation policies built from the other layers: AugMix, RandAugment,
and Pipeline (a sequence of layers applied to the same data, dicts included)."""
from __future__ import annotations

from brickwork import ops
from brickwork import random as bk_random
from brickwork.api_export import keras_export
from brickwork.layers.augmentation.base import BaseImagePreprocessingLayer, check_choice
from brickwork.layers.augmentation.color import (AutoContrast, Equalization, RandomBrightness,
                                                 RandomColorDegeneration, RandomContrast,
                                                 RandomPosterization, RandomSharpness,
                                                 Solarization)
from brickwork.layers.augmentation.geometric import RandomRotation, RandomShear, RandomTranslation
from brickwork.layers.layer import Layer
from brickwork.random import SeedGenerator
from brickwork.saving.serialization import deserialize_keras_object, serialize_keras_object

_GEOMETRIC_AND_TONE = ["random_shear", "random_translation", "random_rotation",
                       "random_posterization", "solarization", "auto_contrast", "equalization"]
_COLOR = ["random_brightness", "random_color_degeneration", "random_contrast", "random_sharpness"]


class _PolicyLayer(BaseImagePreprocessingLayer):
    """Makes the eleven operations AugMix and RandAugment choose from, all
    with the policy's ``factor``, ``value_range``, ``interpolation`` and ``seed``."""

    _USE_BASE_FACTOR = False
    _FACTOR_BOUNDS = (0, 1)

    def _make_operations(self, names, value_range, interpolation, seed, data_format):
        shared = {"seed": seed, "data_format": data_format}
        tone = {"value_range": value_range, **shared}
        makers = {
            "random_shear": lambda: RandomShear(x_factor=self.factor, y_factor=self.factor,
                                                interpolation=interpolation, **shared),
            "random_translation": lambda: RandomTranslation(
                height_factor=self.factor, width_factor=self.factor,
                interpolation=interpolation, **shared),
            "random_rotation": lambda: RandomRotation(factor=self.factor,
                                                      interpolation=interpolation, **shared),
            "random_brightness": lambda: RandomBrightness(factor=self.factor, **tone),
            "random_color_degeneration": lambda: RandomColorDegeneration(factor=self.factor,
                                                                         **tone),
            "random_contrast": lambda: RandomContrast(factor=self.factor, **tone),
            "random_sharpness": lambda: RandomSharpness(factor=self.factor, **tone),
            "random_posterization": lambda: RandomPosterization(
                factor=max(1, int(8 * self.factor[1])), **tone),
            "solarization": lambda: Solarization(addition_factor=self.factor,
                                                 threshold_factor=self.factor, **tone),
            "auto_contrast": lambda: AutoContrast(value_range=value_range,
                                                  data_format=data_format),
            "equalization": lambda: Equalization(value_range=value_range,
                                                 data_format=data_format),
        }
        self._operation_names = list(names)
        for name in names:
            setattr(self, name, makers[name]())

    def _operation(self, name):
        return getattr(self, name)


@keras_export("keras.layers.AugMix")
class AugMix(_PolicyLayer):
    """AugMix in training: ``num_chains`` chains of up to ``chain_depth``
    random operations each are mixed with Dirichlet weights, then blended
    with the original image by a Beta-distributed weight.

    Args:
        value_range: The range of the pixel values, ``(0, 255)`` by default.
        num_chains: The number of augmentation chains (3).
        chain_depth: The most operations per chain (3; each step may be skipped).
        factor: A float, or a pair, in [0, 1]: the strength of every
            operation (``f`` means ``(0, f)``).
        alpha: The Dirichlet and Beta parameter (1.0).
        all_ops: Whether brightness, colour degeneration, contrast and
            sharpness are among the operations (True).
        interpolation: ``"bilinear"`` (default) or ``"nearest"``.
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
        >>> brickwork.layers.AugMix(seed=0)(np.zeros((2, 8, 8, 3))).shape
        (2, 8, 8, 3)
    """

    def __init__(self, value_range=(0, 255), num_chains=3, chain_depth=3, factor=0.3, alpha=1.0,
                 all_ops=True, interpolation="bilinear", seed=None, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.value_range = value_range
        self.num_chains = num_chains
        self.chain_depth = chain_depth
        self._set_factor(factor)
        self.alpha = alpha
        self.all_ops = all_ops
        self.interpolation = check_choice(self.name, "interpolation", interpolation,
                                          ("nearest", "bilinear"))
        self.seed = seed
        self.generator = SeedGenerator(seed)
        names = _GEOMETRIC_AND_TONE + (_COLOR if all_ops else [])
        self._make_operations(names, value_range, interpolation, seed, data_format)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        seed = self.generator if seed is None else seed
        gammas = bk_random.gamma((self.num_chains,), float(self.alpha), seed=seed)
        chain_weights = ops.divide(gammas, ops.sum(gammas, axis=-1, keepdims=True))
        weight = bk_random.beta((), float(self.alpha), float(self.alpha), seed=seed)
        choices = ops.convert_to_numpy(bk_random.randint(
            (self.num_chains, self.chain_depth), 0, len(self._operation_names) + 1, seed=seed))
        chains = []
        for row in choices:
            steps = []
            for choice in row:
                if int(choice) == len(self._operation_names):
                    continue  # this step is skipped
                name = self._operation_names[int(choice)]
                steps.append({"layer_name": name,
                              "transformation": self._operation(name).get_random_transformation(
                                  data, training=True, seed=seed)})
            chains.append(steps)
        return {"chain_mixing_weights": chain_weights, "weight_sample": weight,
                "chain_transforms": chains}

    def _transform_images(self, images, transformation):
        weights = ops.cast(self._tensor(transformation["chain_mixing_weights"]), self.compute_dtype)
        weight = ops.cast(self._tensor(transformation["weight_sample"]), self.compute_dtype)
        mixed = ops.zeros_like(images)
        for index, chain in enumerate(transformation["chain_transforms"]):
            augmented = images
            for step in chain:
                augmented = self._operation(step["layer_name"]).transform_images(
                    augmented, step["transformation"])
            mixed = ops.add(mixed, ops.multiply(augmented, weights[index]))
        images = ops.add(ops.multiply(weight, images), ops.multiply(ops.subtract(1.0, weight),
                                                                    mixed))
        return ops.clip(images, self.value_range[0], self.value_range[1])

    def get_config(self):
        config = super().get_config()
        config.update({"value_range": self.value_range, "num_chains": self.num_chains,
                       "chain_depth": self.chain_depth, "factor": self.factor,
                       "alpha": self.alpha, "all_ops": self.all_ops,
                       "interpolation": self.interpolation, "seed": self.seed})
        return config


@keras_export("keras.layers.RandAugment")
class RandAugment(_PolicyLayer):
    """RandAugment in training: ``num_ops`` operations, chosen at random
    (for the whole batch) from eleven, applied one after the other, each
    with a strength drawn from ``factor``.

    Args:
        value_range: The range of the pixel values, ``(0, 255)`` by default.
        num_ops: The number of operations applied (2).
        factor: A float, or a pair, in [0, 1]: the strength of every
            operation (``f`` means ``(0, f)``).
        interpolation: ``"bilinear"`` (default) or ``"nearest"``.
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
        >>> brickwork.layers.RandAugment(seed=0)(np.zeros((2, 8, 8, 3))).shape
        (2, 8, 8, 3)
    """

    _AUGMENT_LAYERS = ["random_shear", "random_translation", "random_rotation",
                       "random_brightness", "random_color_degeneration", "random_contrast",
                       "random_sharpness", "random_posterization", "solarization",
                       "auto_contrast", "equalization"]

    def __init__(self, value_range=(0, 255), num_ops=2, factor=0.5, interpolation="bilinear",
                 seed=None, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.value_range = value_range
        if isinstance(num_ops, bool) or not isinstance(num_ops, int) or num_ops < 0:
            raise ValueError(f"Layer {self.name!r}: `num_ops` must be a non-negative integer. "
                             f"Received: num_ops={num_ops!r}")
        self.num_ops = num_ops
        self._set_factor(factor)
        self.interpolation = check_choice(self.name, "interpolation", interpolation,
                                          ("nearest", "bilinear"))
        self.seed = seed
        self.generator = SeedGenerator(seed)
        self._make_operations(self._AUGMENT_LAYERS, value_range, interpolation, seed, data_format)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        seed = self.generator if seed is None else seed
        indices = bk_random.randint((self.num_ops,), 0, len(self._AUGMENT_LAYERS), seed=seed) \
            if self.num_ops else ops.zeros((0,), dtype="int32")
        transforms = {name: self._operation(name).get_random_transformation(data, training=True,
                                                                            seed=seed)
                      for name in self._AUGMENT_LAYERS}
        return {"transforms": transforms, "layer_idxes": indices}

    def _chosen(self, transformation):
        indices = ops.convert_to_numpy(transformation["layer_idxes"]).reshape(-1)
        return [self._AUGMENT_LAYERS[int(i)] for i in indices]

    def _transform_images(self, images, transformation):
        for name in self._chosen(transformation):
            images = self._operation(name).transform_images(images,
                                                            transformation["transforms"][name])
        return self._cast(images)

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        if not training or transformation is None:
            return bounding_boxes
        for name in self._chosen(transformation):
            layer = self._operation(name)
            layer.bounding_box_format = self.bounding_box_format
            bounding_boxes = layer.transform_bounding_boxes(
                bounding_boxes, transformation["transforms"][name], training=True)
        return bounding_boxes

    def get_config(self):
        config = super().get_config()
        config.update({"value_range": self.value_range, "num_ops": self.num_ops,
                       "factor": self.factor, "interpolation": self.interpolation,
                       "seed": self.seed})
        return config


@keras_export("keras.layers.Pipeline")
class Pipeline(Layer):
    """Applies a sequence of layers to the same input, one after the other.

    Unlike a ``Sequential`` model it is a layer, and passes dicts (images
    with labels, bounding boxes, segmentation masks) from one augmentation
    layer to the next, and ``training`` to each layer that takes it.

    Args:
        layers: A list of layers.
        name: The layer's name.

    Input shape:
        What the first layer accepts: for augmentation layers, 3D or 4D
        images or the dict form.

    Output shape:
        What the last layer returns.

    Examples:
        >>> pipeline = brickwork.layers.Pipeline([
        ...     brickwork.layers.RandomFlip(), brickwork.layers.RandomRotation(0.2)])
        >>> pipeline(np.zeros((2, 8, 8, 3))).shape
        (2, 8, 8, 3)
    """

    def __init__(self, layers, name=None):
        super().__init__(name=name)
        if not isinstance(layers, (list, tuple)) or not all(isinstance(layer, Layer)
                                                           for layer in layers):
            raise ValueError(f"Pipeline {self.name!r}: `layers` must be a list of layers. "
                             f"Received: layers={layers!r}")
        self._pipeline_layers = list(layers)
        self.built = True

    @property
    def layers(self):
        return self._pipeline_layers

    def call(self, inputs, training=True):
        for layer in self._pipeline_layers:
            if layer._call_has_training_arg and training is not None:
                inputs = layer(inputs, training=training)
            else:
                inputs = layer(inputs)
        return inputs

    def compute_output_shape(self, input_shape):
        for layer in self._pipeline_layers:
            input_shape = layer.compute_output_shape(input_shape)
        return input_shape

    @classmethod
    def from_config(cls, config, custom_objects=None):
        layers = config.get("layers")
        if not isinstance(layers, (list, tuple)):
            raise ValueError(f"A Pipeline config needs a `layers` list of serialized layers. "
                             f"Received: layers={layers!r}")
        config = dict(config)
        config["layers"] = [deserialize_keras_object(layer, custom_objects=custom_objects)
                            for layer in layers]
        return cls(**config)

    def get_config(self):
        return {"layers": [serialize_keras_object(layer) for layer in self._pipeline_layers],
                "name": self.name}
