"""MobileNetV2 (Sandler et al., 2018), as ``keras.applications.mobilenet_v2``:
the same layer names and weight order."""

from __future__ import annotations

from typing import Any

from kgraph import layers
from kgraph.applications import _builder
from kgraph.applications import imagenet_utils
from kgraph.applications.resnet import BUILDER_ARGS
from kgraph.models import Model

# (filters, stride, expansion) of the 17 inverted residual blocks.
BLOCKS = (
    (16, 1, 1),
    (24, 2, 6), (24, 1, 6),
    (32, 2, 6), (32, 1, 6), (32, 1, 6),
    (64, 2, 6), (64, 1, 6), (64, 1, 6), (64, 1, 6),
    (96, 1, 6), (96, 1, 6), (96, 1, 6),
    (160, 2, 6), (160, 1, 6), (160, 1, 6),
    (320, 1, 6),
)  # fmt: skip
BN = {"epsilon": 1e-3, "momentum": 0.999}


def make_divisible(value: float, divisor: int, min_value: int | None = None) -> int:
    """``value`` rounded to a multiple of ``divisor``, never more than 10%
    below it (the width rule of the MobileNets)."""
    floor = divisor if min_value is None else min_value
    rounded = max(floor, int(value + divisor / 2) // divisor * divisor)
    return rounded + divisor if rounded < 0.9 * value else rounded


def correct_pad(x: Any, kernel_size: int) -> tuple[tuple[int, int], tuple[int, int]]:
    """The zero padding before a strided "valid" convolution that centres
    the kernel as "same" padding would on an odd side."""
    height, width = x.shape[1:3]
    adjust = (1, 1) if height is None else (1 - height % 2, 1 - width % 2)
    half = kernel_size // 2
    return ((half - adjust[0], half), (half - adjust[1], half))


def inverted_residual(
    x: Any, filters: int, stride: int, expansion: int, alpha: float, block: int
) -> Any:
    """Expand (1x1), depthwise 3x3, project (1x1); added to the input when
    the shapes agree."""
    inputs = x
    channels = x.shape[-1]
    out_filters = make_divisible(int(filters * alpha), 8)
    prefix = f"block_{block}_" if block else "expanded_conv_"
    if block:
        x = layers.Conv2D(
            expansion * channels,
            1,
            padding="same",
            use_bias=False,
            name=f"{prefix}expand",
        )(x)
        x = layers.BatchNormalization(**BN, name=f"{prefix}expand_BN")(x)
        x = layers.ReLU(6.0, name=f"{prefix}expand_relu")(x)
    if stride == 2:
        x = layers.ZeroPadding2D(padding=correct_pad(x, 3), name=f"{prefix}pad")(x)
    x = layers.DepthwiseConv2D(
        3, strides=stride, use_bias=False, padding="same" if stride == 1 else "valid",
        name=f"{prefix}depthwise",
    )(x)  # fmt: skip
    x = layers.BatchNormalization(**BN, name=f"{prefix}depthwise_BN")(x)
    x = layers.ReLU(6.0, name=f"{prefix}depthwise_relu")(x)
    x = layers.Conv2D(
        out_filters, 1, padding="same", use_bias=False, name=f"{prefix}project"
    )(x)
    x = layers.BatchNormalization(**BN, name=f"{prefix}project_BN")(x)
    if channels == out_filters and stride == 1:
        return layers.Add(name=f"{prefix}add")([inputs, x])
    return x


def _default_size(input_shape: Any, input_tensor: Any) -> int:
    shape = input_shape
    if shape is None and input_tensor is not None:
        shape = tuple(input_tensor.shape[1:])
    if (
        shape is not None
        and shape[0] == shape[1]
        and shape[0] in (96, 128, 160, 192, 224)
    ):
        return int(shape[0])
    return 224


def MobileNetV2(
    input_shape: Any = None,
    alpha: float = 1.0,
    include_top: bool = True,
    weights: Any = "imagenet",
    input_tensor: Any = None,
    pooling: Any = None,
    classes: int = 1000,
    classifier_activation: Any = "softmax",
    name: str | None = None,
) -> Model:
    _builder.check_weights(weights, include_top, classes)
    size = _default_size(input_shape, input_tensor)
    if input_shape is None and input_tensor is not None:
        input_shape = tuple(input_tensor.shape[1:])
    shape = _builder.input_shape_for(input_shape, size, 32, include_top, weights)
    inputs = _builder.image_input(input_tensor, shape)
    first = make_divisible(32 * alpha, 8)
    x = layers.Conv2D(
        first, 3, strides=(2, 2), padding="same", use_bias=False, name="Conv1"
    )(inputs)
    x = layers.BatchNormalization(**BN, name="bn_Conv1")(x)
    x = layers.ReLU(6.0, name="Conv1_relu")(x)
    for block, (filters, stride, expansion) in enumerate(BLOCKS):
        x = inverted_residual(x, filters, stride, expansion, alpha, block)
    last = make_divisible(1280 * alpha, 8) if alpha > 1.0 else 1280
    x = layers.Conv2D(last, 1, use_bias=False, name="Conv_1")(x)
    x = layers.BatchNormalization(**BN, name="Conv_1_bn")(x)
    x = layers.ReLU(6.0, name="out_relu")(x)
    x = _builder.pooled_top(
        x, include_top, pooling, classes, classifier_activation, (None, None)
    )
    if name is None:
        name = f"mobilenetv2_{alpha:0.2f}_{shape[0]}"
    return _builder.finish(inputs, x, name, weights)


MobileNetV2.__doc__ = (
    "MobileNetV2: inverted residual blocks of depthwise convolutions.\n"
    + BUILDER_ARGS.replace(
        "    Args:\n",
        "    Args:\n        alpha: The width multiplier of every layer's filters.\n",
    )
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
