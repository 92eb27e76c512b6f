"""Xception (Chollet, 2017), as ``keras.applications.xception``: the same
layer names (the residual projections are unnamed, as in Keras) and weight
order."""

from __future__ import annotations

from typing import Any

from kgraph import layers
from kgraph.applications import _builder
from kgraph.applications import imagenet_utils
from kgraph.applications.resnet import describe
from kgraph.models import Model


def _conv_bn_relu(x: Any, filters: int, strides: int, name: str) -> Any:
    x = layers.Conv2D(filters, 3, strides=strides, use_bias=False, name=name)(x)
    x = layers.BatchNormalization(name=f"{name}_bn")(x)
    return layers.Activation("relu", name=f"{name}_act")(x)


def sepconv_bn(x: Any, filters: int, name: str) -> Any:
    """A 3x3 separable convolution and its batch normalization."""
    x = layers.SeparableConv2D(filters, 3, padding="same", use_bias=False, name=name)(x)
    return layers.BatchNormalization(name=f"{name}_bn")(x)


def projection(x: Any, filters: int) -> Any:
    """The strided 1x1 projection of a downsampling block's shortcut."""
    x = layers.Conv2D(filters, 1, strides=2, padding="same", use_bias=False)(x)
    return layers.BatchNormalization()(x)


def downsampling_block(
    x: Any, filters: tuple[int, int], block: int, first_relu: bool = True
) -> Any:
    """Two separable convolutions and a strided max pooling, added to the
    projected input."""
    residual = projection(x, filters[1])
    if first_relu:
        x = layers.Activation("relu", name=f"block{block}_sepconv1_act")(x)
    x = sepconv_bn(x, filters[0], f"block{block}_sepconv1")
    x = layers.Activation("relu", name=f"block{block}_sepconv2_act")(x)
    x = sepconv_bn(x, filters[1], f"block{block}_sepconv2")
    x = layers.MaxPooling2D(3, strides=2, padding="same", name=f"block{block}_pool")(x)
    return layers.add([x, residual])


def middle_block(x: Any, block: int) -> Any:
    """Three ReLU-separable-convolution steps of 728 channels, added to the
    input."""
    residual = x
    for i in (1, 2, 3):
        x = layers.Activation("relu", name=f"block{block}_sepconv{i}_act")(x)
        x = sepconv_bn(x, 728, f"block{block}_sepconv{i}")
    return layers.add([x, residual])


def Xception(
    include_top: bool = True,
    weights: Any = "imagenet",
    input_tensor: Any = None,
    input_shape: Any = None,
    pooling: Any = None,
    classes: int = 1000,
    classifier_activation: Any = "softmax",
    name: str = "xception",
) -> Model:
    _builder.check_weights(weights, include_top, classes)
    shape = _builder.input_shape_for(input_shape, 299, 71, include_top, weights)
    inputs = _builder.image_input(input_tensor, shape)
    x = _conv_bn_relu(inputs, 32, 2, "block1_conv1")
    x = _conv_bn_relu(x, 64, 1, "block1_conv2")
    x = downsampling_block(x, (128, 128), 2, first_relu=False)
    x = downsampling_block(x, (256, 256), 3)
    x = downsampling_block(x, (728, 728), 4)
    for block in range(5, 13):
        x = middle_block(x, block)
    x = downsampling_block(x, (728, 1024), 13)
    x = sepconv_bn(x, 1536, "block14_sepconv1")
    x = layers.Activation("relu", name="block14_sepconv1_act")(x)
    x = sepconv_bn(x, 2048, "block14_sepconv2")
    x = layers.Activation("relu", name="block14_sepconv2_act")(x)
    x = _builder.top_or_unnamed_pool(
        x, include_top, pooling, classes, classifier_activation
    )
    return _builder.finish(inputs, x, name, weights)


describe(
    Xception,
    "Xception: depthwise separable convolutions with residual connections; "
    "299x299 images by default, at least 71x71.",
)


def preprocess_input(x: Any, data_format: str | None = None) -> Any:
    """TF-style preprocessing: pixels scaled to [-1, 1].

    Args:
        x: Images with values in [0, 255].
        data_format: ``None`` or ``"channels_last"``.

    Returns:
        The preprocessed float32 images.
    """
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="tf")


decode_predictions = imagenet_utils.decode_predictions
