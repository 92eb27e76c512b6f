"""DenseNet121, DenseNet169 and DenseNet201 (Huang et al., 2017), as
``keras.applications.densenet``: the same layer names and weight order."""

from __future__ import annotations

from typing import Any

from kgraph import layers
from kgraph.applications import _builder
from kgraph.applications import imagenet_utils
from kgraph.applications.resnet import BN_EPSILON
from kgraph.applications.resnet import describe
from kgraph.models import Model

GROWTH_RATE = 32


def _bn_relu(x: Any, name: str) -> Any:
    x = layers.BatchNormalization(epsilon=BN_EPSILON, name=f"{name}_bn")(x)
    return layers.Activation("relu", name=f"{name}_relu")(x)


def conv_block(x: Any, name: str) -> Any:
    """A bottlenecked 3x3 convolution whose ``GROWTH_RATE`` new channels are
    concatenated to its input."""
    y = _bn_relu(x, f"{name}_0")
    y = layers.Conv2D(4 * GROWTH_RATE, 1, use_bias=False, name=f"{name}_1_conv")(y)
    y = _bn_relu(y, f"{name}_1")
    y = layers.Conv2D(
        GROWTH_RATE, 3, padding="same", use_bias=False, name=f"{name}_2_conv"
    )(y)
    return layers.Concatenate(axis=3, name=f"{name}_concat")([x, y])


def transition_block(x: Any, name: str) -> Any:
    """Halves the channels with a 1x1 convolution and the sides with a 2x2
    average pooling."""
    x = _bn_relu(x, name)
    x = layers.Conv2D(int(x.shape[-1] * 0.5), 1, use_bias=False, name=f"{name}_conv")(x)
    return layers.AveragePooling2D(2, strides=2, name=f"{name}_pool")(x)


def densenet(
    blocks: tuple[int, int, int, int],
    include_top: bool,
    weights: Any,
    input_tensor: Any,
    input_shape: Any,
    pooling: Any,
    classes: int,
    classifier_activation: Any,
    name: str,
) -> Model:
    """The stem, four dense blocks joined by transitions, and the top."""
    _builder.check_weights(weights, include_top, classes)
    shape = _builder.input_shape_for(input_shape, 224, 32, include_top, weights)
    inputs = _builder.image_input(input_tensor, shape)
    x = layers.ZeroPadding2D(padding=((3, 3), (3, 3)))(inputs)
    x = layers.Conv2D(64, 7, strides=2, use_bias=False, name="conv1_conv")(x)
    x = _bn_relu(x, "conv1")
    x = layers.ZeroPadding2D(padding=((1, 1), (1, 1)))(x)
    x = layers.MaxPooling2D(3, strides=2, name="pool1")(x)
    for stage, count in enumerate(blocks, start=2):
        for i in range(1, count + 1):
            x = conv_block(x, f"conv{stage}_block{i}")
        if stage < 5:
            x = transition_block(x, f"pool{stage}")
    x = layers.BatchNormalization(epsilon=BN_EPSILON, name="bn")(x)
    x = layers.Activation("relu", name="relu")(x)
    x = _builder.pooled_top(x, include_top, pooling, classes, classifier_activation)
    return _builder.finish(inputs, x, name, weights)


def DenseNet121(
    include_top: bool = True,
    weights: Any = "imagenet",
    input_tensor: Any = None,
    input_shape: Any = None,
    pooling: Any = None,
    classes: int = 1000,
    classifier_activation: Any = "softmax",
    name: str = "densenet121",
) -> Model:
    return densenet(
        (6, 12, 24, 16), include_top, weights, input_tensor, input_shape, pooling,
        classes, classifier_activation, name,
    )  # fmt: skip


def DenseNet169(
    include_top: bool = True,
    weights: Any = "imagenet",
    input_tensor: Any = None,
    input_shape: Any = None,
    pooling: Any = None,
    classes: int = 1000,
    classifier_activation: Any = "softmax",
    name: str = "densenet169",
) -> Model:
    return densenet(
        (6, 12, 32, 32), include_top, weights, input_tensor, input_shape, pooling,
        classes, classifier_activation, name,
    )  # fmt: skip


def DenseNet201(
    include_top: bool = True,
    weights: Any = "imagenet",
    input_tensor: Any = None,
    input_shape: Any = None,
    pooling: Any = None,
    classes: int = 1000,
    classifier_activation: Any = "softmax",
    name: str = "densenet201",
) -> Model:
    return densenet(
        (6, 12, 48, 32), include_top, weights, input_tensor, input_shape, pooling,
        classes, classifier_activation, name,
    )  # fmt: skip


describe(DenseNet121, "DenseNet121: dense blocks of (6, 12, 24, 16) layers.")
describe(DenseNet169, "DenseNet169: dense blocks of (6, 12, 32, 32) layers.")
describe(DenseNet201, "DenseNet201: dense blocks of (6, 12, 48, 32) layers.")


def preprocess_input(x: Any, data_format: str | None = None) -> Any:
    """Torch-style preprocessing: scaled to [0, 1], then normalized with
    ImageNet's channel means and standard deviations.

    Args:
        x: Images with values in [0, 255].
        data_format: ``None`` or ``"channels_last"``.

    Returns:
        The preprocessed float32 images.
    """
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="torch")


decode_predictions = imagenet_utils.decode_predictions
