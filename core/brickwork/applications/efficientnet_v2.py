"""EfficientNetV2 B0-B3, S, M and L (Tan and Le, 2021), as ``keras.applications.efficientnet_v2``.

With ``include_preprocessing=True`` (the default) the models rescale their
inputs themselves (pixels in `[0, 255]` go in), so ``preprocess_input``
here returns its input.
"""
import copy
import math

from brickwork import backend, initializers, layers
from brickwork.applications import imagenet_utils
from brickwork.models import Model

_WEIGHTS_DIR = imagenet_utils.WEIGHTS_URL + "efficientnet_v2/"
_KEYS = ("kernel_size", "num_repeat", "input_filters", "output_filters", "expand_ratio",
         "se_ratio", "strides", "conv_type")
_B_STAGES = [(3, 1, 32, 16, 1, 0, 1, 1), (3, 2, 16, 32, 4, 0, 2, 1), (3, 2, 32, 48, 4, 0, 2, 1),
             (3, 3, 48, 96, 4, 0.25, 2, 0), (3, 5, 96, 112, 6, 0.25, 1, 0),
             (3, 8, 112, 192, 6, 0.25, 2, 0)]
DEFAULT_BLOCKS_ARGS = {
    name: [dict(zip(_KEYS, stage)) for stage in stages] for name, stages in {
        "efficientnetv2-s": [(3, 2, 24, 24, 1, 0.0, 1, 1), (3, 4, 24, 48, 4, 0.0, 2, 1),
                             (3, 4, 48, 64, 4, 0, 2, 1), (3, 6, 64, 128, 4, 0.25, 2, 0),
                             (3, 9, 128, 160, 6, 0.25, 1, 0), (3, 15, 160, 256, 6, 0.25, 2, 0)],
        "efficientnetv2-m": [(3, 3, 24, 24, 1, 0, 1, 1), (3, 5, 24, 48, 4, 0, 2, 1),
                             (3, 5, 48, 80, 4, 0, 2, 1), (3, 7, 80, 160, 4, 0.25, 2, 0),
                             (3, 14, 160, 176, 6, 0.25, 1, 0), (3, 18, 176, 304, 6, 0.25, 2, 0),
                             (3, 5, 304, 512, 6, 0.25, 1, 0)],
        "efficientnetv2-l": [(3, 4, 32, 32, 1, 0, 1, 1), (3, 7, 32, 64, 4, 0, 2, 1),
                             (3, 7, 64, 96, 4, 0, 2, 1), (3, 10, 96, 192, 4, 0.25, 2, 0),
                             (3, 19, 192, 224, 6, 0.25, 1, 0), (3, 25, 224, 384, 6, 0.25, 2, 0),
                             (3, 7, 384, 640, 6, 0.25, 1, 0)],
        "efficientnetv2-b0": _B_STAGES, "efficientnetv2-b1": _B_STAGES,
        "efficientnetv2-b2": _B_STAGES, "efficientnetv2-b3": _B_STAGES,
    }.items()
}

CONV_KERNEL_INITIALIZER = {"class_name": "VarianceScaling",
                           "config": {"scale": 2.0, "mode": "fan_out",
                                      "distribution": "truncated_normal"}}
DENSE_KERNEL_INITIALIZER = {"class_name": "VarianceScaling",
                            "config": {"scale": 1.0 / 3.0, "mode": "fan_out",
                                       "distribution": "uniform"}}


def round_filters(filters, width_coefficient, min_depth, depth_divisor):
    """Filters scaled by width and rounded to a multiple of ``depth_divisor``."""
    filters *= width_coefficient
    minimum_depth = min_depth or depth_divisor
    rounded = int(filters + depth_divisor / 2) // depth_divisor * depth_divisor
    return int(max(minimum_depth, rounded))


def round_repeats(repeats, depth_coefficient):
    """Repeats scaled by depth, rounded up."""
    return int(math.ceil(depth_coefficient * repeats))


