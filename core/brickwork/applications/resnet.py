"""ResNet50, ResNet101 and ResNet152 (He et al., 2015), as ``keras.applications.resnet``.

The residual blocks of both ResNet versions live here; ``resnet_v2`` reuses them.
"""

from brickwork import backend, layers
from brickwork.applications import imagenet_utils
from brickwork.models import Model

_WEIGHTS_DIR = imagenet_utils.WEIGHTS_URL + "resnet/"


def _bn_axis():
    return 3 if backend.image_data_format() == "channels_last" else 1


def _bn(name):
    return layers.BatchNormalization(axis=_bn_axis(), epsilon=1.001e-5, name=name)


def ResNet(stack_fn, preact, use_bias, include_top=True, weights="imagenet", input_tensor=None,
           input_shape=None, pooling=None, classes=1000, classifier_activation="softmax",
           name="resnet", weights_name=None):
    """Builds a ResNet: a stem, ``stack_fn``'s residual stacks, then the head.

    Args:
        stack_fn: A function taking a tensor and returning the output of the
            stacked residual blocks.
        preact: Whether blocks pre-activate (ResNetV2) or not (ResNet).
        use_bias: Whether the stem convolution has a bias.
        include_top: Whether to include the fully-connected classifier on top.
        weights: `None` (random initialization), `"imagenet"` (read from
            Keras's cache folder, never downloaded) or a weights file path.
        input_tensor: Optional Keras tensor to use as the model's input.
        input_shape: Optional shape tuple, e.g. `(224, 224, 3)`; at least 32
            pixels high and wide.
        pooling: With `include_top=False`: `None` (4D output), `"avg"` or `"max"`.
        classes: Number of classes to classify images into (with `include_top`).
        classifier_activation: Activation of the top layer.
        name: The model's name.
        weights_name: Which published ImageNet weights fit this model.

    Returns:
        A `Model` instance.
    """
    imagenet_utils.check_weights(weights, include_top, classes)
    input_shape = imagenet_utils.obtain_input_shape(
        input_shape, default_size=224, min_size=32, data_format=backend.image_data_format(),
        require_flatten=include_top, weights=weights)
    file_name = None
    if weights_name is not None:
        suffix = "" if include_top else "_notop"
        file_name = f"{weights_name}_weights_tf_dim_ordering_tf_kernels{suffix}.h5"
    weights_file = imagenet_utils.locate_weights(weights, file_name,
                                                 _WEIGHTS_DIR + str(file_name), name)
    img_input = imagenet_utils.image_input(input_tensor, input_shape)

    x = layers.ZeroPadding2D(padding=((3, 3), (3, 3)), name="conv1_pad")(img_input)
    x = layers.Conv2D(64, 7, strides=2, use_bias=use_bias, name="conv1_conv")(x)
    if not preact:
        x = _bn("conv1_bn")(x)
        x = layers.Activation("relu", name="conv1_relu")(x)
    x = layers.ZeroPadding2D(padding=((1, 1), (1, 1)), name="pool1_pad")(x)
    x = layers.MaxPooling2D(3, strides=2, name="pool1_pool")(x)
    x = stack_fn(x)
    if preact:
        x = _bn("post_bn")(x)
        x = layers.Activation("relu", name="post_relu")(x)

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


def residual_block_v1(x, filters, kernel_size=3, stride=1, conv_shortcut=True, name=None):
    """A ResNet bottleneck block: 1x1, kxk, 1x1 convolutions plus the shortcut."""
    if conv_shortcut:
        shortcut = layers.Conv2D(4 * filters, 1, strides=stride, name=f"{name}_0_conv")(x)
        shortcut = _bn(f"{name}_0_bn")(shortcut)
    else:
        shortcut = x
    x = layers.Conv2D(filters, 1, strides=stride, name=f"{name}_1_conv")(x)
    x = _bn(f"{name}_1_bn")(x)
    x = layers.Activation("relu", name=f"{name}_1_relu")(x)
    x = layers.Conv2D(filters, kernel_size, padding="same", name=f"{name}_2_conv")(x)
    x = _bn(f"{name}_2_bn")(x)
    x = layers.Activation("relu", name=f"{name}_2_relu")(x)
    x = layers.Conv2D(4 * filters, 1, name=f"{name}_3_conv")(x)
    x = _bn(f"{name}_3_bn")(x)
    x = layers.Add(name=f"{name}_add")([shortcut, x])
    return layers.Activation("relu", name=f"{name}_out")(x)


def stack_residual_blocks_v1(x, filters, blocks, stride1=2, name=None):
    """``blocks`` ResNet blocks; the first one strides by ``stride1`` and projects."""
    x = residual_block_v1(x, filters, stride=stride1, name=f"{name}_block1")
    for i in range(2, blocks + 1):
        x = residual_block_v1(x, filters, conv_shortcut=False, name=f"{name}_block{i}")
    return x


