"""EfficientNetV2B0 to B3, S, M and L (Tan and Le, 2021), as
``keras.applications.efficientnet_v2``: the same layer names and weight
order.

The network rescales its own input (``include_preprocessing=True``): images
go in with values in [0, 255] and `preprocess_input` is the identity.
"""

from __future__ import annotations

import math
from typing import Any
from typing import NamedTuple

from kgraph import initializers
from kgraph import layers
from kgraph.applications import _builder
from kgraph.applications import imagenet_utils
from kgraph.applications.efficientnet import CONV_INIT
from kgraph.applications.efficientnet import DENSE_INIT
from kgraph.applications.resnet import BUILDER_ARGS
from kgraph.models import Model

BN_MOMENTUM = 0.9
DROP_CONNECT_RATE = 0.2
DROPOUT_RATE = 0.2
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_VARIANCE = (0.229**2, 0.224**2, 0.225**2)


class Stage(NamedTuple):
    """A stage of blocks: ``fused`` blocks replace the expansion and the
    depthwise convolution by one full convolution."""

    repeats: int
    filters_in: int
    filters_out: int
    expand_ratio: int
    se_ratio: float
    strides: int
    fused: bool
    kernel_size: int = 3


B_STAGES = (
    Stage(1, 32, 16, 1, 0.0, 1, True),
    Stage(2, 16, 32, 4, 0.0, 2, True),
    Stage(2, 32, 48, 4, 0.0, 2, True),
    Stage(3, 48, 96, 4, 0.25, 2, False),
    Stage(5, 96, 112, 6, 0.25, 1, False),
    Stage(8, 112, 192, 6, 0.25, 2, False),
)
STAGES = {
    "s": (
        Stage(2, 24, 24, 1, 0.0, 1, True),
        Stage(4, 24, 48, 4, 0.0, 2, True),
        Stage(4, 48, 64, 4, 0.0, 2, True),
        Stage(6, 64, 128, 4, 0.25, 2, False),
        Stage(9, 128, 160, 6, 0.25, 1, False),
        Stage(15, 160, 256, 6, 0.25, 2, False),
    ),
    "m": (
        Stage(3, 24, 24, 1, 0.0, 1, True),
        Stage(5, 24, 48, 4, 0.0, 2, True),
        Stage(5, 48, 80, 4, 0.0, 2, True),
        Stage(7, 80, 160, 4, 0.25, 2, False),
        Stage(14, 160, 176, 6, 0.25, 1, False),
        Stage(18, 176, 304, 6, 0.25, 2, False),
        Stage(5, 304, 512, 6, 0.25, 1, False),
    ),
    "l": (
        Stage(4, 32, 32, 1, 0.0, 1, True),
        Stage(7, 32, 64, 4, 0.0, 2, True),
        Stage(7, 64, 96, 4, 0.0, 2, True),
        Stage(10, 96, 192, 4, 0.25, 2, False),
        Stage(19, 192, 224, 6, 0.25, 1, False),
        Stage(25, 224, 384, 6, 0.25, 2, False),
        Stage(7, 384, 640, 6, 0.25, 1, False),
    ),
}
# variant: (width coefficient, depth coefficient, default size)
VARIANTS = {
    "b0": (1.0, 1.0, 224),
    "b1": (1.0, 1.1, 240),
    "b2": (1.1, 1.2, 260),
    "b3": (1.2, 1.4, 300),
    "s": (1.0, 1.0, 384),
    "m": (1.0, 1.0, 480),
    "l": (1.0, 1.0, 480),
}


