"""MobileNetV2 (Sandler et al., 2018), as ``keras.applications.mobilenet_v2``."""
import warnings

from brickwork import backend, layers
from brickwork.applications import imagenet_utils
from brickwork.models import Model

_WEIGHTS_DIR = imagenet_utils.WEIGHTS_URL + "mobilenet_v2/"
_SIZES = (96, 128, 160, 192, 224)
# (filters, stride, expansion) of the 17 inverted residual blocks.
_BLOCKS = ([(16, 1, 1), (24, 2, 6), (24, 1, 6), (32, 2, 6)] + [(32, 1, 6)] * 2 + [(64, 2, 6)]
           + [(64, 1, 6)] * 3 + [(96, 1, 6)] * 3 + [(160, 2, 6)] + [(160, 1, 6)] * 2
           + [(320, 1, 6)])


def _spatial(shape, batched):
    offset = 1 if batched else 0
    if backend.image_data_format() == "channels_first":
        return shape[offset + 1], shape[offset + 2]
    return shape[offset], shape[offset + 1]


def _square_default(rows, cols):
    return rows if rows == cols and rows in _SIZES else 224


def MobileNetV2(input_shape=None, alpha=1.0, include_top=True, weights="imagenet",
                input_tensor=None, pooling=None, classes=1000, classifier_activation="softmax",
                name=None):
    """Instantiates the MobileNetV2 architecture.

    Reference: [MobileNetV2: Inverted Residuals and Linear Bottlenecks](
    https://arxiv.org/abs/1801.04381) (CVPR 2018). Inputs are pixels in
    `[0, 255]` passed through `brickwork.applications.mobilenet_v2.preprocess_input`.

    Args:
        input_shape: Optional shape tuple; at least 32 pixels high and wide.
        alpha: Width multiplier. ImageNet weights exist for 0.35, 0.5, 0.75,
            1.0, 1.3 and 1.4.
        include_top: Whether to include the classifier on top.
        weights: `None`, `"imagenet"` (read from `~/.keras/models`, never
            downloaded) or the path to a weights file.
        input_tensor: Optional Keras tensor to use as image input.
        pooling: With `include_top=False`: `None`, `"avg"` or `"max"`.
        classes: Number of classes (with `include_top=True`).
        classifier_activation: The activation of the top layer.
        name: The model's name; defaults to `"mobilenetv2_{alpha:0.2f}_{rows}"`.

    Returns:
        A `Model` instance.
    """
    imagenet_utils.check_weights(weights, include_top, classes)
    if input_tensor is not None and not backend.is_keras_tensor(input_tensor):
        raise ValueError(f"MobileNetV2: input_tensor is not a Keras tensor; "
                         f"Received `input_tensor={input_tensor}`")
    if input_shape is not None and input_tensor is not None:
        axis = 1 if backend.image_data_format() == "channels_first" else 2
        if input_tensor.shape[axis] != input_shape[1]:
            raise ValueError(f"MobileNetV2: input_tensor.shape[{axis}] must equal "
                             f"input_shape[1]; Received `input_tensor.shape="
                             f"{input_tensor.shape}`, `input_shape={input_shape}`")
    if input_shape is None and input_tensor is not None:
        default_size = _square_default(*_spatial(input_tensor.shape, batched=True))
    elif input_shape is None:
        default_size = 224
    else:
        default_size = _square_default(*_spatial(input_shape, batched=False))
    input_shape = imagenet_utils.obtain_input_shape(
        input_shape, default_size=default_size, min_size=32,
        data_format=backend.image_data_format(), require_flatten=include_top, weights=weights)
    rows, cols = _spatial(input_shape, batched=False)
    if weights == "imagenet":
        if alpha not in (0.35, 0.50, 0.75, 1.0, 1.3, 1.4):
            raise ValueError("If imagenet weights are being loaded, alpha must be one of "
                             "`0.35`, `0.50`, `0.75`, `1.0`, `1.3` or `1.4` only; "
                             f"Received `alpha={alpha}`")
        if rows != cols or rows not in _SIZES:
            rows = 224
            warnings.warn("`input_shape` is undefined or non-square, or `rows` is not in "
                          "[96, 128, 160, 192, 224]. Weights for input shape (224, 224) will "
                          "be loaded as the default.", stacklevel=2)
    if name is None:
        name = f"mobilenetv2_{alpha:0.2f}_{rows}"
    file_name = None
    if weights == "imagenet":
        top = "" if include_top else "_no_top"
        file_name = (f"mobilenet_v2_weights_tf_dim_ordering_tf_kernels_{float(alpha)}_{rows}"
                     f"{top}.h5")
    weights_file = imagenet_utils.locate_weights(weights, file_name,
                                                 _WEIGHTS_DIR + str(file_name), name)
    img_input = imagenet_utils.image_input(input_tensor, input_shape)
    channel_axis = 1 if backend.image_data_format() == "channels_first" else -1

    x = layers.Conv2D(_make_divisible(32 * alpha, 8), kernel_size=3, strides=(2, 2),
                      padding="same", use_bias=False, name="Conv1")(img_input)
    x = layers.BatchNormalization(axis=channel_axis, epsilon=1e-3, momentum=0.999,
                                  name="bn_Conv1")(x)
    x = layers.ReLU(6.0, name="Conv1_relu")(x)
    for block_id, (filters, stride, expansion) in enumerate(_BLOCKS):
        x = _inverted_res_block(x, filters=filters, alpha=alpha, stride=stride,
                                expansion=expansion, block_id=block_id)
    last_block_filters = _make_divisible(1280 * alpha, 8) if alpha > 1.0 else 1280
    x = layers.Conv2D(last_block_filters, kernel_size=1, use_bias=False, name="Conv_1")(x)
    x = layers.BatchNormalization(axis=channel_axis, epsilon=1e-3, momentum=0.999,
                                  name="Conv_1_bn")(x)
    x = layers.ReLU(6.0, name="out_relu")(x)

    if include_top:
        x = layers.GlobalAveragePooling2D()(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    elif pooling == "avg":
        x = layers.GlobalAveragePooling2D()(x)
    elif pooling == "max":
        x = layers.GlobalMaxPooling2D()(x)

    model = Model(imagenet_utils.model_inputs(input_tensor, img_input), x, name=name)
    return imagenet_utils.load_weights(model, weights_file)


def _inverted_res_block(inputs, expansion, stride, alpha, filters, block_id):
    """Expand (1x1), depthwise 3x3, project (1x1); residual add when shapes allow."""
    channel_axis = 1 if backend.image_data_format() == "channels_first" else -1
    in_channels = inputs.shape[channel_axis]
    pointwise_filters = _make_divisible(int(filters * alpha), 8)
    bn = dict(axis=channel_axis, epsilon=1e-3, momentum=0.999)
    x = inputs
    if block_id:
        prefix = f"block_{block_id}_"
        x = layers.Conv2D(expansion * in_channels, kernel_size=1, padding="same", use_bias=False,
                          activation=None, name=f"{prefix}expand")(x)
        x = layers.BatchNormalization(name=f"{prefix}expand_BN", **bn)(x)
        x = layers.ReLU(6.0, name=f"{prefix}expand_relu")(x)
    else:
        prefix = "expanded_conv_"
    if stride == 2:
        x = layers.ZeroPadding2D(padding=imagenet_utils.correct_pad(x, 3), name=f"{prefix}pad")(x)
    x = layers.DepthwiseConv2D(kernel_size=3, strides=stride, activation=None, use_bias=False,
                               padding="same" if stride == 1 else "valid",
                               name=f"{prefix}depthwise")(x)
    x = layers.BatchNormalization(name=f"{prefix}depthwise_BN", **bn)(x)
    x = layers.ReLU(6.0, name=f"{prefix}depthwise_relu")(x)
    x = layers.Conv2D(pointwise_filters, kernel_size=1, padding="same", use_bias=False,
                      activation=None, name=f"{prefix}project")(x)
    x = layers.BatchNormalization(name=f"{prefix}project_BN", **bn)(x)
    if in_channels == pointwise_filters and stride == 1:
        return layers.Add(name=f"{prefix}add")([inputs, x])
    return x


def _make_divisible(v, divisor, min_value=None):
    """``v`` rounded to a multiple of ``divisor``, never more than 10% below ``v``."""
    if min_value is None:
        min_value = divisor
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    if new_v < 0.9 * v:
        new_v += divisor
    return new_v


preprocess_input = imagenet_utils.family_preprocess("tf", "MobileNetV2")
decode_predictions = imagenet_utils.decode_predictions

__all__ = ["MobileNetV2", "preprocess_input", "decode_predictions"]