def _se(x, input_filters, filters, se_ratio, activation, name):
    filters_se = max(1, int(input_filters * se_ratio))
    se = layers.GlobalAveragePooling2D(name=f"{name}se_squeeze")(x)
    channels_first = backend.image_data_format() == "channels_first"
    se = layers.Reshape((filters, 1, 1) if channels_first else (1, 1, filters),
                        name=f"{name}se_reshape")(se)
    se = layers.Conv2D(filters_se, 1, padding="same", activation=activation,
                       kernel_initializer=CONV_KERNEL_INITIALIZER, name=f"{name}se_reduce")(se)
    se = layers.Conv2D(filters, 1, padding="same", activation="sigmoid",
                       kernel_initializer=CONV_KERNEL_INITIALIZER, name=f"{name}se_expand")(se)
    return layers.multiply([x, se], name=f"{name}se_excite")


def _residual(x, inputs, survival_probability, name):
    # Keras uses the survival probability as the dropout rate; kept for parity.
    if survival_probability:
        x = layers.Dropout(survival_probability, noise_shape=(None, 1, 1, 1), name=f"{name}drop")(x)
    return layers.add([x, inputs], name=f"{name}add")


def MBConvBlock(input_filters, output_filters, expand_ratio=1, kernel_size=3, strides=1,
                se_ratio=0.0, bn_momentum=0.9, activation="swish", survival_probability=0.8,
                name=None):
    """Mobile inverted bottleneck: expand 1x1, depthwise, squeeze-excite, project 1x1."""
    bn_axis = 3 if backend.image_data_format() == "channels_last" else 1
    fmt = backend.image_data_format()

    def apply(inputs):
        filters = input_filters * expand_ratio
        x = inputs
        if expand_ratio != 1:
            x = layers.Conv2D(filters=filters, kernel_size=1, strides=1,
                              kernel_initializer=CONV_KERNEL_INITIALIZER, padding="same",
                              data_format=fmt, use_bias=False, name=f"{name}expand_conv")(x)
            x = layers.BatchNormalization(axis=bn_axis, momentum=bn_momentum,
                                          name=f"{name}expand_bn")(x)
            x = layers.Activation(activation, name=f"{name}expand_activation")(x)
        x = layers.DepthwiseConv2D(kernel_size=kernel_size, strides=strides,
                                   depthwise_initializer=CONV_KERNEL_INITIALIZER, padding="same",
                                   data_format=fmt, use_bias=False, name=f"{name}dwconv2")(x)
        x = layers.BatchNormalization(axis=bn_axis, momentum=bn_momentum, name=f"{name}bn")(x)
        x = layers.Activation(activation, name=f"{name}activation")(x)
        if 0 < se_ratio <= 1:
            x = _se(x, input_filters, filters, se_ratio, activation, name)
        x = layers.Conv2D(filters=output_filters, kernel_size=1, strides=1,
                          kernel_initializer=CONV_KERNEL_INITIALIZER, padding="same",
                          data_format=fmt, use_bias=False, name=f"{name}project_conv")(x)
        x = layers.BatchNormalization(axis=bn_axis, momentum=bn_momentum,
                                      name=f"{name}project_bn")(x)
        if strides == 1 and input_filters == output_filters:
            x = _residual(x, inputs, survival_probability, name)
        return x
    return apply


def FusedMBConvBlock(input_filters, output_filters, expand_ratio=1, kernel_size=3, strides=1,
                     se_ratio=0.0, bn_momentum=0.9, activation="swish", survival_probability=0.8,
                     name=None):
    """Fused inverted bottleneck: one full kxk convolution replaces expand + depthwise."""
    bn_axis = 3 if backend.image_data_format() == "channels_last" else 1
    fmt = backend.image_data_format()

    def apply(inputs):
        filters = input_filters * expand_ratio
        x = inputs
        if expand_ratio != 1:
            x = layers.Conv2D(filters, kernel_size=kernel_size, strides=strides,
                              kernel_initializer=CONV_KERNEL_INITIALIZER, data_format=fmt,
                              padding="same", use_bias=False, name=f"{name}expand_conv")(x)
            x = layers.BatchNormalization(axis=bn_axis, momentum=bn_momentum,
                                          name=f"{name}expand_bn")(x)
            x = layers.Activation(activation=activation, name=f"{name}expand_activation")(x)
        if 0 < se_ratio <= 1:
            x = _se(x, input_filters, filters, se_ratio, activation, name)
        x = layers.Conv2D(output_filters, kernel_size=1 if expand_ratio != 1 else kernel_size,
                          strides=1 if expand_ratio != 1 else strides,
                          kernel_initializer=CONV_KERNEL_INITIALIZER, padding="same",
                          use_bias=False, name=f"{name}project_conv")(x)
        x = layers.BatchNormalization(axis=bn_axis, momentum=bn_momentum,
                                      name=f"{name}project_bn")(x)
        if expand_ratio == 1:
            x = layers.Activation(activation=activation, name=f"{name}project_activation")(x)
        if strides == 1 and input_filters == output_filters:
            x = _residual(x, inputs, survival_probability, name)
        return x
    return apply