def residual_block_v2(x, filters, kernel_size=3, stride=1, conv_shortcut=False, name=None):
    """A ResNetV2 (pre-activation) bottleneck block."""
    preact = _bn(f"{name}_preact_bn")(x)
    preact = layers.Activation("relu", name=f"{name}_preact_relu")(preact)
    if conv_shortcut:
        shortcut = layers.Conv2D(4 * filters, 1, strides=stride, name=f"{name}_0_conv")(preact)
    else:
        # Keras leaves this pooling layer unnamed: it takes the automatic name.
        shortcut = layers.MaxPooling2D(1, strides=stride)(x) if stride > 1 else x
    x = layers.Conv2D(filters, 1, strides=1, use_bias=False, name=f"{name}_1_conv")(preact)
    x = _bn(f"{name}_1_bn")(x)
    x = layers.Activation("relu", name=f"{name}_1_relu")(x)
    x = layers.ZeroPadding2D(padding=((1, 1), (1, 1)), name=f"{name}_2_pad")(x)
    x = layers.Conv2D(filters, kernel_size, strides=stride, use_bias=False,
                      name=f"{name}_2_conv")(x)
    x = _bn(f"{name}_2_bn")(x)
    x = layers.Activation("relu", name=f"{name}_2_relu")(x)
    x = layers.Conv2D(4 * filters, 1, name=f"{name}_3_conv")(x)
    return layers.Add(name=f"{name}_out")([shortcut, x])


def stack_residual_blocks_v2(x, filters, blocks, stride1=2, name=None):
    """``blocks`` ResNetV2 blocks; the last one strides by ``stride1``."""
    x = residual_block_v2(x, filters, conv_shortcut=True, name=f"{name}_block1")
    for i in range(2, blocks):
        x = residual_block_v2(x, filters, name=f"{name}_block{i}")
    return residual_block_v2(x, filters, stride=stride1, name=f"{name}_block{blocks}")


def _v1_stacks(depths):
    def stack_fn(x):
        x = stack_residual_blocks_v1(x, 64, depths[0], stride1=1, name="conv2")
        x = stack_residual_blocks_v1(x, 128, depths[1], name="conv3")
        x = stack_residual_blocks_v1(x, 256, depths[2], name="conv4")
        return stack_residual_blocks_v1(x, 512, depths[3], name="conv5")
    return stack_fn


_DOC = """Instantiates the {title} architecture.

    Reference: [Deep Residual Learning for Image Recognition](
    https://arxiv.org/abs/1512.03385) (CVPR 2015).

    Inputs are expected in `[0, 255]` and passed through
    `brickwork.applications.resnet.preprocess_input` first (RGB to BGR, ImageNet
    mean subtracted).

    Args:
        include_top: Whether to include the fully-connected layer at the top.
        weights: `None` (random initialization), `"imagenet"` (the file Keras
            publishes, read from `~/.keras/models`; brickwork downloads nothing)
            or the path to a weights file.
        input_tensor: Optional Keras tensor (output of `layers.Input()`) to use
            as image input for the model.
        input_shape: Optional shape tuple, only to be specified if
            `include_top` is `False` (otherwise the input shape has to be
            `(224, 224, 3)` with ImageNet weights). At least 32 pixels high and wide.
        pooling: Optional pooling mode when `include_top` is `False`: `None`
            (the 4D output of the last convolutional block), `"avg"` or `"max"`.
        classes: Number of classes, only with `include_top=True` and no
            ImageNet weights.
        classifier_activation: The activation of the top layer (`None` gives logits).
        name: The name of the model (string).

    Returns:
        A `Model` instance.

    Example:

    >>> model = ResNet50(weights=None, input_shape=(64, 64, 3), classes=10)
    >>> model.output_shape
    (None, 10)
    """


def _constructor(title, stack_fn, preact, weights_name, default_name):
    def constructor(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
                    pooling=None, classes=1000, classifier_activation="softmax",
                    name=default_name):
        return ResNet(stack_fn, preact, True, include_top=include_top, weights=weights,
                      input_tensor=input_tensor, input_shape=input_shape, pooling=pooling,
                      classes=classes, classifier_activation=classifier_activation, name=name,
                      weights_name=weights_name)
    constructor.__name__ = constructor.__qualname__ = title
    constructor.__doc__ = _DOC.format(title=title)
    return constructor


ResNet50 = _constructor("ResNet50", _v1_stacks((3, 4, 6, 3)), False, "resnet50", "resnet50")
ResNet101 = _constructor("ResNet101", _v1_stacks((3, 4, 23, 3)), False, "resnet101", "resnet101")
ResNet152 = _constructor("ResNet152", _v1_stacks((3, 8, 36, 3)), False, "resnet152", "resnet152")

preprocess_input = imagenet_utils.family_preprocess("caffe", "ResNet")
decode_predictions = imagenet_utils.decode_predictions

__all__ = ["ResNet50", "ResNet101", "ResNet152", "preprocess_input", "decode_predictions"]