def round_filters(filters: float, width: float, divisor: int = 8) -> int:
    """Filters scaled by the width coefficient, to the nearest multiple of
    ``divisor`` (at least ``divisor``)."""
    filters *= width
    return int(max(divisor, int(filters + divisor / 2) // divisor * divisor))


def _conv(filters: int, kernel_size: int, name: str, **kwargs: Any) -> Any:
    return layers.Conv2D(
        filters, kernel_size, padding="same", kernel_initializer=CONV_INIT,
        name=name, **kwargs,
    )  # fmt: skip


def _bn_act(x: Any, bn_name: str, act_name: str) -> Any:
    x = layers.BatchNormalization(momentum=BN_MOMENTUM, name=bn_name)(x)
    return layers.Activation("swish", name=act_name)(x)


def squeeze_excite(x: Any, filters_in: int, se_ratio: float, name: str) -> Any:
    """Scales each channel by a gate computed from the pooled input."""
    filters = x.shape[-1]
    se = layers.GlobalAveragePooling2D(name=f"{name}se_squeeze")(x)
    se = layers.Reshape((1, 1, filters), name=f"{name}se_reshape")(se)
    reduced = max(1, int(filters_in * se_ratio))
    se = _conv(reduced, 1, f"{name}se_reduce", activation="swish")(se)
    se = _conv(filters, 1, f"{name}se_expand", activation="sigmoid")(se)
    return layers.multiply([x, se], name=f"{name}se_excite")


def block(
    x: Any, stage: Stage, filters_in: int, strides: int, drop_rate: float, name: str
) -> Any:
    """An MBConv block (expand, depthwise, squeeze-and-excite, project) or
    a fused one (one full convolution, squeeze-and-excite, project); added
    to the input, after drop-connect in training, when the shapes agree."""
    inputs = x
    filters = filters_in * stage.expand_ratio
    expands = stage.expand_ratio != 1
    if expands:
        kernel, stride = (stage.kernel_size, strides) if stage.fused else (1, 1)
        x = _conv(
            filters, kernel, f"{name}expand_conv", strides=stride, use_bias=False
        )(x)
        x = _bn_act(x, f"{name}expand_bn", f"{name}expand_activation")
    if not stage.fused:
        x = layers.DepthwiseConv2D(
            stage.kernel_size, strides=strides, depthwise_initializer=CONV_INIT,
            padding="same", use_bias=False, name=f"{name}dwconv2",
        )(x)  # fmt: skip
        x = _bn_act(x, f"{name}bn", f"{name}activation")
    if 0 < stage.se_ratio <= 1:
        x = squeeze_excite(x, filters_in, stage.se_ratio, name)
    fused_projection = stage.fused and not expands
    x = _conv(
        stage.filters_out,
        stage.kernel_size if fused_projection else 1,
        f"{name}project_conv",
        strides=strides if fused_projection else 1,
        use_bias=False,
    )(x)
    x = layers.BatchNormalization(momentum=BN_MOMENTUM, name=f"{name}project_bn")(x)
    if fused_projection:
        x = layers.Activation("swish", name=f"{name}project_activation")(x)
    if strides == 1 and filters_in == stage.filters_out:
        if drop_rate:
            x = layers.Dropout(
                drop_rate, noise_shape=(None, 1, 1, 1), name=f"{name}drop"
            )(x)
        x = layers.add([x, inputs], name=f"{name}add")
    return x


def _preprocess(x: Any, variant: str, channels: Any) -> Any:
    if variant.startswith("b") and channels == 3:
        x = layers.Rescaling(scale=1.0 / 255)(x)
        return layers.Normalization(
            mean=list(IMAGENET_MEAN), variance=list(IMAGENET_VARIANCE), axis=-1
        )(x)
    return layers.Rescaling(scale=1.0 / 128.0, offset=-1)(x)


def efficientnet_v2(
    variant: str,
    include_top: bool,
    weights: Any,
    input_tensor: Any,
    input_shape: Any,
    pooling: Any,
    classes: int,
    classifier_activation: Any,
    include_preprocessing: bool,
    name: str,
) -> Model:
    """The stem, the stages scaled by ``variant``, the top."""
    width, depth, size = VARIANTS[variant]
    stages = STAGES.get(variant, B_STAGES)
    _builder.check_weights(weights, include_top, classes)
    shape = _builder.input_shape_for(input_shape, size, 32, include_top, weights)
    inputs = _builder.image_input(input_tensor, shape)
    x = _preprocess(inputs, variant, shape[-1]) if include_preprocessing else inputs
    stem = round_filters(stages[0].filters_in, width)
    x = _conv(stem, 3, "stem_conv", strides=2, use_bias=False)(x)
    x = _bn_act(x, "stem_bn", "stem_activation")
    total = float(sum(stage.repeats for stage in stages))
    b = 0
    for i, stage in enumerate(stages):
        stage = stage._replace(filters_out=round_filters(stage.filters_out, width))
        filters_in = round_filters(stage.filters_in, width)
        for j in range(math.ceil(depth * stage.repeats)):
            strides = stage.strides if j == 0 else 1
            if j > 0:
                filters_in = stage.filters_out
            rate = DROP_CONNECT_RATE * b / total
            x = block(
                x, stage, filters_in, strides, rate, f"block{i + 1}{chr(j + 97)}_"
            )
            b += 1
    x = _conv(round_filters(1280, width), 1, "top_conv", use_bias=False)(x)
    x = _bn_act(x, "top_bn", "top_activation")
    if include_top:
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
        x = layers.Dropout(DROPOUT_RATE, name="top_dropout")(x)
        x = layers.Dense(
            classes, activation=classifier_activation, kernel_initializer=DENSE_INIT,
            bias_initializer=initializers.Constant(0.0), name="predictions",
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
        include_preprocessing: bool = True,
        name: str = f"efficientnetv2-{variant}",
    ) -> Model:
        return efficientnet_v2(
            variant, include_top, weights, input_tensor, input_shape, pooling,
            classes, classifier_activation, include_preprocessing, name,
        )  # fmt: skip

    width, depth, size = VARIANTS[variant]
    title = f"EfficientNetV2{variant.upper()}"
    build.__name__ = build.__qualname__ = title
    build.__doc__ = (
        f"{title}: width x{width}, depth x{depth}, {size}x{size} images with "
        "values in [0, 255].\n"
        + BUILDER_ARGS.replace(
            "        name:",
            "        include_preprocessing: Whether the model rescales its\n"
            "            [0, 255] input itself (else it expects [-1, 1]).\n"
            "        name:",
        )
    )
    return build


EfficientNetV2B0 = _builder_for("b0")
EfficientNetV2B1 = _builder_for("b1")
EfficientNetV2B2 = _builder_for("b2")
EfficientNetV2B3 = _builder_for("b3")
EfficientNetV2S = _builder_for("s")
EfficientNetV2M = _builder_for("m")
EfficientNetV2L = _builder_for("l")


def preprocess_input(x: Any, data_format: str | None = None) -> Any:
    """The identity: EfficientNetV2 rescales its input itself.

    Args:
        x: Images with values in [0, 255].
        data_format: ``None`` or ``"channels_last"``.

    Returns:
        ``x`` unchanged.
    """
    imagenet_utils.check_data_format(data_format)
    return x


decode_predictions = imagenet_utils.decode_predictions
