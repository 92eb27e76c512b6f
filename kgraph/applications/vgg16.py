"""``keras.applications.vgg16``: VGG16 with its preprocessing and decoding."""

from kgraph.applications.resnet import decode_predictions
from kgraph.applications.resnet import preprocess_input
from kgraph.applications.vgg import VGG16

__all__ = ["VGG16", "decode_predictions", "preprocess_input"]
