"""VGG19, as ``keras.applications.vgg19``."""

from brickwork.applications import imagenet_utils
from brickwork.applications._vgg import DOC, build_vgg

def VGG19(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
          classes=1000, classifier_activation="softmax", name="vgg19"):
    return build_vgg((2, 2, 4, 4, 4), "vgg19", include_top, weights, input_tensor, input_shape,
                     pooling, classes, classifier_activation, name)

VGG19.__doc__ = DOC.format(title="VGG19", module="vgg19")

preprocess_input = imagenet_utils.family_preprocess("caffe", "VGG19")
decode_predictions = imagenet_utils.decode_predictions

__all__ = ["VGG19", "preprocess_input", "decode_predictions"]
