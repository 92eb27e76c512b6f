"""InceptionResNetV2 (Szegedy et al., 2016), as
``keras.applications.inception_resnet_v2``: the same layer names and weight
order, and Keras's ``CustomScaleLayer``, so models Keras saved load."""

from __future__ import annotations

from typing import Any

from kgraph import layers
from kgraph.applications import _builder
from kgraph.applications import imagenet_utils
from kgraph.applications.resnet import describe
from kgraph.models import Model
from kgraph.objects import register_keras_serializable

PACKAGE = "kgraph.applications.inception_resnet_v2"


@register_keras_serializable(package=PACKAGE)
class CustomScaleLayer(layers.Layer):
    """Adds a scaled residual to its first input: ``inputs[0] + inputs[1] *
    scale``.

    Args:
        scale: The residual's factor.
        **kwargs: Base layer arguments (``name``, ``trainable``, ...).

    Example:

    >>> import numpy as np
    >>> ones = np.ones((1, 2), "float32")
    >>> CustomScaleLayer(0.5)([ones, ones]).numpy()
    array([[1.5, 1.5]], dtype=float32)
    """

    def __init__(self, scale: float, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.scale = scale

    def call(self, inputs: Any) -> Any:
        """Returns ``inputs[0] + inputs[1] * scale``."""
        return inputs[0] + inputs[1] * self.scale

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments."""
        return {**super().get_config(), "scale": self.scale}


def conv2d_bn(
    x: Any,
    filters: int,
    kernel_size: Any,
    strides: int = 1,
    padding: str = "same",
    activation: str | None = "relu",
    use_bias: bool = False,
    name: str | None = None,
) -> Any:
    """A convolution; without a bias, batch normalization without scale;
    then the activation, if any."""
    x = layers.Conv2D(
        filters, kernel_size, strides=strides, padding=padding, use_bias=use_bias,
        name=name,
    )(x)  # fmt: skip
    if not use_bias:
        bn_name = None if name is None else f"{name}_bn"
        x = layers.BatchNormalization(scale=False, name=bn_name)(x)
    if activation is not None:
        x = layers.Activation(activation, name=None if name is None else f"{name}_ac")(
            x
        )
    return x


def _branches(x: Any, block_type: str) -> list[Any]:
    if block_type == "block35":
        return [
            conv2d_bn(x, 32, 1),
            conv2d_bn(conv2d_bn(x, 32, 1), 32, 3),
            conv2d_bn(conv2d_bn(conv2d_bn(x, 32, 1), 48, 3), 64, 3),
        ]
    wide = 160 if block_type == "block17" else 224
    deep = 192 if block_type == "block17" else 256
    side = 7 if block_type == "block17" else 3
    inner = 128 if block_type == "block17" else 192
    first = conv2d_bn(x, 192, 1)
    branch = conv2d_bn(conv2d_bn(x, inner, 1), wide, [1, side])
    return [first, conv2d_bn(branch, deep, [side, 1])]


def inception_resnet_block(
    x: Any, scale: float, block_type: str, index: int, activation: Any = "relu"
) -> Any:
    """Inception branches, concatenated and projected back to the input's
    channels, added to the input scaled by ``scale``."""
    name = f"{block_type}_{index}"
    mixed = layers.Concatenate(axis=3, name=f"{name}_mixed")(_branches(x, block_type))
    up = conv2d_bn(
        mixed, x.shape[-1], 1, activation=None, use_bias=True, name=f"{name}_conv"
    )
    x = CustomScaleLayer(scale)([x, up])
    if activation is not None:
        x = layers.Activation(activation, name=f"{name}_ac")(x)
    return x


def _stem(x: Any) -> Any:
    x = conv2d_bn(x, 32, 3, strides=2, padding="valid")
    x = conv2d_bn(x, 32, 3, padding="valid")
    x = conv2d_bn(x, 64, 3)
    x = layers.MaxPooling2D(3, strides=2)(x)
    x = conv2d_bn(x, 80, 1, padding="valid")
    x = conv2d_bn(x, 192, 3, padding="valid")
    x = layers.MaxPooling2D(3, strides=2)(x)
    branches = [
        conv2d_bn(x, 96, 1),
        conv2d_bn(conv2d_bn(x, 48, 1), 64, 5),
        conv2d_bn(conv2d_bn(conv2d_bn(x, 64, 1), 96, 3), 96, 3),
        conv2d_bn(layers.AveragePooling2D(3, strides=1, padding="same")(x), 64, 1),
    ]
    return layers.Concatenate(axis=3, name="mixed_5b")(branches)


def _reduction_a(x: Any) -> Any:
    branches = [
        conv2d_bn(x, 384, 3, strides=2, padding="valid"),
        conv2d_bn(
            conv2d_bn(conv2d_bn(x, 256, 1), 256, 3), 384, 3, strides=2, padding="valid"
        ),
        layers.MaxPooling2D(3, strides=2, padding="valid")(x),
    ]
    return layers.Concatenate(axis=3, name="mixed_6a")(branches)


def _reduction_b(x: Any) -> Any:
    branches = [
        conv2d_bn(conv2d_bn(x, 256, 1), 384, 3, strides=2, padding="valid"),
        conv2d_bn(conv2d_bn(x, 256, 1), 288, 3, strides=2, padding="valid"),
        conv2d_bn(
            conv2d_bn(conv2d_bn(x, 256, 1), 288, 3), 320, 3, strides=2, padding="valid"
        ),
        layers.MaxPooling2D(3, strides=2, padding="valid")(x),
    ]
    return layers.Concatenate(axis=3, name="mixed_7a")(branches)


def InceptionResNetV2(
    include_top: bool = True,
    weights: Any = "imagenet",
    input_tensor: Any = None,
    input_shape: Any = None,
    pooling: Any = None,
    classes: int = 1000,
    classifier_activation: Any = "softmax",
    name: str = "inception_resnet_v2",
) -> Model:
    _builder.check_weights(weights, include_top, classes)
    shape = _builder.input_shape_for(input_shape, 299, 75, include_top, weights)
    inputs = _builder.image_input(input_tensor, shape)
    x = _stem(inputs)
    for index in range(1, 11):
        x = inception_resnet_block(x, 0.17, "block35", index)
    x = _reduction_a(x)
    for index in range(1, 21):
        x = inception_resnet_block(x, 0.1, "block17", index)
    x = _reduction_b(x)
    for index in range(1, 10):
        x = inception_resnet_block(x, 0.2, "block8", index)
    x = inception_resnet_block(x, 1.0, "block8", 10, activation=None)
    x = conv2d_bn(x, 1536, 1, name="conv_7b")
    x = _builder.top_or_unnamed_pool(
        x, include_top, pooling, classes, classifier_activation
    )
    return _builder.finish(inputs, x, name, weights)


describe(
    InceptionResNetV2,
    "InceptionResNetV2: inception blocks with scaled residual connections; "
    "299x299 images by default, at least 75x75.",
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
