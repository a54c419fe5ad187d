"""Xception (Chollet, 2017), as ``keras.applications.xception``."""
from brickwork import backend, layers
from brickwork.applications import imagenet_utils
from brickwork.models import Model

_WEIGHTS_DIR = imagenet_utils.WEIGHTS_URL + "xception/"


def Xception(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
             pooling=None, classes=1000, classifier_activation="softmax", name="xception"):
    """Instantiates the Xception architecture.

    Reference: [Xception: Deep Learning with Depthwise Separable Convolutions](
    https://arxiv.org/abs/1610.02357) (CVPR 2017). The default input size is
    299x299; inputs are pixels in `[0, 255]` passed through
    `brickwork.applications.xception.preprocess_input` (scaled to `[-1, 1]`).

    Args:
        include_top: Whether to include the classifier on top.
        weights: `None`, `"imagenet"` (read from `~/.keras/models`, never
            downloaded) or the path to a weights file.
        input_tensor: Optional Keras tensor to use as image input.
        input_shape: Optional shape tuple; at least 71 pixels high and wide.
        pooling: With `include_top=False`: `None`, `"avg"` or `"max"`.
        classes: Number of classes (with `include_top=True`).
        classifier_activation: The activation of the top layer.
        name: The name of the model (string).

    Returns:
        A `Model` instance.
    """
    imagenet_utils.check_weights(weights, include_top, classes)
    input_shape = imagenet_utils.obtain_input_shape(
        input_shape, default_size=299, min_size=71, data_format=backend.image_data_format(),
        require_flatten=include_top, weights=weights)
    file_name = f"xception_weights_tf_dim_ordering_tf_kernels{'' if include_top else '_notop'}.h5"
    weights_file = imagenet_utils.locate_weights(weights, file_name, _WEIGHTS_DIR + file_name, name)
    img_input = imagenet_utils.image_input(input_tensor, input_shape)
    axis = 1 if backend.image_data_format() == "channels_first" else -1

    def sepconv_bn(x, filters, name):
        x = layers.SeparableConv2D(filters, (3, 3), padding="same", use_bias=False, name=name)(x)
        return layers.BatchNormalization(axis=axis, name=f"{name}_bn")(x)

    def projection(x, filters):
        # Keras leaves the shortcut layers unnamed: they take automatic names.
        r = layers.Conv2D(filters, (1, 1), strides=(2, 2), padding="same", use_bias=False)(x)
        return layers.BatchNormalization(axis=axis)(r)

    x = layers.Conv2D(32, (3, 3), strides=(2, 2), use_bias=False, name="block1_conv1")(img_input)
    x = layers.BatchNormalization(axis=axis, name="block1_conv1_bn")(x)
    x = layers.Activation("relu", name="block1_conv1_act")(x)
    x = layers.Conv2D(64, (3, 3), use_bias=False, name="block1_conv2")(x)
    x = layers.BatchNormalization(axis=axis, name="block1_conv2_bn")(x)
    x = layers.Activation("relu", name="block1_conv2_act")(x)

    # Entry flow: blocks 2-4 halve the resolution, block 2 has no leading ReLU.
    for block, filters in ((2, 128), (3, 256), (4, 728)):
        residual = projection(x, filters)
        if block > 2:
            x = layers.Activation("relu", name=f"block{block}_sepconv1_act")(x)
        x = sepconv_bn(x, filters, f"block{block}_sepconv1")
        x = layers.Activation("relu", name=f"block{block}_sepconv2_act")(x)
        x = sepconv_bn(x, filters, f"block{block}_sepconv2")
        x = layers.MaxPooling2D((3, 3), strides=(2, 2), padding="same",
                                name=f"block{block}_pool")(x)
        x = layers.add([x, residual])

    # Middle flow: eight identity-shortcut blocks.
    for block in range(5, 13):
        residual = x
        for i in (1, 2, 3):
            x = layers.Activation("relu", name=f"block{block}_sepconv{i}_act")(x)
            x = sepconv_bn(x, 728, f"block{block}_sepconv{i}")
        x = layers.add([x, residual])

    # Exit flow.
    residual = projection(x, 1024)
    x = layers.Activation("relu", name="block13_sepconv1_act")(x)
    x = sepconv_bn(x, 728, "block13_sepconv1")
    x = layers.Activation("relu", name="block13_sepconv2_act")(x)
    x = sepconv_bn(x, 1024, "block13_sepconv2")
    x = layers.MaxPooling2D((3, 3), strides=(2, 2), padding="same", name="block13_pool")(x)
    x = layers.add([x, residual])
    x = sepconv_bn(x, 1536, "block14_sepconv1")
    x = layers.Activation("relu", name="block14_sepconv1_act")(x)
    x = sepconv_bn(x, 2048, "block14_sepconv2")
    x = layers.Activation("relu", name="block14_sepconv2_act")(x)

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


preprocess_input = imagenet_utils.family_preprocess("tf", "Xception")
decode_predictions = imagenet_utils.decode_predictions

__all__ = ["Xception", "preprocess_input", "decode_predictions"]
