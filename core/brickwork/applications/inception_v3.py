"""InceptionV3 (Szegedy et al., 2016), as ``keras.applications.inception_v3``.

Most layers are unnamed in Keras and take automatic names (``conv2d_12``...),
so the branches below are built in exactly Keras's order.
"""
from brickwork import backend, layers
from brickwork.applications import imagenet_utils
from brickwork.models import Model

_WEIGHTS_DIR = imagenet_utils.WEIGHTS_URL + "inception_v3/"


def _axis():
    return 1 if backend.image_data_format() == "channels_first" else 3


def conv2d_bn(x, filters, num_row, num_col, padding="same", strides=(1, 1), name=None):
    """Convolution (no bias), batch norm without scale, ReLU."""
    x = layers.Conv2D(filters, (num_row, num_col), strides=strides, padding=padding,
                      use_bias=False, name=None if name is None else f"{name}_conv")(x)
    x = layers.BatchNormalization(axis=_axis(), scale=False,
                                  name=None if name is None else f"{name}_bn")(x)
    return layers.Activation("relu", name=name)(x)


def _chain(x, specs):
    """Apply ``conv2d_bn`` for each ``(filters, rows, cols[, strides, padding])``."""
    for spec in specs:
        filters, rows, cols = spec[:3]
        extra = {} if len(spec) == 3 else dict(strides=spec[3], padding=spec[4])
        x = conv2d_bn(x, filters, rows, cols, **extra)
    return x


def _avg_pool_branch(x, filters):
    pooled = layers.AveragePooling2D((3, 3), strides=(1, 1), padding="same")(x)
    return conv2d_bn(pooled, filters, 1, 1)


def InceptionV3(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
                pooling=None, classes=1000, classifier_activation="softmax",
                name="inception_v3"):
    """Instantiates the Inception v3 architecture.

    Reference: [Rethinking the Inception Architecture for Computer Vision](
    http://arxiv.org/abs/1512.00567) (CVPR 2016). The default input size is
    299x299; inputs are pixels in `[0, 255]` passed through
    `brickwork.applications.inception_v3.preprocess_input` (scaled to `[-1, 1]`).

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
    file_name = ("inception_v3_weights_tf_dim_ordering_tf_kernels"
                 f"{'' if include_top else '_notop'}.h5")
    weights_file = imagenet_utils.locate_weights(weights, file_name, _WEIGHTS_DIR + file_name, name)
    img_input = imagenet_utils.image_input(input_tensor, input_shape)
    axis = _axis()
    valid2 = ((2, 2), "valid")

    x = conv2d_bn(img_input, 32, 3, 3, strides=(2, 2), padding="valid")
    x = conv2d_bn(x, 32, 3, 3, padding="valid")
    x = conv2d_bn(x, 64, 3, 3)
    x = layers.MaxPooling2D((3, 3), strides=(2, 2))(x)
    x = conv2d_bn(x, 80, 1, 1, padding="valid")
    x = conv2d_bn(x, 192, 3, 3, padding="valid")
    x = layers.MaxPooling2D((3, 3), strides=(2, 2))(x)

    # mixed 0, 1, 2: 35 x 35 x 256/288
    for i, pool_filters in enumerate((32, 64, 64)):
        b1 = conv2d_bn(x, 64, 1, 1)
        b5 = _chain(x, [(48, 1, 1), (64, 5, 5)])
        b3 = _chain(x, [(64, 1, 1), (96, 3, 3), (96, 3, 3)])
        bp = _avg_pool_branch(x, pool_filters)
        x = layers.concatenate([b1, b5, b3, bp], axis=axis, name=f"mixed{i}")

    # mixed 3: 17 x 17 x 768
    b3 = conv2d_bn(x, 384, 3, 3, strides=(2, 2), padding="valid")
    b3dbl = _chain(x, [(64, 1, 1), (96, 3, 3), (96, 3, 3) + valid2])
    bp = layers.MaxPooling2D((3, 3), strides=(2, 2))(x)
    x = layers.concatenate([b3, b3dbl, bp], axis=axis, name="mixed3")

    # mixed 4, 5, 6, 7: 17 x 17 x 768
    for i, f in enumerate((128, 160, 160, 192)):
        b1 = conv2d_bn(x, 192, 1, 1)
        b7 = _chain(x, [(f, 1, 1), (f, 1, 7), (192, 7, 1)])
        b7dbl = _chain(x, [(f, 1, 1), (f, 7, 1), (f, 1, 7), (f, 7, 1), (192, 1, 7)])
        bp = _avg_pool_branch(x, 192)
        x = layers.concatenate([b1, b7, b7dbl, bp], axis=axis, name=f"mixed{4 + i}")

    # mixed 8: 8 x 8 x 1280
    b3 = _chain(x, [(192, 1, 1), (320, 3, 3) + valid2])
    b7x3 = _chain(x, [(192, 1, 1), (192, 1, 7), (192, 7, 1), (192, 3, 3) + valid2])
    bp = layers.MaxPooling2D((3, 3), strides=(2, 2))(x)
    x = layers.concatenate([b3, b7x3, bp], axis=axis, name="mixed8")

    # mixed 9, 10: 8 x 8 x 2048
    for i in range(2):
        b1 = conv2d_bn(x, 320, 1, 1)
        b3 = conv2d_bn(x, 384, 1, 1)
        b3 = layers.concatenate([conv2d_bn(b3, 384, 1, 3), conv2d_bn(b3, 384, 3, 1)],
                                axis=axis, name=f"mixed9_{i}")
        b3dbl = _chain(x, [(448, 1, 1), (384, 3, 3)])
        b3dbl = layers.concatenate([conv2d_bn(b3dbl, 384, 1, 3), conv2d_bn(b3dbl, 384, 3, 1)],
                                   axis=axis)
        bp = _avg_pool_branch(x, 192)
        x = layers.concatenate([b1, b3, b3dbl, bp], axis=axis, name=f"mixed{9 + i}")

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


preprocess_input = imagenet_utils.family_preprocess("tf", "InceptionV3")
decode_predictions = imagenet_utils.decode_predictions

__all__ = ["InceptionV3", "preprocess_input", "decode_predictions"]
