"""ResNet50V2, ResNet101V2 and ResNet152V2 (He et al., 2016: pre-activation
blocks), as ``keras.applications.resnet_v2``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kgraph import layers
from kgraph.applications import imagenet_utils
from kgraph.applications.resnet import BN_EPSILON
from kgraph.applications.resnet import describe
from kgraph.applications.resnet import resnet
from kgraph.models import Model


def preact_bottleneck(
    x: Any, filters: int, stride: int, conv_shortcut: bool, name: str
) -> Any:
    """A v2 block: batch norm and ReLU before each convolution; the 3x3
    convolution carries the stride."""
    preact = layers.BatchNormalization(epsilon=BN_EPSILON, name=f"{name}_preact_bn")(x)
    preact = layers.Activation("relu", name=f"{name}_preact_relu")(preact)
    if conv_shortcut:
        shortcut = layers.Conv2D(4 * filters, 1, strides=stride, name=f"{name}_0_conv")(
            preact
        )
    else:
        shortcut = layers.MaxPooling2D(1, strides=stride)(x) if stride > 1 else x
    x = layers.Conv2D(filters, 1, use_bias=False, name=f"{name}_1_conv")(preact)
    x = layers.BatchNormalization(epsilon=BN_EPSILON, name=f"{name}_1_bn")(x)
    x = layers.Activation("relu", name=f"{name}_1_relu")(x)
    x = layers.ZeroPadding2D(padding=((1, 1), (1, 1)), name=f"{name}_2_pad")(x)
    x = layers.Conv2D(
        filters, 3, strides=stride, use_bias=False, name=f"{name}_2_conv"
    )(x)
    x = layers.BatchNormalization(epsilon=BN_EPSILON, name=f"{name}_2_bn")(x)
    x = layers.Activation("relu", name=f"{name}_2_relu")(x)
    x = layers.Conv2D(4 * filters, 1, name=f"{name}_3_conv")(x)
    return layers.Add(name=f"{name}_out")([shortcut, x])


def stack_v2(x: Any, filters: int, blocks: int, stride: int, name: str) -> Any:
    """``blocks`` v2 blocks; the first projects, the last strides."""
    x = preact_bottleneck(x, filters, 1, True, f"{name}_block1")
    for i in range(2, blocks):
        x = preact_bottleneck(x, filters, 1, False, f"{name}_block{i}")
    return preact_bottleneck(x, filters, stride, False, f"{name}_block{blocks}")


def _v2(depths: tuple[int, int, int, int]) -> Callable[[Any], Any]:
    def stack(x: Any) -> Any:
        x = stack_v2(x, 64, depths[0], 2, "conv2")
        x = stack_v2(x, 128, depths[1], 2, "conv3")
        x = stack_v2(x, 256, depths[2], 2, "conv4")
        return stack_v2(x, 512, depths[3], 1, "conv5")

    return stack


def ResNet50V2(
    include_top: bool = True,
    weights: Any = "imagenet",
    input_tensor: Any = None,
    input_shape: Any = None,
    pooling: Any = None,
    classes: int = 1000,
    classifier_activation: Any = "softmax",
    name: str = "resnet50v2",
) -> Model:
    return resnet(
        _v2((3, 4, 6, 3)), True, True, name, include_top, weights, input_tensor,
        input_shape, pooling, classes, classifier_activation,
    )  # fmt: skip


def ResNet101V2(
    include_top: bool = True,
    weights: Any = "imagenet",
    input_tensor: Any = None,
    input_shape: Any = None,
    pooling: Any = None,
    classes: int = 1000,
    classifier_activation: Any = "softmax",
    name: str = "resnet101v2",
) -> Model:
    return resnet(
        _v2((3, 4, 23, 3)), True, True, name, include_top, weights, input_tensor,
        input_shape, pooling, classes, classifier_activation,
    )  # fmt: skip


def ResNet152V2(
    include_top: bool = True,
    weights: Any = "imagenet",
    input_tensor: Any = None,
    input_shape: Any = None,
    pooling: Any = None,
    classes: int = 1000,
    classifier_activation: Any = "softmax",
    name: str = "resnet152v2",
) -> Model:
    return resnet(
        _v2((3, 8, 36, 3)), True, True, name, include_top, weights, input_tensor,
        input_shape, pooling, classes, classifier_activation,
    )  # fmt: skip


describe(ResNet50V2, "ResNet50V2: pre-activation blocks (3, 4, 6, 3).")
describe(ResNet101V2, "ResNet101V2: pre-activation blocks (3, 4, 23, 3).")
describe(ResNet152V2, "ResNet152V2: pre-activation blocks (3, 8, 36, 3).")


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
