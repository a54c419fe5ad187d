"""MobileNet (Howard et al., 2017), as ``keras.applications.mobilenet``."""
import warnings

from brickwork import backend, layers
from brickwork.applications import imagenet_utils
from brickwork.models import Model

_WEIGHTS_DIR = imagenet_utils.WEIGHTS_URL + "mobilenet/"
_ALPHA_TEXT = {1.0: "1_0", 0.75: "7_5", 0.5: "5_0", 0.25: "2_5"}


def _channel_axis():
    return 1 if backend.image_data_format() == "channels_first" else -1


def _rows_cols(input_shape):
    if backend.image_data_format() == "channels_first":
        return input_shape[1], input_shape[2]
    return input_shape[0], input_shape[1]


def MobileNet(input_shape=None, alpha=1.0, depth_multiplier=1, dropout=1e-3, include_top=True,
              weights="imagenet", input_tensor=None, pooling=None, classes=1000,
              classifier_activation="softmax", name=None):
    """Instantiates the MobileNet architecture.

    Reference: [MobileNets: Efficient Convolutional Neural Networks for Mobile
    Vision Applications](https://arxiv.org/abs/1704.04861). Inputs are pixels
    in `[0, 255]` passed through `brickwork.applications.mobilenet.preprocess_input`
    (scaled to `[-1, 1]`).

    Args:
        input_shape: Optional shape tuple, e.g. `(224, 224, 3)`; at least 32
            pixels high and wide.
        alpha: Width multiplier: below 1 thins every layer, above 1 widens it.
            ImageNet weights exist for 0.25, 0.5, 0.75 and 1.0.
        depth_multiplier: Depth multiplier of the depthwise convolutions.
        dropout: Dropout rate before the classifier.
        include_top: Whether to include the classifier on top.
        weights: `None`, `"imagenet"` (read from `~/.keras/models`, never
            downloaded) or the path to a weights file.
        input_tensor: Optional Keras tensor to use as image input.
        pooling: With `include_top=False`: `None`, `"avg"` or `"max"`.
        classes: Number of classes (with `include_top=True`).
        classifier_activation: The activation of the top layer.
        name: The model's name; defaults to `"mobilenet_{alpha:0.2f}_{rows}"`.

    Returns:
        A `Model` instance.

    Example:

    >>> model = MobileNet(weights=None, alpha=0.25, input_shape=(32, 32, 3), classes=10)
    >>> model.name
    'mobilenet_0.25_32'
    """
    imagenet_utils.check_weights(weights, include_top, classes)
    default_size = 224
    if input_shape is not None:
        rows, cols = _rows_cols(input_shape)
        if rows == cols and rows in (128, 160, 192, 224):
            default_size = rows
    input_shape = imagenet_utils.obtain_input_shape(
        input_shape, default_size=default_size, min_size=32,
        data_format=backend.image_data_format(), require_flatten=include_top, weights=weights)
    rows, cols = _rows_cols(input_shape)
    if weights == "imagenet":
        if depth_multiplier != 1:
            raise ValueError("If imagenet weights are being loaded, depth multiplier must be 1.  "
                             f"Received depth_multiplier={depth_multiplier}")
        if alpha not in _ALPHA_TEXT:
            raise ValueError("If imagenet weights are being loaded, alpha can be one of "
                             f"`0.25`, `0.50`, `0.75` or `1.0` only.  Received alpha={alpha}")
        if rows != cols or rows not in (128, 160, 192, 224):
            rows = 224
            warnings.warn("`input_shape` is undefined or non-square, or `rows` is not in "
                          "[128, 160, 192, 224]. Weights for input shape (224, 224) will be "
                          "loaded as the default.", stacklevel=2)
    if name is None:
        name = f"mobilenet_{alpha:0.2f}_{rows}"
    file_name = None
    if weights == "imagenet":
        top = "" if include_top else "_no_top"
        file_name = f"mobilenet_{_ALPHA_TEXT[alpha]}_{rows}_tf{top}.h5"
    weights_file = imagenet_utils.locate_weights(weights, file_name,
                                                 _WEIGHTS_DIR + str(file_name), name)
    img_input = imagenet_utils.image_input(input_tensor, input_shape)

    x = _conv_block(img_input, 32, alpha, strides=(2, 2))
    plan = [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2)] + [(512, 1)] * 5 + \
        [(1024, 2), (1024, 1)]
    for block_id, (filters, stride) in enumerate(plan, 1):
        x = _depthwise_conv_block(x, filters, alpha, depth_multiplier,
                                  strides=(stride, stride), block_id=block_id)

    if include_top:
        x = layers.GlobalAveragePooling2D(keepdims=True)(x)
        x = layers.Dropout(dropout, name="dropout")(x)
        x = layers.Conv2D(classes, (1, 1), padding="same", name="conv_preds")(x)
        x = layers.Reshape((classes,), name="reshape_2")(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = layers.Activation(activation=classifier_activation, name="predictions")(x)
    elif pooling == "avg":
        x = layers.GlobalAveragePooling2D()(x)
    elif pooling == "max":
        x = layers.GlobalMaxPooling2D()(x)

    model = Model(imagenet_utils.model_inputs(input_tensor, img_input), x, name=name)
    return imagenet_utils.load_weights(model, weights_file)


def _conv_block(inputs, filters, alpha, kernel=(3, 3), strides=(1, 1)):
    """The stem: a strided convolution, batch norm and ReLU6."""
    x = layers.Conv2D(int(filters * alpha), kernel, padding="same", use_bias=False,
                      strides=strides, name="conv1")(inputs)
    x = layers.BatchNormalization(axis=_channel_axis(), name="conv1_bn")(x)
    return layers.ReLU(6.0, name="conv1_relu")(x)


def _depthwise_conv_block(inputs, pointwise_conv_filters, alpha, depth_multiplier=1,
                          strides=(1, 1), block_id=1):
    """Depthwise 3x3 then pointwise 1x1, each followed by batch norm and ReLU6."""
    pointwise_conv_filters = int(pointwise_conv_filters * alpha)
    x = inputs
    if strides != (1, 1):
        x = layers.ZeroPadding2D(((0, 1), (0, 1)), name=f"conv_pad_{block_id}")(x)
    x = layers.DepthwiseConv2D((3, 3), padding="same" if strides == (1, 1) else "valid",
                               depth_multiplier=depth_multiplier, strides=strides,
                               use_bias=False, name=f"conv_dw_{block_id}")(x)
    x = layers.BatchNormalization(axis=_channel_axis(), name=f"conv_dw_{block_id}_bn")(x)
    x = layers.ReLU(6.0, name=f"conv_dw_{block_id}_relu")(x)
    x = layers.Conv2D(pointwise_conv_filters, (1, 1), padding="same", use_bias=False,
                      strides=(1, 1), name=f"conv_pw_{block_id}")(x)
    x = layers.BatchNormalization(axis=_channel_axis(), name=f"conv_pw_{block_id}_bn")(x)
    return layers.ReLU(6.0, name=f"conv_pw_{block_id}_relu")(x)


preprocess_input = imagenet_utils.family_preprocess("tf", "MobileNet")
decode_predictions = imagenet_utils.decode_predictions

__all__ = ["MobileNet", "preprocess_input", "decode_predictions"]
