"""EfficientNetB0 to B7 (Tan and Le, 2019), as
``keras.applications.efficientnet``: the same layer names and weight order.

The network rescales its own input: images go in with values in [0, 255]
and `preprocess_input` is the identity.
"""

from __future__ import annotations

import math
from typing import Any
from typing import NamedTuple

from kgraph import layers
from kgraph.applications import _builder
from kgraph.applications import imagenet_utils
from kgraph.applications.mobilenet_v2 import correct_pad
from kgraph.applications.resnet import BUILDER_ARGS
from kgraph.models import Model


class Stage(NamedTuple):
    """One stage of mobile inverted bottlenecks of EfficientNetB0."""

    kernel_size: int
    repeats: int
    filters_in: int
    filters_out: int
    expand_ratio: int
    strides: int


STAGES = (
    Stage(3, 1, 32, 16, 1, 1),
    Stage(3, 2, 16, 24, 6, 2),
    Stage(5, 2, 24, 40, 6, 2),
    Stage(3, 3, 40, 80, 6, 2),
    Stage(5, 3, 80, 112, 6, 1),
    Stage(5, 4, 112, 192, 6, 2),
    Stage(3, 1, 192, 320, 6, 1),
)
SE_RATIO = 0.25
IMAGENET_STDDEV_RGB = (0.229, 0.224, 0.225)
CONV_INIT = {
    "class_name": "VarianceScaling",
    "config": {"scale": 2.0, "mode": "fan_out", "distribution": "truncated_normal"},
}
DENSE_INIT = {
    "class_name": "VarianceScaling",
    "config": {"scale": 1.0 / 3.0, "mode": "fan_out", "distribution": "uniform"},
}
# name: (width coefficient, depth coefficient, default size, dropout rate)
VARIANTS = {
    "b0": (1.0, 1.0, 224, 0.2),
    "b1": (1.0, 1.1, 240, 0.2),
    "b2": (1.1, 1.2, 260, 0.3),
    "b3": (1.2, 1.4, 300, 0.3),
    "b4": (1.4, 1.8, 380, 0.4),
    "b5": (1.6, 2.2, 456, 0.4),
    "b6": (1.8, 2.6, 528, 0.5),
    "b7": (2.0, 3.1, 600, 0.5),
}


