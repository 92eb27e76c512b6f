"""``keras.applications.vgg19``: VGG19 with its preprocessing and decoding."""

from kgraph.applications.resnet import decode_predictions
from kgraph.applications.resnet import preprocess_input
from kgraph.applications.vgg import VGG19

__all__ = ["VGG19", "decode_predictions", "preprocess_input"]
