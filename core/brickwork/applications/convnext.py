"""ConvNeXt Tiny to XLarge (Liu et al., 2022), as ``keras.applications.convnext``.

With ``include_preprocessing=True`` (the default) the models normalize their
inputs themselves (pixels in `[0, 255]` go in), so ``preprocess_input`` here
returns its input. ``LayerScale`` and ``StochasticDepth`` are registered under
Keras's module name, so `.keras` files Keras wrote for these models load.
"""
import numpy as np

from brickwork import backend, initializers, layers, ops, random
from brickwork.api_export import keras_export
from brickwork.applications import imagenet_utils
from brickwork.layers import Layer
from brickwork.models import Model, Sequential

_WEIGHTS_DIR = imagenet_utils.WEIGHTS_URL + "convnext/"
MODEL_CONFIGS = {
    "tiny": {"depths": [3, 3, 9, 3], "projection_dims": [96, 192, 384, 768], "default_size": 224},
    "small": {"depths": [3, 3, 27, 3], "projection_dims": [96, 192, 384, 768],
              "default_size": 224},
    "base": {"depths": [3, 3, 27, 3], "projection_dims": [128, 256, 512, 1024],
             "default_size": 224},
    "large": {"depths": [3, 3, 27, 3], "projection_dims": [192, 384, 768, 1536],
              "default_size": 224},
    "xlarge": {"depths": [3, 3, 27, 3], "projection_dims": [256, 512, 1024, 2048],
               "default_size": 224},
}


@keras_export("keras.src.applications.convnext.StochasticDepth")
class StochasticDepth(Layer):
    """Drops a whole residual branch per batch during training (stochastic depth).

    Args:
        drop_path_rate: Probability of dropping the branch, in `[0, 1]`.

    Input shape:
        Any.

    Output shape:
        Same as the input: the input itself at inference; in training either
        zeros or the input divided by the keep probability.

    Example:

    >>> layer = StochasticDepth(0.1)
    >>> ops.convert_to_numpy(layer(np.ones((1, 3))))  # inference: unchanged
    array([[1., 1., 1.]], dtype=float32)
    """

    def __init__(self, drop_path_rate, **kwargs):
        super().__init__(**kwargs)
        self.drop_path_rate = drop_path_rate

    def call(self, x, training=None):
        if not training:
            return x
        keep_prob = 1 - self.drop_path_rate
        shape = (ops.shape(x)[0],) + (1,) * (len(x.shape) - 1)
        mask = ops.floor(keep_prob + random.uniform(shape, 0, 1))
        return (x / keep_prob) * mask

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update({"drop_path_rate": self.drop_path_rate})
        return config


@keras_export("keras.src.applications.convnext.LayerScale")
class LayerScale(Layer):
    """Multiplies each channel by a learned scale (`gamma`), initialized to `init_values`.

    Args:
        init_values: Initial value of every scale, a small float.
        projection_dim: Number of channels (the last axis).

    Input shape:
        `(..., projection_dim)`.

    Output shape:
        Same as the input.

    Example:

    >>> layer = LayerScale(1e-6, 4)
    >>> layer(np.ones((1, 4))).shape
    (1, 4)
    """

    def __init__(self, init_values, projection_dim, **kwargs):
        super().__init__(**kwargs)
        self.init_values = init_values
        self.projection_dim = projection_dim

    def build(self, _):
        self.gamma = self.add_weight(shape=(self.projection_dim,),
                                     initializer=initializers.Constant(self.init_values),
                                     trainable=True)

    def call(self, x):
        return x * self.gamma

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update({"init_values": self.init_values, "projection_dim": self.projection_dim})
        return config


def ConvNeXtBlock(projection_dim, drop_path_rate=0.0, layer_scale_init_value=1e-6, name=None):
    """A ConvNeXt block: depthwise 7x7, LayerNorm, MLP (as Dense layers), scale, residual add."""
    if name is None:
        name = f"prestem{backend.get_uid('prestem')}"

    def apply(inputs):
        x = layers.Conv2D(filters=projection_dim, kernel_size=7, padding="same",
                          groups=projection_dim, name=f"{name}_depthwise_conv")(inputs)
        x = layers.LayerNormalization(epsilon=1e-6, name=f"{name}_layernorm")(x)
        x = layers.Dense(4 * projection_dim, name=f"{name}_pointwise_conv_1")(x)
        x = layers.Activation("gelu", name=f"{name}_gelu")(x)
        x = layers.Dense(projection_dim, name=f"{name}_pointwise_conv_2")(x)
        if layer_scale_init_value is not None:
            x = LayerScale(layer_scale_init_value, projection_dim, name=f"{name}_layer_scale")(x)
        if drop_path_rate:
            branch = StochasticDepth(drop_path_rate, name=f"{name}_stochastic_depth")
        else:
            branch = layers.Activation("linear", name=f"{name}_identity")
        return inputs + branch(x)  # an operation node, as in Keras
    return apply


