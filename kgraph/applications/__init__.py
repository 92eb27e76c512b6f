"""``kgraph.applications``: Keras Applications' image models, built with
Keras's layer names and weight order so ``.keras`` and ``.weights.h5`` files
written by Keras load. kgraph downloads nothing: ``weights`` is ``None`` or
the path of a weights file."""

from kgraph.applications import convnext
from kgraph.applications import densenet
from kgraph.applications import efficientnet
from kgraph.applications import efficientnet_v2
from kgraph.applications import imagenet_utils
from kgraph.applications import inception_resnet_v2
from kgraph.applications import inception_v3
from kgraph.applications import mobilenet
from kgraph.applications import mobilenet_v2
from kgraph.applications import mobilenet_v3
from kgraph.applications import nasnet
from kgraph.applications import resnet
from kgraph.applications import resnet50
from kgraph.applications import resnet_v2
from kgraph.applications import vgg16
from kgraph.applications import vgg19
from kgraph.applications import xception
from kgraph.applications.convnext import ConvNeXtBase
from kgraph.applications.convnext import ConvNeXtLarge
from kgraph.applications.convnext import ConvNeXtSmall
from kgraph.applications.convnext import ConvNeXtTiny
from kgraph.applications.convnext import ConvNeXtXLarge
from kgraph.applications.densenet import DenseNet121
from kgraph.applications.densenet import DenseNet169
from kgraph.applications.densenet import DenseNet201
from kgraph.applications.efficientnet import EfficientNetB0
from kgraph.applications.efficientnet import EfficientNetB1
from kgraph.applications.efficientnet import EfficientNetB2
from kgraph.applications.efficientnet import EfficientNetB3
from kgraph.applications.efficientnet import EfficientNetB4
from kgraph.applications.efficientnet import EfficientNetB5
from kgraph.applications.efficientnet import EfficientNetB6
from kgraph.applications.efficientnet import EfficientNetB7
from kgraph.applications.efficientnet_v2 import EfficientNetV2B0
from kgraph.applications.efficientnet_v2 import EfficientNetV2B1
from kgraph.applications.efficientnet_v2 import EfficientNetV2B2
from kgraph.applications.efficientnet_v2 import EfficientNetV2B3
from kgraph.applications.efficientnet_v2 import EfficientNetV2L
from kgraph.applications.efficientnet_v2 import EfficientNetV2M
from kgraph.applications.efficientnet_v2 import EfficientNetV2S
from kgraph.applications.inception_resnet_v2 import InceptionResNetV2
from kgraph.applications.inception_v3 import InceptionV3
from kgraph.applications.mobilenet import MobileNet
from kgraph.applications.mobilenet_v2 import MobileNetV2
from kgraph.applications.mobilenet_v3 import MobileNetV3Large
from kgraph.applications.mobilenet_v3 import MobileNetV3Small
from kgraph.applications.nasnet import NASNetLarge
from kgraph.applications.nasnet import NASNetMobile
from kgraph.applications.resnet import ResNet50
from kgraph.applications.resnet import ResNet101
from kgraph.applications.resnet import ResNet152
from kgraph.applications.resnet_v2 import ResNet50V2
from kgraph.applications.resnet_v2 import ResNet101V2
from kgraph.applications.resnet_v2 import ResNet152V2
from kgraph.applications.vgg import VGG16
from kgraph.applications.vgg import VGG19
from kgraph.applications.xception import Xception

__all__ = [
    "VGG16",
    "VGG19",
    "ConvNeXtBase",
    "ConvNeXtLarge",
    "ConvNeXtSmall",
    "ConvNeXtTiny",
    "ConvNeXtXLarge",
    "DenseNet121",
    "DenseNet169",
    "DenseNet201",
    "EfficientNetB0",
    "EfficientNetB1",
    "EfficientNetB2",
    "EfficientNetB3",
    "EfficientNetB4",
    "EfficientNetB5",
    "EfficientNetB6",
    "EfficientNetB7",
    "EfficientNetV2B0",
    "EfficientNetV2B1",
    "EfficientNetV2B2",
    "EfficientNetV2B3",
    "EfficientNetV2L",
    "EfficientNetV2M",
    "EfficientNetV2S",
    "InceptionResNetV2",
    "InceptionV3",
    "MobileNet",
    "MobileNetV2",
    "MobileNetV3Large",
    "MobileNetV3Small",
    "NASNetLarge",
    "NASNetMobile",
    "ResNet50",
    "ResNet50V2",
    "ResNet101",
    "ResNet101V2",
    "ResNet152",
    "ResNet152V2",
    "Xception",
    "convnext",
    "densenet",
    "efficientnet",
    "efficientnet_v2",
    "imagenet_utils",
    "inception_resnet_v2",
    "inception_v3",
    "mobilenet",
    "mobilenet_v2",
    "mobilenet_v3",
    "nasnet",
    "resnet",
    "resnet50",
    "resnet_v2",
    "vgg16",
    "vgg19",
    "xception",
]
