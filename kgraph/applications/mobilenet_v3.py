"""MobileNetV3Small and MobileNetV3Large (Howard et al., 2019), as
``keras.applications.mobilenet_v3``: the same layer names and weight order.

The network rescales its own input (``include_preprocessing=True``): images
go in with values in [0, 255] and `preprocess_input` is the identity.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from typing import NamedTuple

from kgraph import layers
from kgraph.applications import _builder
from kgraph.applications import imagenet_utils
from kgraph.applications.mobilenet_v2 import correct_pad
from kgraph.applications.mobilenet_v2 import make_divisible
from kgraph.applications.resnet import BUILDER_ARGS
from kgraph.models import Model

BN = {"epsilon": 1e-3, "momentum": 0.999}
SE_RATIO = 0.25


class Block(NamedTuple):
    """One inverted residual block. ``kernel_size`` 0 means the variant's
    kernel (5, or 3 when minimalistic); ``squeeze`` and ``hard`` say whether
    the block has squeeze-and-excite and the variant's activation (hard
    swish) rather than ReLU; minimalistic models have neither."""

    expansion: float
    filters: int
    kernel_size: int
    stride: int
    squeeze: bool
    hard: bool


SMALL = (
    Block(1, 16, 3, 2, True, False),
    Block(72.0 / 16, 24, 3, 2, False, False),
    Block(88.0 / 24, 24, 3, 1, False, False),
    Block(4, 40, 0, 2, True, True),
    Block(6, 40, 0, 1, True, True),
    Block(6, 40, 0, 1, True, True),
    Block(3, 48, 0, 1, True, True),
    Block(3, 48, 0, 1, True, True),
    Block(6, 96, 0, 2, True, True),
    Block(6, 96, 0, 1, True, True),
    Block(6, 96, 0, 1, True, True),
)
LARGE = (
    Block(1, 16, 3, 1, False, False),
    Block(4, 24, 3, 2, False, False),
    Block(3, 24, 3, 1, False, False),
    Block(3, 40, 0, 2, True, False),
    Block(3, 40, 0, 1, True, False),
    Block(3, 40, 0, 1, True, False),
    Block(6, 80, 3, 2, False, True),
    Block(2.5, 80, 3, 1, False, True),
    Block(2.3, 80, 3, 1, False, True),
    Block(2.3, 80, 3, 1, False, True),
    Block(6, 112, 3, 1, True, True),
    Block(6, 112, 3, 1, True, True),
    Block(6, 160, 0, 2, True, True),
    Block(6, 160, 0, 1, True, True),
    Block(6, 160, 0, 1, True, True),
)


def relu(x: Any) -> Any:
    """ReLU, as an unnamed ``ReLU`` layer."""
    return layers.ReLU()(x)


def hard_swish(x: Any) -> Any:
    """Hard swish, as an unnamed ``Activation`` layer."""
    return layers.Activation("hard_swish")(x)


def hard_sigmoid(x: Any) -> Any:
    """``relu6(x + 3) / 6``, built as Keras builds it: an add, a ``ReLU(6)``
    layer and a multiply."""
    return layers.ReLU(6.0)(x + 3.0) * (1.0 / 6.0)


def squeeze_excite(x: Any, filters: int, prefix: str) -> Any:
    """Scales each channel by a gate computed from the pooled input."""
    se = layers.GlobalAveragePooling2D(
        keepdims=True, name=f"{prefix}squeeze_excite_avg_pool"
    )(x)
    se = layers.Conv2D(
        make_divisible(filters * SE_RATIO, 8), 1, padding="same",
        name=f"{prefix}squeeze_excite_conv",
    )(se)  # fmt: skip
    se = layers.ReLU(name=f"{prefix}squeeze_excite_relu")(se)
    se = layers.Conv2D(
        filters, 1, padding="same", name=f"{prefix}squeeze_excite_conv_1"
    )(se)
    se = hard_sigmoid(se)
    return layers.Multiply(name=f"{prefix}squeeze_excite_mul")([x, se])


def inverted_residual(
    x: Any,
    block: Block,
    filters: int,
    kernel_size: int,
    squeeze: bool,
    activation: Callable[[Any], Any],
    block_id: int,
) -> Any:
    """Expand (1x1), depthwise, optional squeeze-and-excite, project (1x1);
    added to the input when the shapes agree."""
    shortcut = x
    channels = x.shape[-1]
    expanded = make_divisible(channels * block.expansion, 8)
    prefix = f"expanded_conv_{block_id}_" if block_id else "expanded_conv_"
    if block_id:
        x = layers.Conv2D(
            expanded, 1, padding="same", use_bias=False, name=f"{prefix}expand"
        )(x)
        x = layers.BatchNormalization(**BN, name=f"{prefix}expand_bn")(x)
        x = activation(x)
    if block.stride == 2:
        pad = correct_pad(x, kernel_size)
        x = layers.ZeroPadding2D(padding=pad, name=f"{prefix}depthwise_pad")(x)
    x = layers.DepthwiseConv2D(
        kernel_size, strides=block.stride, use_bias=False,
        padding="same" if block.stride == 1 else "valid", name=f"{prefix}depthwise",
    )(x)  # fmt: skip
    x = layers.BatchNormalization(**BN, name=f"{prefix}depthwise_bn")(x)
    x = activation(x)
    if squeeze:
        x = squeeze_excite(x, expanded, prefix)
    x = layers.Conv2D(
        filters, 1, padding="same", use_bias=False, name=f"{prefix}project"
    )(x)
    x = layers.BatchNormalization(**BN, name=f"{prefix}project_bn")(x)
    if block.stride == 1 and channels == filters:
        x = layers.Add(name=f"{prefix}add")([shortcut, x])
    return x


def _image_shape(input_shape: Any, input_tensor: Any) -> tuple[Any, ...]:
    """Keras's rule for MobileNetV3: any size of at least 32x32, unknown by
    default (the classifier pools globally)."""
    if input_shape is None and input_tensor is not None:
        input_shape = (input_tensor.shape[2], input_tensor.shape[1], 3)
    if input_shape is None:
        return (None, None, 3)
    shape = tuple(input_shape)
    if len(shape) != 3:
        raise ValueError(
            "`input_shape` must be a tuple of three integers. "
            f"Received: input_shape={input_shape}"
        )
    rows, cols = shape[:2]
    if rows and cols and (rows < 32 or cols < 32):
        raise ValueError(
            f"Input size must be at least 32x32; Received `input_shape={shape}`"
        )
    return shape


def mobilenet_v3(
    blocks: tuple[Block, ...],
    last_point_channels: int,
    input_shape: Any,
    alpha: float,
    minimalistic: bool,
    include_top: bool,
    weights: Any,
    input_tensor: Any,
    classes: int,
    pooling: Any,
    dropout_rate: float,
    classifier_activation: Any,
    include_preprocessing: bool,
    name: str,
) -> Model:
    """The stem, the blocks of ``blocks``, the last convolution and the
    convolutional classifier."""
    _builder.check_weights(weights, include_top, classes)
    shape = _image_shape(input_shape, input_tensor)
    inputs = _builder.image_input(input_tensor, shape)
    kernel = 3 if minimalistic else 5
    activation = relu if minimalistic else hard_swish
    x = inputs
    if include_preprocessing:
        x = layers.Rescaling(scale=1.0 / 127.5, offset=-1.0)(x)
    x = layers.Conv2D(
        16, 3, strides=(2, 2), padding="same", use_bias=False, name="conv"
    )(x)
    x = layers.BatchNormalization(**BN, name="conv_bn")(x)
    x = activation(x)
    for block_id, block in enumerate(blocks):
        x = inverted_residual(
            x, block, make_divisible(block.filters * alpha, 8),
            block.kernel_size or kernel, block.squeeze and not minimalistic,
            activation if block.hard else relu, block_id,
        )  # fmt: skip
    last_conv = make_divisible(x.shape[-1] * 6, 8)
    if alpha > 1.0:
        last_point_channels = make_divisible(last_point_channels * alpha, 8)
    x = layers.Conv2D(last_conv, 1, padding="same", use_bias=False, name="conv_1")(x)
    x = layers.BatchNormalization(**BN, name="conv_1_bn")(x)
    x = activation(x)
    if include_top:
        x = layers.GlobalAveragePooling2D(keepdims=True)(x)
        x = layers.Conv2D(last_point_channels, 1, padding="same", name="conv_2")(x)
        x = activation(x)
        if dropout_rate > 0:
            x = layers.Dropout(dropout_rate)(x)
        x = layers.Conv2D(classes, 1, padding="same", name="logits")(x)
        x = layers.Flatten()(x)
        x = layers.Activation(classifier_activation, name="predictions")(x)
    else:
        x = _builder.pool(x, pooling)
    return _builder.finish(inputs, x, name, weights)


def MobileNetV3Small(
    input_shape: Any = None,
    alpha: float = 1.0,
    minimalistic: bool = False,
    include_top: bool = True,
    weights: Any = "imagenet",
    input_tensor: Any = None,
    classes: int = 1000,
    pooling: Any = None,
    dropout_rate: float = 0.2,
    classifier_activation: Any = "softmax",
    include_preprocessing: bool = True,
    name: str = "MobileNetV3Small",
) -> Model:
    return mobilenet_v3(
        SMALL, 1024, input_shape, alpha, minimalistic, include_top, weights,
        input_tensor, classes, pooling, dropout_rate, classifier_activation,
        include_preprocessing, name,
    )  # fmt: skip


def MobileNetV3Large(
    input_shape: Any = None,
    alpha: float = 1.0,
    minimalistic: bool = False,
    include_top: bool = True,
    weights: Any = "imagenet",
    input_tensor: Any = None,
    classes: int = 1000,
    pooling: Any = None,
    dropout_rate: float = 0.2,
    classifier_activation: Any = "softmax",
    include_preprocessing: bool = True,
    name: str = "MobileNetV3Large",
) -> Model:
    return mobilenet_v3(
        LARGE, 1280, input_shape, alpha, minimalistic, include_top, weights,
        input_tensor, classes, pooling, dropout_rate, classifier_activation,
        include_preprocessing, name,
    )  # fmt: skip


EXTRA_ARGS = """        alpha: The width multiplier of every layer's filters.
        minimalistic: Whether to drop squeeze-and-excite, hard swish and
            5x5 kernels (ReLU and 3x3 kernels everywhere).
        dropout_rate: The dropout before the classifier.
        include_preprocessing: Whether the model rescales its [0, 255]
            input to [-1, 1].
"""


def _describe(builder: Callable[..., Model], summary: str) -> None:
    builder.__doc__ = (
        summary
        + " Images of any size of at least 32x32, values in [0, 255].\n"
        + BUILDER_ARGS.replace("    Args:\n", "    Args:\n" + EXTRA_ARGS)
    )


_describe(MobileNetV3Small, "MobileNetV3Small: 11 blocks for low resources.")
_describe(MobileNetV3Large, "MobileNetV3Large: 15 blocks for high accuracy.")


def preprocess_input(x: Any, data_format: str | None = None) -> Any:
    """The identity: MobileNetV3 rescales its input itself.

    Args:
        x: Images with values in [0, 255].
        data_format: ``None`` or ``"channels_last"``.

    Returns:
        ``x`` unchanged.
    """
    imagenet_utils.check_data_format(data_format)
    return x


decode_predictions = imagenet_utils.decode_predictions