def PreStem(name=None):
    """Normalizes `[0, 255]` inputs with the ImageNet-1k mean and standard deviation."""
    if name is None:
        name = f"prestem{backend.get_uid('prestem')}"

    def apply(x):
        return layers.Normalization(
            mean=[0.485 * 255, 0.456 * 255, 0.406 * 255],
            variance=[(0.229 * 255) ** 2, (0.224 * 255) ** 2, (0.225 * 255) ** 2],
            name=f"{name}_prestem_normalization")(x)
    return apply


def Head(num_classes=1000, classifier_activation=None, name=None):
    """The classification head: global average pooling, LayerNorm, Dense."""
    if name is None:
        name = str(backend.get_uid("head"))

    def apply(x):
        x = layers.GlobalAveragePooling2D(name=f"{name}_head_gap")(x)
        x = layers.LayerNormalization(epsilon=1e-6, name=f"{name}_head_layernorm")(x)
        return layers.Dense(num_classes, activation=classifier_activation,
                            name=f"{name}_head_dense")(x)
    return apply


def ConvNeXt(depths, projection_dims, drop_path_rate=0.0, layer_scale_init_value=1e-6,
             default_size=224, name="convnext", include_preprocessing=True, include_top=True,
             weights=None, input_tensor=None, input_shape=None, pooling=None, classes=1000,
             classifier_activation="softmax", weights_name=None):
    """Builds a ConvNeXt with the given stage depths and widths.

    Args:
        depths: Four integers, the number of blocks per stage.
        projection_dims: Four integers, the channels of each stage.
        drop_path_rate: Largest stochastic depth rate (grows linearly over blocks).
        layer_scale_init_value: Initial value of the layer scales (`None` for none).
        default_size: The default input size.
        name, include_preprocessing, include_top, weights, input_tensor,
        input_shape, pooling, classes, classifier_activation: As for `ConvNeXtTiny`.
        weights_name: Which published ImageNet weights fit this model.

    Returns:
        A `Model` instance.
    """
    if backend.image_data_format() == "channels_first":
        raise ValueError("ConvNeXt does not support the `channels_first` image data format. "
                         "Switch to `channels_last` with "
                         "`brickwork.backend.set_image_data_format('channels_last')`.")
    imagenet_utils.check_weights(weights, include_top, classes)
    input_shape = imagenet_utils.obtain_input_shape(
        input_shape, default_size=default_size, min_size=32,
        data_format=backend.image_data_format(), require_flatten=include_top, weights=weights)
    file_name = None
    if weights == "imagenet":
        variant = str(weights_name).split("convnext_")[-1]
        expected = MODEL_CONFIGS.get(variant)
        if expected is None or (list(depths) != expected["depths"]
                                or list(projection_dims) != expected["projection_dims"]):
            raise ValueError(f"Architecture configuration does not match {weights_name} "
                             f"variant. When using pre-trained weights, the model architecture "
                             f"must match the pre-trained configuration.")
        if weights_name not in name:
            raise ValueError(f'Model name "{name}" does not match weights variant '
                             f'"{weights_name}". When using imagenet weights, model name must '
                             f'contain the weights variant (e.g., "convnext_{variant}").')
        file_name = f"{name}{'.h5' if include_top else '_notop.h5'}"
    weights_file = imagenet_utils.locate_weights(weights, file_name,
                                                 _WEIGHTS_DIR + str(file_name), name)
    img_input = imagenet_utils.image_input(input_tensor, input_shape)
    if input_tensor is not None:
        inputs = imagenet_utils.model_inputs(input_tensor, img_input)[0]
        x = input_tensor
    else:
        inputs = x = img_input

    if include_preprocessing:
        channel_axis = 3 if backend.image_data_format() == "channels_last" else 1
        if input_shape[channel_axis - 1] == 3:
            x = PreStem(name=name)(x)

    stem = Sequential([
        layers.Conv2D(projection_dims[0], kernel_size=4, strides=4, name=f"{name}_stem_conv"),
        layers.LayerNormalization(epsilon=1e-6, name=f"{name}_stem_layernorm"),
    ], name=f"{name}_stem")
    downsample_layers = [stem] + [
        Sequential([
            layers.LayerNormalization(epsilon=1e-6, name=f"{name}_downsampling_layernorm_{i}"),
            layers.Conv2D(projection_dims[i + 1], kernel_size=2, strides=2,
                          name=f"{name}_downsampling_conv_{i}"),
        ], name=f"{name}_downsampling_block_{i}")
        for i in range(3)
    ]
    depth_drop_rates = [float(r) for r in np.linspace(0.0, drop_path_rate, sum(depths))]
    cur = 0
    for i in range(4):
        x = downsample_layers[i](x)
        for j in range(depths[i]):
            x = ConvNeXtBlock(projection_dim=projection_dims[i],
                              drop_path_rate=depth_drop_rates[cur + j],
                              layer_scale_init_value=layer_scale_init_value,
                              name=f"{name}_stage_{i}_block_{j}")(x)
        cur += depths[i]

    if include_top:
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = Head(num_classes=classes, classifier_activation=classifier_activation, name=name)(x)
    else:
        if pooling == "avg":
            x = layers.GlobalAveragePooling2D()(x)
        elif pooling == "max":
            x = layers.GlobalMaxPooling2D()(x)
        x = layers.LayerNormalization(epsilon=1e-6)(x)

    model = Model(inputs=inputs, outputs=x, name=name)
    return imagenet_utils.load_weights(model, weights_file)


