"""InceptionResNetV2 (Szegedy et al., 2017), as ``keras.applications.inception_resnet_v2``."""
from brickwork import backend, layers
from brickwork.api_export import keras_export
from brickwork.applications import imagenet_utils
from brickwork.layers import Layer
from brickwork.models import Model

_WEIGHTS_DIR = imagenet_utils.WEIGHTS_URL + "inception_resnet_v2/"


def _axis():
    return 1 if backend.image_data_format() == "channels_first" else 3


@keras_export("keras.src.applications.inception_resnet_v2.CustomScaleLayer")
class CustomScaleLayer(Layer):
    """Residual scaling of Inception-ResNet blocks: `inputs[0] + inputs[1] * scale`.

    Args:
        scale: The factor applied to the residual branch.

    Input shape:
        A list of two tensors of the same shape.

    Output shape:
        That shape.

    Example:

    >>> layer = CustomScaleLayer(0.5)
    >>> ops.convert_to_numpy(layer([np.ones((1, 2)), np.ones((1, 2))]))  # 1 + 1 * 0.5
    array([[1.5, 1.5]], dtype=float32)
    """

    def __init__(self, scale, **kwargs):
        super().__init__(**kwargs)
        self.scale = scale

    def call(self, inputs):
        return inputs[0] + inputs[1] * self.scale

    def compute_output_shape(self, input_shape):
        return input_shape[0]

    def get_config(self):
        config = super().get_config()
        config.update({"scale": self.scale})
        return config


def conv2d_bn(x, filters, kernel_size, strides=1, padding="same", activation="relu",
              use_bias=False, name=None):
    """Convolution, batch norm without scale (when no bias), then ``activation``."""
    x = layers.Conv2D(filters, kernel_size, strides=strides, padding=padding, use_bias=use_bias,
                      name=name)(x)
    if not use_bias:
        x = layers.BatchNormalization(axis=_axis(), scale=False,
                                      name=None if name is None else f"{name}_bn")(x)
    if activation is not None:
        x = layers.Activation(activation, name=None if name is None else f"{name}_ac")(x)
    return x


def _chain(x, specs):
    for spec in specs:
        filters, kernel = spec[:2]
        extra = {} if len(spec) == 2 else dict(strides=spec[2], padding=spec[3])
        x = conv2d_bn(x, filters, kernel, **extra)
    return x


_BRANCHES = {
    "block35": [[(32, 1)], [(32, 1), (32, 3)], [(32, 1), (48, 3), (64, 3)]],
    "block17": [[(192, 1)], [(128, 1), (160, [1, 7]), (192, [7, 1])]],
    "block8": [[(192, 1)], [(192, 1), (224, [1, 3]), (256, [3, 1])]],
}


def inception_resnet_block(x, scale, block_type, block_idx, activation="relu"):
    """An Inception-ResNet block: parallel branches, a 1x1 projection, scaled residual add.

    Args:
        x: Input tensor.
        scale: Scaling factor of the residual branch.
        block_type: `"block35"`, `"block17"` or `"block8"`.
        block_idx: Index of the block, used in layer names.
        activation: Activation after the addition (`None` for none).
    """
    if block_type not in _BRANCHES:
        raise ValueError('Unknown Inception-ResNet block type. Expects "block35", "block17" or '
                         f'"block8", but got: {block_type}')
    branches = [_chain(x, specs) for specs in _BRANCHES[block_type]]
    block_name = f"{block_type}_{block_idx}"
    mixed = layers.Concatenate(axis=_axis(), name=f"{block_name}_mixed")(branches)
    up = conv2d_bn(mixed, x.shape[_axis()], 1, activation=None, use_bias=True,
                   name=f"{block_name}_conv")
    x = CustomScaleLayer(scale)([x, up])
    if activation is not None:
        x = layers.Activation(activation, name=f"{block_name}_ac")(x)
    return x