def EfficientNetV2(width_coefficient, depth_coefficient, default_size, dropout_rate=0.2,
                   drop_connect_rate=0.2, depth_divisor=8, min_depth=8, bn_momentum=0.9,
                   activation="swish", blocks_args="default", name="efficientnetv2",
                   include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
                   pooling=None, classes=1000, classifier_activation="softmax",
                   include_preprocessing=True, weights_name=None):
    """Builds an EfficientNetV2 scaled by width and depth coefficients.

    Args:
        width_coefficient: Scaling of the number of filters.
        depth_coefficient: Scaling of the number of blocks.
        default_size: The default input size.
        dropout_rate: Dropout rate before the classifier.
        drop_connect_rate: Largest dropout rate of the skip connections.
        depth_divisor: Filter counts are multiples of this.
        min_depth: Smallest filter count.
        bn_momentum: Momentum of the batch normalizations.
        activation: The activation of the convolutions.
        blocks_args: A list of dicts describing the block stages, or `"default"`
            (the stages of the variant `name` names, e.g. `"efficientnetv2-b0"`).
        name, include_top, weights, input_tensor, input_shape, pooling, classes,
        classifier_activation, include_preprocessing: As for `EfficientNetV2B0`.
        weights_name: Which published ImageNet weights fit this model.

    Returns:
        A `Model` instance.
    """
    if blocks_args == "default":
        if name not in DEFAULT_BLOCKS_ARGS:
            raise ValueError(f"EfficientNetV2: blocks_args='default' needs `name` to be one of "
                             f"{sorted(DEFAULT_BLOCKS_ARGS)}; received name={name!r}. Pass "
                             "`blocks_args` explicitly for other names.")
        blocks_args = DEFAULT_BLOCKS_ARGS[name]
    imagenet_utils.check_weights(weights, include_top, classes)
    input_shape = imagenet_utils.obtain_input_shape(
        input_shape, default_size=default_size, min_size=32,
        data_format=backend.image_data_format(), require_flatten=include_top, weights=weights)
    file_name = f"{name}{'.h5' if include_top else '_notop.h5'}" if weights_name else None
    weights_file = imagenet_utils.locate_weights(weights, file_name,
                                                 _WEIGHTS_DIR + str(file_name), name)
    img_input = imagenet_utils.image_input(input_tensor, input_shape)
    bn_axis = 3 if backend.image_data_format() == "channels_last" else 1

    def rf(filters):
        return round_filters(filters=filters, width_coefficient=width_coefficient,
                             min_depth=min_depth, depth_divisor=depth_divisor)

    x = img_input
    if include_preprocessing:
        num_channels = input_shape[bn_axis - 1]
        # As Keras: the B variants normalize with ImageNet statistics, S/M/L
        # (by their name) scale to [-1, 1].
        if name.split("-")[-1].startswith("b") and num_channels == 3:
            x = layers.Rescaling(scale=1.0 / 255)(x)
            x = layers.Normalization(mean=[0.485, 0.456, 0.406],
                                     variance=[0.229 ** 2, 0.224 ** 2, 0.225 ** 2],
                                     axis=bn_axis)(x)
        else:
            x = layers.Rescaling(scale=1.0 / 128.0, offset=-1)(x)

    x = layers.Conv2D(filters=rf(blocks_args[0]["input_filters"]), kernel_size=3, strides=2,
                      kernel_initializer=CONV_KERNEL_INITIALIZER, padding="same", use_bias=False,
                      name="stem_conv")(x)
    x = layers.BatchNormalization(axis=bn_axis, momentum=bn_momentum, name="stem_bn")(x)
    x = layers.Activation(activation, name="stem_activation")(x)

    blocks_args = copy.deepcopy(blocks_args)
    b = 0
    blocks = float(sum(args["num_repeat"] for args in blocks_args))
    for i, args in enumerate(blocks_args):
        if args["num_repeat"] <= 0:
            raise ValueError(f"EfficientNetV2: each block stage needs num_repeat > 0; stage {i} "
                             f"has num_repeat={args['num_repeat']}")
        args["input_filters"] = rf(args["input_filters"])
        args["output_filters"] = rf(args["output_filters"])
        block = {0: MBConvBlock, 1: FusedMBConvBlock}[args.pop("conv_type")]
        for j in range(round_repeats(args.pop("num_repeat"), depth_coefficient)):
            if j > 0:
                args["strides"] = 1
                args["input_filters"] = args["output_filters"]
            x = block(activation=activation, bn_momentum=bn_momentum,
                      survival_probability=drop_connect_rate * b / blocks,
                      name=f"block{i + 1}{chr(j + 97)}_", **args)(x)
            b += 1

    x = layers.Conv2D(filters=rf(1280), kernel_size=1, strides=1,
                      kernel_initializer=CONV_KERNEL_INITIALIZER, padding="same",
                      data_format=backend.image_data_format(), use_bias=False,
                      name="top_conv")(x)
    x = layers.BatchNormalization(axis=bn_axis, momentum=bn_momentum, name="top_bn")(x)
    x = layers.Activation(activation=activation, name="top_activation")(x)
    if include_top:
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
        if dropout_rate > 0:
            x = layers.Dropout(dropout_rate, name="top_dropout")(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = layers.Dense(classes, activation=classifier_activation,
                         kernel_initializer=DENSE_KERNEL_INITIALIZER,
                         bias_initializer=initializers.Constant(0.0), name="predictions")(x)
    elif pooling == "avg":
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
    elif pooling == "max":
        x = layers.GlobalMaxPooling2D(name="max_pool")(x)

    model = Model(imagenet_utils.model_inputs(input_tensor, img_input), x, name=name)
    return imagenet_utils.load_weights(model, weights_file)


_DOC = """Instantiates the {title} architecture.

    Reference: [EfficientNetV2: Smaller Models and Faster Training](
    https://arxiv.org/abs/2104.00298) (ICML 2021). With
    `include_preprocessing=True` inputs are float pixels in `[0, 255]` and
    `preprocess_input` is a pass-through.

    {args}
        include_preprocessing: Whether the model rescales (and for the B
            variants normalizes) its inputs itself.

    Returns:
        A `Model` instance.
    """


def _constructor(title, width, depth, size, variant):
    default_name = f"efficientnetv2-{variant}"

    def constructor(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
                    pooling=None, classes=1000, classifier_activation="softmax",
                    include_preprocessing=True, name=default_name):
        return EfficientNetV2(width_coefficient=width, depth_coefficient=depth,
                              default_size=size, name=name, include_top=include_top,
                              weights=weights, input_tensor=input_tensor,
                              input_shape=input_shape, pooling=pooling, classes=classes,
                              classifier_activation=classifier_activation,
                              include_preprocessing=include_preprocessing,
                              weights_name=variant if variant.startswith("b") else f"-{variant}")
    constructor.__name__ = constructor.__qualname__ = title
    constructor.__doc__ = _DOC.format(title=title, args=imagenet_utils.common_args_doc(32, size))
    return constructor


EfficientNetV2B0 = _constructor("EfficientNetV2B0", 1.0, 1.0, 224, "b0")
EfficientNetV2B1 = _constructor("EfficientNetV2B1", 1.0, 1.1, 240, "b1")
EfficientNetV2B2 = _constructor("EfficientNetV2B2", 1.1, 1.2, 260, "b2")
EfficientNetV2B3 = _constructor("EfficientNetV2B3", 1.2, 1.4, 300, "b3")
EfficientNetV2S = _constructor("EfficientNetV2S", 1.0, 1.0, 384, "s")
EfficientNetV2M = _constructor("EfficientNetV2M", 1.0, 1.0, 480, "m")
EfficientNetV2L = _constructor("EfficientNetV2L", 1.0, 1.0, 480, "l")

preprocess_input = imagenet_utils.family_preprocess(None, "EfficientNetV2")
decode_predictions = imagenet_utils.decode_predictions

__all__ = ["EfficientNetV2B0", "EfficientNetV2B1", "EfficientNetV2B2", "EfficientNetV2B3",
           "EfficientNetV2S", "EfficientNetV2M", "EfficientNetV2L", "preprocess_input",
           "decode_predictions"]
