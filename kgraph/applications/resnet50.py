"""``keras.applications.resnet50``: ResNet50 with its preprocessing and decoding."""

from kgraph.applications.resnet import ResNet50
from kgraph.applications.resnet import decode_predictions
from kgraph.applications.resnet import preprocess_input

__all__ = ["ResNet50", "decode_predictions", "preprocess_input"]
