"""DenseNet121, 169 and 201 (Huang et al., 2017), as ``keras.applications.densenet``."""
from brickwork import backend, layers
from brickwork.applications import imagenet_utils
from brickwork.models import Model

_WEIGHTS_DIR = imagenet_utils.WEIGHTS_URL + "densenet/"
_PUBLISHED = {(6, 12, 24, 16): "densenet121", (6, 12, 32, 32): "densenet169",
              (6, 12, 48, 32): "densenet201"}


def _bn(name):
    return layers.BatchNormalization(axis=_axis(), epsilon=1.001e-5, name=name)


def _axis():
    return 3 if backend.image_data_format() == "channels_last" else 1


def dense_block(x, blocks, name):
    """``blocks`` conv blocks, each concatenating 32 new channels."""
    for i in range(blocks):
        x = conv_block(x, 32, name=f"{name}_block{i + 1}")
    return x


def transition_block(x, reduction, name):
    """BN-ReLU, a 1x1 convolution keeping ``reduction`` of the channels, 2x2 average pooling."""
    x = _bn(f"{name}_bn")(x)
    x = layers.Activation("relu", name=f"{name}_relu")(x)
    x = layers.Conv2D(int(x.shape[_axis()] * reduction), 1, use_bias=False,
                      name=f"{name}_conv")(x)
    return layers.AveragePooling2D(2, strides=2, name=f"{name}_pool")(x)


def conv_block(x, growth_rate, name):
    """A bottleneck (1x1 then 3x3) whose ``growth_rate`` outputs join the input."""
    x1 = _bn(f"{name}_0_bn")(x)
    x1 = layers.Activation("relu", name=f"{name}_0_relu")(x1)
    x1 = layers.Conv2D(4 * growth_rate, 1, use_bias=False, name=f"{name}_1_conv")(x1)
    x1 = _bn(f"{name}_1_bn")(x1)
    x1 = layers.Activation("relu", name=f"{name}_1_relu")(x1)
    x1 = layers.Conv2D(growth_rate, 3, padding="same", use_bias=False, name=f"{name}_2_conv")(x1)
    return layers.Concatenate(axis=_axis(), name=f"{name}_concat")([x, x1])


def DenseNet(blocks, include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
             pooling=None, classes=1000, classifier_activation="softmax", name="densenet"):
    """Builds a DenseNet with ``blocks`` conv blocks in each of its four dense blocks.

    Args:
        blocks: Four integers, the number of conv blocks per dense block.
        include_top, weights, input_tensor, input_shape, pooling, classes,
        classifier_activation, name: As for `DenseNet121`.

    Returns:
        A `Model` instance.
    """
    if backend.image_data_format() == "channels_first":
        raise ValueError("DenseNet does not support the `channels_first` image data format. "
                         "Switch to `channels_last` with "
                         "`brickwork.backend.set_image_data_format('channels_last')`.")
    imagenet_utils.check_weights(weights, include_top, classes)
    input_shape = imagenet_utils.obtain_input_shape(
        input_shape, default_size=224, min_size=32, data_format=backend.image_data_format(),
        require_flatten=include_top, weights=weights)
    stem = _PUBLISHED.get(tuple(blocks))
    file_name = None if stem is None else \
        f"{stem}_weights_tf_dim_ordering_tf_kernels{'' if include_top else '_notop'}.h5"
    weights_file = imagenet_utils.locate_weights(weights, file_name,
                                                 _WEIGHTS_DIR + str(file_name), name)
    img_input = imagenet_utils.image_input(input_tensor, input_shape)

    # The two stem paddings are unnamed in Keras: they take automatic names.
    x = layers.ZeroPadding2D(padding=((3, 3), (3, 3)))(img_input)
    x = layers.Conv2D(64, 7, strides=2, use_bias=False, name="conv1_conv")(x)
    x = _bn("conv1_bn")(x)
    x = layers.Activation("relu", name="conv1_relu")(x)
    x = layers.ZeroPadding2D(padding=((1, 1), (1, 1)))(x)
    x = layers.MaxPooling2D(3, strides=2, name="pool1")(x)
    for stage, count in enumerate(blocks, 2):
        x = dense_block(x, count, name=f"conv{stage}")
        if stage < 5:
            x = transition_block(x, 0.5, name=f"pool{stage}")
    x = _bn("bn")(x)
    x = layers.Activation("relu", name="relu")(x)

    if include_top:
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    elif pooling == "avg":
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
    elif pooling == "max":
        x = layers.GlobalMaxPooling2D(name="max_pool")(x)

    model = Model(imagenet_utils.model_inputs(input_tensor, img_input), x, name=name)
    return imagenet_utils.load_weights(model, weights_file)


def _constructor(title, blocks, default_name):
    def constructor(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
                    pooling=None, classes=1000, classifier_activation="softmax",
                    name=default_name):
        return DenseNet(list(blocks), include_top, weights, input_tensor, input_shape, pooling,
                        classes, classifier_activation, name=name)
    constructor.__name__ = constructor.__qualname__ = title
    constructor.__doc__ = f"""Instantiates the {title} architecture.

    Reference: [Densely Connected Convolutional Networks](
    https://arxiv.org/abs/1608.06993) (CVPR 2017). Inputs are pixels in
    `[0, 255]` passed through `brickwork.applications.densenet.preprocess_input`.

    {imagenet_utils.common_args_doc(32)}

    Returns:
        A `Model` instance.
    """
    return constructor


DenseNet121 = _constructor("DenseNet121", (6, 12, 24, 16), "densenet121")
DenseNet169 = _constructor("DenseNet169", (6, 12, 32, 32), "densenet169")
DenseNet201 = _constructor("DenseNet201", (6, 12, 48, 32), "densenet201")

preprocess_input = imagenet_utils.family_preprocess("torch", "DenseNet")
decode_predictions = imagenet_utils.decode_predictions

__all__ = ["DenseNet121", "DenseNet169", "DenseNet201", "preprocess_input", "decode_predictions"]
