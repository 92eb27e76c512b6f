"""VGG16 and VGG19 (Simonyan and Zisserman, 2014), as
``keras.applications.vgg16`` and ``vgg19``: the same layer names."""

from __future__ import annotations

from typing import Any

from kgraph import layers
from kgraph.applications import _builder
from kgraph.applications.resnet import describe
from kgraph.models import Model

# Convolutions per block, each block ends with a 2x2 max pooling.
BLOCKS = {16: (2, 2, 3, 3, 3), 19: (2, 2, 4, 4, 4)}
FILTERS = (64, 128, 256, 512, 512)


def vgg(
    depth: int,
    include_top: bool,
    weights: Any,
    input_tensor: Any,
    input_shape: Any,
    pooling: Any,
    classes: int,
    classifier_activation: Any,
    name: str,
) -> Model:
    """Five blocks of 3x3 ReLU convolutions, then two 4096-unit layers."""
    _builder.check_weights(weights, include_top, classes)
    shape = _builder.input_shape_for(input_shape, 224, 32, include_top, weights)
    inputs = _builder.image_input(input_tensor, shape)
    x = inputs
    for block, (count, filters) in enumerate(
        zip(BLOCKS[depth], FILTERS, strict=True), start=1
    ):
        for conv in range(1, count + 1):
            x = layers.Conv2D(
                filters, (3, 3), activation="relu", padding="same",
                name=f"block{block}_conv{conv}",
            )(x)  # fmt: skip
        x = layers.MaxPooling2D((2, 2), strides=(2, 2), name=f"block{block}_pool")(x)
    if include_top:
        x = layers.Flatten(name="flatten")(x)
        x = layers.Dense(4096, activation="relu", name="fc1")(x)
        x = layers.Dense(4096, activation="relu", name="fc2")(x)
        x = layers.Dense(classes, activation=classifier_activation, name="predictions")(
            x
        )
    else:
        x = _builder.pool(x, pooling, (None, None))
    return _builder.finish(inputs, x, name, weights)


def VGG16(
    include_top: bool = True,
    weights: Any = "imagenet",
    input_tensor: Any = None,
    input_shape: Any = None,
    pooling: Any = None,
    classes: int = 1000,
    classifier_activation: Any = "softmax",
    name: str = "vgg16",
) -> Model:
    return vgg(
        16, include_top, weights, input_tensor, input_shape, pooling, classes,
        classifier_activation, name,
    )  # fmt: skip


def VGG19(
    include_top: bool = True,
    weights: Any = "imagenet",
    input_tensor: Any = None,
    input_shape: Any = None,
    pooling: Any = None,
    classes: int = 1000,
    classifier_activation: Any = "softmax",
    name: str = "vgg19",
) -> Model:
    return vgg(
        19, include_top, weights, input_tensor, input_shape, pooling, classes,
        classifier_activation, name,
    )  # fmt: skip


describe(VGG16, "VGG16: 13 convolutions in five blocks and three dense layers.")
describe(VGG19, "VGG19: 16 convolutions in five blocks and three dense layers.")
