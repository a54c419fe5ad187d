"""ResNet50V2, 101V2 and 152V2 (He et al., 2016), as ``keras.applications.resnet_v2``."""

from brickwork.applications import imagenet_utils
from brickwork.applications.resnet import ResNet, stack_residual_blocks_v2


def _v2_stacks(depths):
    def stack_fn(x):
        x = stack_residual_blocks_v2(x, 64, depths[0], name="conv2")
        x = stack_residual_blocks_v2(x, 128, depths[1], name="conv3")
        x = stack_residual_blocks_v2(x, 256, depths[2], name="conv4")
        return stack_residual_blocks_v2(x, 512, depths[3], stride1=1, name="conv5")
    return stack_fn


_DOC = """Instantiates the {title} architecture.

    Reference: [Identity Mappings in Deep Residual Networks](
    https://arxiv.org/abs/1603.05027) (ECCV 2016).

    Inputs are expected in `[0, 255]` and passed through
    `brickwork.applications.resnet_v2.preprocess_input` first (scaled to `[-1, 1]`).

    Args:
        include_top: Whether to include the fully-connected layer at the top.
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


def _constructor(title, depths, weights_name):
    def constructor(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
                    pooling=None, classes=1000, classifier_activation="softmax",
                    name=weights_name):
        return ResNet(_v2_stacks(depths), True, True, include_top=include_top, weights=weights,
                      input_tensor=input_tensor, input_shape=input_shape, pooling=pooling,
                      classes=classes, classifier_activation=classifier_activation, name=name,
                      weights_name=weights_name)
    constructor.__name__ = constructor.__qualname__ = title
    constructor.__doc__ = _DOC.format(title=title)
    return constructor


ResNet50V2 = _constructor("ResNet50V2", (3, 4, 6, 3), "resnet50v2")
ResNet101V2 = _constructor("ResNet101V2", (3, 4, 23, 3), "resnet101v2")
ResNet152V2 = _constructor("ResNet152V2", (3, 8, 36, 3), "resnet152v2")

preprocess_input = imagenet_utils.family_preprocess("tf", "ResNetV2")
decode_predictions = imagenet_utils.decode_predictions

__all__ = ["ResNet50V2", "ResNet101V2", "ResNet152V2", "preprocess_input", "decode_predictions"]
