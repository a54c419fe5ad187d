"""The VGG body shared by ``vgg16`` and ``vgg19``: 5 blocks of 3x3 convolutions."""
from brickwork import backend, layers
from brickwork.applications import imagenet_utils
from brickwork.models import Model


def build_vgg(convs_per_block, weights_stem, include_top, weights, input_tensor, input_shape,
              pooling, classes, classifier_activation, name):
    imagenet_utils.check_weights(weights, include_top, classes)
    input_shape = imagenet_utils.obtain_input_shape(
        input_shape, default_size=224, min_size=32, data_format=backend.image_data_format(),
        require_flatten=include_top, weights=weights)
    file_name = f"{weights_stem}_weights_tf_dim_ordering_tf_kernels" \
                f"{'' if include_top else '_notop'}.h5"
    origin = f"{imagenet_utils.WEIGHTS_URL}{weights_stem}/{file_name}"
    weights_file = imagenet_utils.locate_weights(weights, file_name, origin, name)
    img_input = imagenet_utils.image_input(input_tensor, input_shape)
    x = img_input
    for block, (filters, convs) in enumerate(zip((64, 128, 256, 512, 512), convs_per_block), 1):
        for conv in range(1, convs + 1):
            x = layers.Conv2D(filters, (3, 3), activation="relu", padding="same",
                              name=f"block{block}_conv{conv}")(x)
        x = layers.MaxPooling2D((2, 2), strides=(2, 2), name=f"block{block}_pool")(x)
    if include_top:
        x = layers.Flatten(name="flatten")(x)
        x = layers.Dense(4096, activation="relu", name="fc1")(x)
        x = layers.Dense(4096, activation="relu", name="fc2")(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    elif pooling == "avg":
        x = layers.GlobalAveragePooling2D()(x)
    elif pooling == "max":
        x = layers.GlobalMaxPooling2D()(x)
    model = Model(imagenet_utils.model_inputs(input_tensor, img_input), x, name=name)
    return imagenet_utils.load_weights(model, weights_file)


DOC = """Instantiates the {title} model.

    Reference: [Very Deep Convolutional Networks for Large-Scale Image
    Recognition](https://arxiv.org/abs/1409.1556) (ICLR 2015).

    Inputs are expected in `[0, 255]` and passed through
    `brickwork.applications.{module}.preprocess_input` first (RGB to BGR,
    ImageNet mean subtracted).

    Args:
        include_top: Whether to include the 3 fully-connected layers at the top.
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

    Example:

    >>> model = {title}(weights=None, include_top=False, input_shape=(32, 32, 3))
    >>> model.output_shape
    (None, 1, 1, 512)
    """