def round_filters(filters: float, width: float, divisor: int = 8) -> int:
    """Filters scaled by the width coefficient, to a multiple of 8."""
    filters *= width
    rounded = max(divisor, int(filters + divisor / 2) // divisor * divisor)
    return int(rounded + divisor if rounded < 0.9 * filters else rounded)


def _conv(filters: int, name: str, **kwargs: Any) -> layers.Conv2D:
    return layers.Conv2D(
        filters, kwargs.pop("kernel_size", 1), padding=kwargs.pop("padding", "same"),
        kernel_initializer=CONV_INIT, name=name, **kwargs,
    )  # fmt: skip


def mb_conv(
    x: Any, stage: Stage, filters_in: int, strides: int, drop_rate: float, name: str
) -> Any:
    """Expand, depthwise convolution, squeeze-and-excite, project; added to
    the input (after drop-connect in training) when the shapes agree."""
    inputs = x
    filters = filters_in * stage.expand_ratio
    filters_out = stage.filters_out
    if stage.expand_ratio != 1:
        x = _conv(filters, f"{name}expand_conv", use_bias=False)(x)
        x = layers.BatchNormalization(name=f"{name}expand_bn")(x)
        x = layers.Activation("swish", name=f"{name}expand_activation")(x)
    padding = "same"
    if strides == 2:
        pad = correct_pad(x, stage.kernel_size)
        x = layers.ZeroPadding2D(padding=pad, name=f"{name}dwconv_pad")(x)
        padding = "valid"
    x = layers.DepthwiseConv2D(
        stage.kernel_size, strides=strides, padding=padding, use_bias=False,
        depthwise_initializer=CONV_INIT, name=f"{name}dwconv",
    )(x)  # fmt: skip
    x = layers.BatchNormalization(name=f"{name}bn")(x)
    x = layers.Activation("swish", name=f"{name}activation")(x)
    se = layers.GlobalAveragePooling2D(name=f"{name}se_squeeze")(x)
    se = layers.Reshape((1, 1, filters), name=f"{name}se_reshape")(se)
    reduced = max(1, int(filters_in * SE_RATIO))
    se = _conv(reduced, f"{name}se_reduce", activation="swish")(se)
    se = _conv(filters, f"{name}se_expand", activation="sigmoid")(se)
    x = layers.multiply([x, se], name=f"{name}se_excite")
    x = _conv(filters_out, f"{name}project_conv", use_bias=False)(x)
    x = layers.BatchNormalization(name=f"{name}project_bn")(x)
    if strides == 1 and filters_in == filters_out:
        if drop_rate > 0:
            x = layers.Dropout(
                drop_rate, noise_shape=(None, 1, 1, 1), name=f"{name}drop"
            )(x)
        x = layers.add([x, inputs], name=f"{name}add")
    return x


def efficientnet(
    variant: str,
    include_top: bool,
    weights: Any,
    input_tensor: Any,
    input_shape: Any,
    pooling: Any,
    classes: int,
    classifier_activation: Any,
    name: str,
    drop_connect_rate: float = 0.2,
) -> Model:
    """The rescaling stem, the seven stages scaled by ``variant``, the top."""
    width, depth, size, dropout_rate = VARIANTS[variant]
    _builder.check_weights(weights, include_top, classes)
    shape = _builder.input_shape_for(input_shape, size, 32, include_top, weights)
    inputs = _builder.image_input(input_tensor, shape)
    x = layers.Rescaling(1.0 / 255.0)(inputs)
    x = layers.Normalization(axis=-1)(x)
    x = layers.ZeroPadding2D(padding=correct_pad(x, 3), name="stem_conv_pad")(x)
    stem = round_filters(32, width)
    x = _conv(
        stem, "stem_conv", kernel_size=3, strides=2, padding="valid", use_bias=False
    )(x)
    x = layers.BatchNormalization(name="stem_bn")(x)
    x = layers.Activation("swish", name="stem_activation")(x)
    repeats = [math.ceil(depth * stage.repeats) for stage in STAGES]
    total, b = float(sum(repeats)), 0
    for i, (stage, count) in enumerate(zip(STAGES, repeats, strict=True)):
        stage = stage._replace(filters_out=round_filters(stage.filters_out, width))
        filters_in = round_filters(stage.filters_in, width)
        for j in range(count):
            strides = stage.strides if j == 0 else 1
            if j > 0:
                filters_in = stage.filters_out
            rate = drop_connect_rate * b / total
            x = mb_conv(
                x, stage, filters_in, strides, rate, f"block{i + 1}{chr(j + 97)}_"
            )
            b += 1
    x = _conv(round_filters(1280, width), "top_conv", use_bias=False)(x)
    x = layers.BatchNormalization(name="top_bn")(x)
    x = layers.Activation("swish", name="top_activation")(x)
    if include_top:
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
        if dropout_rate > 0:
            x = layers.Dropout(dropout_rate, name="top_dropout")(x)
        x = layers.Dense(
            classes, activation=classifier_activation, kernel_initializer=DENSE_INIT,
            name="predictions",
        )(x)  # fmt: skip
    else:
        x = _builder.pool(x, pooling)
    return _builder.finish(inputs, x, name, weights)


def _builder_for(variant: str) -> Any:
    def build(
        include_top: bool = True,
        weights: Any = "imagenet",
        input_tensor: Any = None,
        input_shape: Any = None,
        pooling: Any = None,
        classes: int = 1000,
        classifier_activation: Any = "softmax",
        name: str = f"efficientnet{variant}",
    ) -> Model:
        return efficientnet(
            variant, include_top, weights, input_tensor, input_shape, pooling,
            classes, classifier_activation, name,
        )  # fmt: skip

    width, depth, size, _ = VARIANTS[variant]
    build.__name__ = build.__qualname__ = f"EfficientNet{variant.upper()}"
    build.__doc__ = (
        f"EfficientNet{variant.upper()}: width x{width}, depth x{depth}, "
        f"{size}x{size} images with values in [0, 255].\n" + BUILDER_ARGS
    )
    return build


EfficientNetB0 = _builder_for("b0")
EfficientNetB1 = _builder_for("b1")
EfficientNetB2 = _builder_for("b2")
EfficientNetB3 = _builder_for("b3")
EfficientNetB4 = _builder_for("b4")
EfficientNetB5 = _builder_for("b5")
EfficientNetB6 = _builder_for("b6")
EfficientNetB7 = _builder_for("b7")


def preprocess_input(x: Any, data_format: str | None = None) -> Any:
    """The identity: EfficientNet rescales its input itself.

    Args:
        x: Images with values in [0, 255].
        data_format: ``None`` or ``"channels_last"``.

    Returns:
        ``x`` unchanged.
    """
    imagenet_utils.check_data_format(data_format)
    return x


decode_predictions = imagenet_utils.decode_predictions