def InceptionResNetV2(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
                      pooling=None, classes=1000, classifier_activation="softmax",
                      name="inception_resnet_v2"):
    """Instantiates the Inception-ResNet v2 architecture.

    Reference: [Inception-v4, Inception-ResNet and the Impact of Residual
    Connections on Learning](https://arxiv.org/abs/1602.07261) (AAAI 2017).
    The default input size is 299x299; inputs are pixels in `[0, 255]` passed
    through `brickwork.applications.inception_resnet_v2.preprocess_input`.

    Args:
        include_top: Whether to include the classifier on top.
        weights: `None`, `"imagenet"` (read from `~/.keras/models`, never
            downloaded) or the path to a weights file.
        input_tensor: Optional Keras tensor to use as image input.
        input_shape: Optional shape tuple; at least 75 pixels high and wide.
        pooling: With `include_top=False`: `None`, `"avg"` or `"max"`.
        classes: Number of classes (with `include_top=True`).
        classifier_activation: The activation of the top layer.
        name: The name of the model (string).

    Returns:
        A `Model` instance.
    """
    imagenet_utils.check_weights(weights, include_top, classes)
    input_shape = imagenet_utils.obtain_input_shape(
        input_shape, default_size=299, min_size=75, data_format=backend.image_data_format(),
        require_flatten=include_top, weights=weights)
    file_name = ("inception_resnet_v2_weights_tf_dim_ordering_tf_kernels"
                 f"{'' if include_top else '_notop'}.h5")
    weights_file = imagenet_utils.locate_weights(weights, file_name, _WEIGHTS_DIR + file_name, name)
    img_input = imagenet_utils.image_input(input_tensor, input_shape)
    axis = _axis()

    x = conv2d_bn(img_input, 32, 3, strides=2, padding="valid")
    x = conv2d_bn(x, 32, 3, padding="valid")
    x = conv2d_bn(x, 64, 3)
    x = layers.MaxPooling2D(3, strides=2)(x)
    x = conv2d_bn(x, 80, 1, padding="valid")
    x = conv2d_bn(x, 192, 3, padding="valid")
    x = layers.MaxPooling2D(3, strides=2)(x)

    # Mixed 5b (Inception-A): 35 x 35 x 320
    branches = [_chain(x, [(96, 1)]), _chain(x, [(48, 1), (64, 5)]),
                _chain(x, [(64, 1), (96, 3), (96, 3)])]
    pooled = layers.AveragePooling2D(3, strides=1, padding="same")(x)
    branches.append(conv2d_bn(pooled, 64, 1))
    x = layers.Concatenate(axis=axis, name="mixed_5b")(branches)
    for block_idx in range(1, 11):
        x = inception_resnet_block(x, scale=0.17, block_type="block35", block_idx=block_idx)

    # Mixed 6a (Reduction-A): 17 x 17 x 1088
    branches = [_chain(x, [(384, 3, 2, "valid")]),
                _chain(x, [(256, 1), (256, 3), (384, 3, 2, "valid")]),
                layers.MaxPooling2D(3, strides=2, padding="valid")(x)]
    x = layers.Concatenate(axis=axis, name="mixed_6a")(branches)
    for block_idx in range(1, 21):
        x = inception_resnet_block(x, scale=0.1, block_type="block17", block_idx=block_idx)

    # Mixed 7a (Reduction-B): 8 x 8 x 2080
    branches = [_chain(x, [(256, 1), (384, 3, 2, "valid")]),
                _chain(x, [(256, 1), (288, 3, 2, "valid")]),
                _chain(x, [(256, 1), (288, 3), (320, 3, 2, "valid")]),
                layers.MaxPooling2D(3, strides=2, padding="valid")(x)]
    x = layers.Concatenate(axis=axis, name="mixed_7a")(branches)
    for block_idx in range(1, 10):
        x = inception_resnet_block(x, scale=0.2, block_type="block8", block_idx=block_idx)
    x = inception_resnet_block(x, scale=1.0, activation=None, block_type="block8", block_idx=10)
    x = conv2d_bn(x, 1536, 1, name="conv_7b")

    if include_top:
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    elif pooling == "avg":
        x = layers.GlobalAveragePooling2D()(x)
    elif pooling == "max":
        x = layers.GlobalMaxPooling2D()(x)

    model = Model(imagenet_utils.model_inputs(input_tensor, img_input), x, name=name)
    return imagenet_utils.load_weights(model, weights_file)


preprocess_input = imagenet_utils.family_preprocess("tf", "InceptionResNetV2")
decode_predictions = imagenet_utils.decode_predictions

__all__ = ["InceptionResNetV2", "preprocess_input", "decode_predictions"]
