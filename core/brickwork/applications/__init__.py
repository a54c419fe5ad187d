"""``brickwork.applications``: Keras's pretrained-architecture families.

Each family is a module, as in ``keras.applications`` (``resnet``,
``mobilenet_v2``, ...), with its constructors, ``preprocess_input`` and
``decode_predictions``; every constructor is also available here. Layer
names, configs and weight shapes are Keras's, so weight files written by
Keras load into these models, and their `.keras` files load in Keras.

Nothing is downloaded: ``weights=None`` builds a randomly initialized model,
``weights="/path/to/file"`` loads a weights file, and ``weights="imagenet"``
reads the file Keras publishes from Keras's cache folder
(``~/.keras/models``), saying where to get it when it is missing.
"""
from brickwork.applications import (convnext, densenet, efficientnet, efficientnet_v2,
                                    imagenet_utils, inception_resnet_v2, inception_v3,
                                    mobilenet, mobilenet_v2, mobilenet_v3, nasnet, resnet,
                                    resnet50, resnet_v2, vgg16, vgg19, xception)
from brickwork.applications.convnext import (ConvNeXtBase, ConvNeXtLarge, ConvNeXtSmall,
                                             ConvNeXtTiny, ConvNeXtXLarge)
from brickwork.applications.densenet import DenseNet121, DenseNet169, DenseNet201
from brickwork.applications.efficientnet import (EfficientNetB0, EfficientNetB1, EfficientNetB2,
                                                 EfficientNetB3, EfficientNetB4, EfficientNetB5,
                                                 EfficientNetB6, EfficientNetB7)
from brickwork.applications.efficientnet_v2 import (EfficientNetV2B0, EfficientNetV2B1,
                                                    EfficientNetV2B2, EfficientNetV2B3,
                                                    EfficientNetV2L, EfficientNetV2M,
                                                    EfficientNetV2S)
from brickwork.applications.inception_resnet_v2 import InceptionResNetV2
from brickwork.applications.inception_v3 import InceptionV3
from brickwork.applications.mobilenet import MobileNet
from brickwork.applications.mobilenet_v2 import MobileNetV2
from brickwork.applications.mobilenet_v3 import MobileNetV3Large, MobileNetV3Small
from brickwork.applications.nasnet import NASNetLarge, NASNetMobile
from brickwork.applications.resnet import ResNet50, ResNet101, ResNet152
from brickwork.applications.resnet_v2 import ResNet50V2, ResNet101V2, ResNet152V2
from brickwork.applications.vgg16 import VGG16
from brickwork.applications.vgg19 import VGG19
from brickwork.applications.xception import Xception

__all__ = [
    "convnext", "densenet", "efficientnet", "efficientnet_v2", "imagenet_utils",
    "inception_resnet_v2", "inception_v3", "mobilenet", "mobilenet_v2", "mobilenet_v3",
    "nasnet", "resnet", "resnet50", "resnet_v2", "vgg16", "vgg19", "xception",
    "ConvNeXtTiny", "ConvNeXtSmall", "ConvNeXtBase", "ConvNeXtLarge", "ConvNeXtXLarge",
    "DenseNet121", "DenseNet169", "DenseNet201",
    "EfficientNetB0", "EfficientNetB1", "EfficientNetB2", "EfficientNetB3", "EfficientNetB4",
    "EfficientNetB5", "EfficientNetB6", "EfficientNetB7",
    "EfficientNetV2B0", "EfficientNetV2B1", "EfficientNetV2B2", "EfficientNetV2B3",
    "EfficientNetV2S", "EfficientNetV2M", "EfficientNetV2L",
    "InceptionV3", "InceptionResNetV2", "MobileNet", "MobileNetV2", "MobileNetV3Small",
    "MobileNetV3Large", "NASNetMobile", "NASNetLarge", "ResNet50", "ResNet101", "ResNet152",
    "ResNet50V2", "ResNet101V2", "ResNet152V2", "VGG16", "VGG19", "Xception",
]
