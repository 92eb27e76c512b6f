"""MobileNet (Howard et al., 2017), as ``keras.applications.mobilenet``: the
same layer names and weight order."""

from __future__ import annotations

from typing import Any

from kgraph import layers
from kgraph.applications import _builder
from kgraph.applications import imagenet_utils
from kgraph.applications.resnet import BUILDER_ARGS
from kgraph.models import Model

SIZES = (128, 160, 192, 224)
# (pointwise filters, stride) of the 13 depthwise separable blocks.
BLOCKS = (
    (64, 1),
    (128, 2), (128, 1),
    (256, 2), (256, 1),
    (512, 2), (512, 1), (512, 1), (512, 1), (512, 1), (512, 1),
    (1024, 2), (1024, 1),
)  # fmt: skip


def default_size(input_shape: Any) -> int:
    """The side ``input_shape`` has if it is square and one of ``SIZES``,
    else 224."""
    square = input_shape is not None and input_shape[0] == input_shape[1]
    return int(input_shape[0]) if square and input_shape[0] in SIZES else 224


def depthwise_separable(
    x: Any, filters: int, stride: int, depth_multiplier: int, block: int
) -> Any:
    """A depthwise 3x3 and a pointwise 1x1 convolution, each batch-normalized
    and followed by ReLU6; a strided block pads bottom and right first."""
    if stride == 2:
        x = layers.ZeroPadding2D(((0, 1), (0, 1)), name=f"conv_pad_{block}")(x)
    x = layers.DepthwiseConv2D(
        3, padding="same" if stride == 1 else "valid",
        depth_multiplier=depth_multiplier, strides=stride, use_bias=False,
        name=f"conv_dw_{block}",
    )(x)  # fmt: skip
    x = layers.BatchNormalization(name=f"conv_dw_{block}_bn")(x)
    x = layers.ReLU(6.0, name=f"conv_dw_{block}_relu")(x)
    x = layers.Conv2D(
        filters, 1, padding="same", use_bias=False, name=f"conv_pw_{block}"
    )(x)
    x = layers.BatchNormalization(name=f"conv_pw_{block}_bn")(x)
    return layers.ReLU(6.0, name=f"conv_pw_{block}_relu")(x)


def MobileNet(
    input_shape: Any = None,
    alpha: float = 1.0,
    depth_multiplier: int = 1,
    dropout: float = 0.001,
    include_top: bool = True,
    weights: Any = "imagenet",
    input_tensor: Any = None,
    pooling: Any = None,
    classes: int = 1000,
    classifier_activation: Any = "softmax",
    name: str | None = None,
) -> Model:
    _builder.check_weights(weights, include_top, classes)
    shape = _builder.input_shape_for(
        input_shape, default_size(input_shape), 32, include_top, weights
    )
    inputs = _builder.image_input(input_tensor, shape)
    x = layers.Conv2D(
        int(32 * alpha), 3, padding="same", use_bias=False, strides=2, name="conv1"
    )(inputs)
    x = layers.BatchNormalization(name="conv1_bn")(x)
    x = layers.ReLU(6.0, name="conv1_relu")(x)
    for block, (filters, stride) in enumerate(BLOCKS, start=1):
        x = depthwise_separable(
            x, int(filters * alpha), stride, depth_multiplier, block
        )
    if include_top:
        x = layers.GlobalAveragePooling2D(keepdims=True)(x)
        x = layers.Dropout(dropout, name="dropout")(x)
        x = layers.Conv2D(classes, 1, padding="same", name="conv_preds")(x)
        x = layers.Reshape((classes,), name="reshape_2")(x)
        x = layers.Activation(classifier_activation, name="predictions")(x)
    else:
        x = _builder.pool(x, pooling, (None, None))
    if name is None:
        name = f"mobilenet_{alpha:0.2f}_{shape[0]}"
    return _builder.finish(inputs, x, name, weights)


MobileNet.__doc__ = (
    "MobileNet: 13 depthwise separable convolution blocks; 224x224 images "
    "by default.\n"
    + BUILDER_ARGS.replace(
        "    Args:\n",
        "    Args:\n"
        "        alpha: The width multiplier of every layer's filters.\n"
        "        depth_multiplier: The depthwise convolutions' channel\n"
        "            multiplier.\n"
        "        dropout: The dropout before the classifier.\n",
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
