"""InceptionV3 (Szegedy et al., 2015), as ``keras.applications.inception_v3``:
the same layer names (the convolutions are unnamed, as in Keras, so their
order fixes their names) and weight order."""

from __future__ import annotations

from typing import Any

from kgraph import layers
from kgraph.applications import _builder
from kgraph.applications import imagenet_utils
from kgraph.applications.resnet import describe
from kgraph.models import Model


def conv2d_bn(
    x: Any,
    filters: int,
    rows: int,
    cols: int,
    padding: str = "same",
    strides: int = 1,
    name: str | None = None,
) -> Any:
    """A bias-free convolution, batch normalization without scale, ReLU."""
    x = layers.Conv2D(
        filters, (rows, cols), strides=strides, padding=padding, use_bias=False,
        name=None if name is None else f"{name}_conv",
    )(x)  # fmt: skip
    x = layers.BatchNormalization(
        scale=False, name=None if name is None else f"{name}_bn"
    )(x)
    return layers.Activation("relu", name=name)(x)


def _avg_branch(x: Any, filters: int) -> Any:
    x = layers.AveragePooling2D(3, strides=1, padding="same")(x)
    return conv2d_bn(x, filters, 1, 1)


def _double_3x3(x: Any, strides: int = 1, padding: str = "same") -> Any:
    x = conv2d_bn(x, 64, 1, 1)
    x = conv2d_bn(x, 96, 3, 3)
    return conv2d_bn(x, 96, 3, 3, padding=padding, strides=strides)


def block_5x5(x: Any, pool_filters: int, name: str) -> Any:
    """mixed0 to mixed2: 1x1, 5x5, double 3x3 and pooled branches."""
    branch1x1 = conv2d_bn(x, 64, 1, 1)
    branch5x5 = conv2d_bn(conv2d_bn(x, 48, 1, 1), 64, 5, 5)
    branch3x3dbl = _double_3x3(x)
    branch_pool = _avg_branch(x, pool_filters)
    return layers.concatenate(
        [branch1x1, branch5x5, branch3x3dbl, branch_pool], axis=3, name=name
    )


def reduction_a(x: Any) -> Any:
    """mixed3: halves the sides with strided 3x3 branches and max pooling."""
    branch3x3 = conv2d_bn(x, 384, 3, 3, strides=2, padding="valid")
    branch3x3dbl = _double_3x3(x, strides=2, padding="valid")
    branch_pool = layers.MaxPooling2D(3, strides=2)(x)
    return layers.concatenate(
        [branch3x3, branch3x3dbl, branch_pool], axis=3, name="mixed3"
    )


def block_7x7(x: Any, width: int, name: str) -> Any:
    """mixed4 to mixed7: factorized 7x7 branches of ``width`` channels."""
    branch1x1 = conv2d_bn(x, 192, 1, 1)
    branch7x7 = conv2d_bn(x, width, 1, 1)
    branch7x7 = conv2d_bn(branch7x7, width, 1, 7)
    branch7x7 = conv2d_bn(branch7x7, 192, 7, 1)
    branch7x7dbl = conv2d_bn(x, width, 1, 1)
    for rows, cols in ((7, 1), (1, 7), (7, 1)):
        branch7x7dbl = conv2d_bn(branch7x7dbl, width, rows, cols)
    branch7x7dbl = conv2d_bn(branch7x7dbl, 192, 1, 7)
    branch_pool = _avg_branch(x, 192)
    return layers.concatenate(
        [branch1x1, branch7x7, branch7x7dbl, branch_pool], axis=3, name=name
    )


def reduction_b(x: Any) -> Any:
    """mixed8: halves the sides again."""
    branch3x3 = conv2d_bn(x, 192, 1, 1)
    branch3x3 = conv2d_bn(branch3x3, 320, 3, 3, strides=2, padding="valid")
    branch7x7x3 = conv2d_bn(x, 192, 1, 1)
    branch7x7x3 = conv2d_bn(branch7x7x3, 192, 1, 7)
    branch7x7x3 = conv2d_bn(branch7x7x3, 192, 7, 1)
    branch7x7x3 = conv2d_bn(branch7x7x3, 192, 3, 3, strides=2, padding="valid")
    branch_pool = layers.MaxPooling2D(3, strides=2)(x)
    return layers.concatenate(
        [branch3x3, branch7x7x3, branch_pool], axis=3, name="mixed8"
    )


def _split_3x3(x: Any, name: str | None) -> Any:
    left = conv2d_bn(x, 384, 1, 3)
    right = conv2d_bn(x, 384, 3, 1)
    return layers.concatenate([left, right], axis=3, name=name)


def block_expanded(x: Any, index: int) -> Any:
    """mixed9 and mixed10: 3x3 branches split into 1x3 and 3x1 halves."""
    branch1x1 = conv2d_bn(x, 320, 1, 1)
    branch3x3 = _split_3x3(conv2d_bn(x, 384, 1, 1), f"mixed9_{index}")
    branch3x3dbl = conv2d_bn(conv2d_bn(x, 448, 1, 1), 384, 3, 3)
    branch3x3dbl = _split_3x3(branch3x3dbl, None)
    branch_pool = _avg_branch(x, 192)
    return layers.concatenate(
        [branch1x1, branch3x3, branch3x3dbl, branch_pool],
        axis=3,
        name=f"mixed{9 + index}",
    )


def InceptionV3(
    include_top: bool = True,
    weights: Any = "imagenet",
    input_tensor: Any = None,
    input_shape: Any = None,
    pooling: Any = None,
    classes: int = 1000,
    classifier_activation: Any = "softmax",
    name: str = "inception_v3",
) -> Model:
    _builder.check_weights(weights, include_top, classes)
    shape = _builder.input_shape_for(input_shape, 299, 75, include_top, weights)
    inputs = _builder.image_input(input_tensor, shape)
    x = conv2d_bn(inputs, 32, 3, 3, strides=2, padding="valid")
    x = conv2d_bn(x, 32, 3, 3, padding="valid")
    x = conv2d_bn(x, 64, 3, 3)
    x = layers.MaxPooling2D(3, strides=2)(x)
    x = conv2d_bn(x, 80, 1, 1, padding="valid")
    x = conv2d_bn(x, 192, 3, 3, padding="valid")
    x = layers.MaxPooling2D(3, strides=2)(x)
    for i, pool_filters in enumerate((32, 64, 64)):
        x = block_5x5(x, pool_filters, f"mixed{i}")
    x = reduction_a(x)
    for i, width in enumerate((128, 160, 160, 192)):
        x = block_7x7(x, width, f"mixed{4 + i}")
    x = reduction_b(x)
    for i in range(2):
        x = block_expanded(x, i)
    x = _builder.top_or_unnamed_pool(
        x, include_top, pooling, classes, classifier_activation
    )
    return _builder.finish(inputs, x, name, weights)


describe(
    InceptionV3,
    "InceptionV3: factorized inception blocks; 299x299 images by default, "
    "at least 75x75.",
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
