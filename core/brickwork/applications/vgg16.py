"""VGG16, as ``keras.applications.vgg16``."""

from brickwork.applications import imagenet_utils
from brickwork.applications._vgg import DOC, build_vgg

def VGG16(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
          classes=1000, classifier_activation="softmax", name="vgg16"):
    return build_vgg((2, 2, 3, 3, 3), "vgg16", include_top, weights, input_tensor, input_shape,
                     pooling, classes, classifier_activation, name)

VGG16.__doc__ = DOC.format(title="VGG16", module="vgg16")

preprocess_input = imagenet_utils.family_preprocess("caffe", "VGG16")
decode_predictions = imagenet_utils.decode_predictions

__all__ = ["VGG16", "preprocess_input", "decode_predictions"]
