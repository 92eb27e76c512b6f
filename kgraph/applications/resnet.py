"""ResNet50, ResNet101 and ResNet152 (He et al., 2015), as
``keras.applications.resnet``: the same layer names and weight order, so
weights saved by Keras load."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kgraph import layers
from kgraph.applications import _builder
from kgraph.applications import imagenet_utils
from kgraph.models import Model

BN_EPSILON = 1.001e-5

BUILDER_ARGS = """
    Args:
        include_top: Whether to end with the ``predictions`` classifier.
        weights: ``None`` (random initialization) or the path of a weights
            file saved by Keras. ``"imagenet"`` raises: kgraph downloads
            nothing.
        input_tensor: A tensor (an ``Input``'s output) to build on.
        input_shape: ``(height, width, 3)``; defaults to the
            architecture's size with the classifier, any size without it.
        pooling: Without the classifier: ``None``, ``"avg"`` or ``"max"``
            global pooling of the last feature map.
        classes: How many classes the classifier predicts.
        classifier_activation: The classifier's activation (``None`` gives
            logits).
        name: The model's name.

    Returns:
        A functional `Model`.

    Raises:
        ValueError: for ``weights="imagenet"``, a weights path that does not
            exist, or an input shape the architecture cannot take.
"""


def bottleneck(
    x: Any, filters: int, stride: int, conv_shortcut: bool, name: str
) -> Any:
    """A v1 bottleneck block: 1x1, 3x3, 1x1 convolutions, batch-normalized,
    added to the (projected) input."""
    shortcut = x
    if conv_shortcut:
        shortcut = layers.Conv2D(4 * filters, 1, strides=stride, name=f"{name}_0_conv")(
            x
        )
        shortcut = layers.BatchNormalization(epsilon=BN_EPSILON, name=f"{name}_0_bn")(
            shortcut
        )
    x = layers.Conv2D(filters, 1, strides=stride, name=f"{name}_1_conv")(x)
    x = _bn_relu(x, f"{name}_1")
    x = layers.Conv2D(filters, 3, padding="same", name=f"{name}_2_conv")(x)
    x = _bn_relu(x, f"{name}_2")
    x = layers.Conv2D(4 * filters, 1, name=f"{name}_3_conv")(x)
    x = layers.BatchNormalization(epsilon=BN_EPSILON, name=f"{name}_3_bn")(x)
    x = layers.Add(name=f"{name}_add")([shortcut, x])
    return layers.Activation("relu", name=f"{name}_out")(x)


def _bn_relu(x: Any, name: str) -> Any:
    x = layers.BatchNormalization(epsilon=BN_EPSILON, name=f"{name}_bn")(x)
    return layers.Activation("relu", name=f"{name}_relu")(x)


def stack_v1(x: Any, filters: int, blocks: int, stride: int, name: str) -> Any:
    """``blocks`` v1 bottlenecks; the first projects and strides."""
    x = bottleneck(x, filters, stride, True, f"{name}_block1")
    for i in range(2, blocks + 1):
        x = bottleneck(x, filters, 1, False, f"{name}_block{i}")
    return x


def resnet(
    stack: Callable[[Any], Any],
    preact: bool,
    use_bias: bool,
    name: str,
    include_top: bool,
    weights: Any,
    input_tensor: Any,
    input_shape: Any,
    pooling: Any,
    classes: int,
    classifier_activation: Any,
) -> Model:
    """The stem, the stacks and the top shared by ResNet v1 and v2."""
    _builder.check_weights(weights, include_top, classes)
    shape = _builder.input_shape_for(input_shape, 224, 32, include_top, weights)
    inputs = _builder.image_input(input_tensor, shape)
    x = layers.ZeroPadding2D(padding=((3, 3), (3, 3)), name="conv1_pad")(inputs)
    x = layers.Conv2D(64, 7, strides=2, use_bias=use_bias, name="conv1_conv")(x)
    if not preact:
        x = _bn_relu(x, "conv1")
    x = layers.ZeroPadding2D(padding=((1, 1), (1, 1)), name="pool1_pad")(x)
    x = layers.MaxPooling2D(3, strides=2, name="pool1_pool")(x)
    x = stack(x)
    if preact:
        x = _bn_relu(x, "post")
    x = _builder.pooled_top(x, include_top, pooling, classes, classifier_activation)
    return _builder.finish(inputs, x, name, weights)


def _v1(depths: tuple[int, int, int, int]) -> Callable[[Any], Any]:
    def stack(x: Any) -> Any:
        x = stack_v1(x, 64, depths[0], 1, "conv2")
        x = stack_v1(x, 128, depths[1], 2, "conv3")
        x = stack_v1(x, 256, depths[2], 2, "conv4")
        return stack_v1(x, 512, depths[3], 2, "conv5")

    return stack


def ResNet50(
    include_top: bool = True,
    weights: Any = "imagenet",
    input_tensor: Any = None,
    input_shape: Any = None,
    pooling: Any = None,
    classes: int = 1000,
    classifier_activation: Any = "softmax",
    name: str = "resnet50",
) -> Model:
    return resnet(
        _v1((3, 4, 6, 3)), False, True, name, include_top, weights, input_tensor,
        input_shape, pooling, classes, classifier_activation,
    )  # fmt: skip


def ResNet101(
    include_top: bool = True,
    weights: Any = "imagenet",
    input_tensor: Any = None,
    input_shape: Any = None,
    pooling: Any = None,
    classes: int = 1000,
    classifier_activation: Any = "softmax",
    name: str = "resnet101",
) -> Model:
    return resnet(
        _v1((3, 4, 23, 3)), False, True, name, include_top, weights, input_tensor,
        input_shape, pooling, classes, classifier_activation,
    )  # fmt: skip


def ResNet152(
    include_top: bool = True,
    weights: Any = "imagenet",
    input_tensor: Any = None,
    input_shape: Any = None,
    pooling: Any = None,
    classes: int = 1000,
    classifier_activation: Any = "softmax",
    name: str = "resnet152",
) -> Model:
    return resnet(
        _v1((3, 8, 36, 3)), False, True, name, include_top, weights, input_tensor,
        input_shape, pooling, classes, classifier_activation,
    )  # fmt: skip


def describe(builder: Callable[..., Model], summary: str) -> None:
    """Gives a builder its docstring: ``summary`` and the shared arguments."""
    builder.__doc__ = summary + "\n" + BUILDER_ARGS


describe(ResNet50, "ResNet50: 50 layers of v1 bottleneck blocks (3, 4, 6, 3).")
describe(ResNet101, "ResNet101: v1 bottleneck blocks (3, 4, 23, 3).")
describe(ResNet152, "ResNet152: v1 bottleneck blocks (3, 8, 36, 3).")


def preprocess_input(x: Any, data_format: str | None = None) -> Any:
    """Caffe-style preprocessing: RGB to BGR, minus ImageNet's channel means.

    Args:
        x: Images with values in [0, 255].
        data_format: ``None`` or ``"channels_last"``.

    Returns:
        The preprocessed float32 images.
    """
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="caffe")


decode_predictions = imagenet_utils.decode_predictions