_DOC = """Instantiates the {title} architecture.

    Reference: [A ConvNet for the 2020s](https://arxiv.org/abs/2201.03545)
    (CVPR 2022). With `include_preprocessing=True` inputs are float pixels in
    `[0, 255]`; `preprocess_input` is a pass-through.

    Args:
        include_top: Whether to include the classification head.
        include_preprocessing: Whether the model normalizes its inputs itself.
        weights: `None`, `"imagenet"` (read from `~/.keras/models`, never
            downloaded) or the path to a weights file.
        input_tensor: Optional Keras tensor to use as image input.
        input_shape: Optional shape tuple; at least 32 pixels high and wide.
        pooling: With `include_top=False`: `None`, `"avg"` or `"max"`.
        classes: Number of classes (with `include_top=True`).
        classifier_activation: The activation of the top layer.
        name: The name of the model (string).

    Returns:
        A `Model` instance.
    """


def _constructor(title, variant):
    default_name = f"convnext_{variant}"

    def constructor(include_top=True, include_preprocessing=True, weights="imagenet",
                    input_tensor=None, input_shape=None, pooling=None, classes=1000,
                    classifier_activation="softmax", name=default_name):
        cfg = MODEL_CONFIGS[variant]
        return ConvNeXt(weights_name=default_name, depths=cfg["depths"],
                        projection_dims=cfg["projection_dims"], drop_path_rate=0.0,
                        layer_scale_init_value=1e-6, default_size=cfg["default_size"],
                        name=name, include_top=include_top,
                        include_preprocessing=include_preprocessing, weights=weights,
                        input_tensor=input_tensor, input_shape=input_shape, pooling=pooling,
                        classes=classes, classifier_activation=classifier_activation)
    constructor.__name__ = constructor.__qualname__ = title
    constructor.__doc__ = _DOC.format(title=title)
    return constructor


ConvNeXtTiny = _constructor("ConvNeXtTiny", "tiny")
ConvNeXtSmall = _constructor("ConvNeXtSmall", "small")
ConvNeXtBase = _constructor("ConvNeXtBase", "base")
ConvNeXtLarge = _constructor("ConvNeXtLarge", "large")
ConvNeXtXLarge = _constructor("ConvNeXtXLarge", "xlarge")

preprocess_input = imagenet_utils.family_preprocess(None, "ConvNeXt")
decode_predictions = imagenet_utils.decode_predictions

__all__ = ["ConvNeXtTiny", "ConvNeXtSmall", "ConvNeXtBase", "ConvNeXtLarge", "ConvNeXtXLarge",
           "preprocess_input", "decode_predictions"]
