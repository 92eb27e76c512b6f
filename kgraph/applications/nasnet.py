"""NASNetMobile and NASNetLarge (Zoph et al., 2018), as
``keras.applications.nasnet``: the same layer names (including the
unnamed ones, created in Keras's order) and weight order."""

from __future__ import annotations

from typing import Any

from kgraph import layers
from kgraph.applications import _builder
from kgraph.applications import imagenet_utils
from kgraph.applications.mobilenet_v2 import correct_pad
from kgraph.applications.resnet import describe
from kgraph.models import Model

BN = {"momentum": 0.9997, "epsilon": 1e-3}


def _relu(x: Any, name: str | None = None) -> Any:
    return layers.Activation("relu", name=name)(x)


def _conv1x1(x: Any, filters: int, name: str) -> Any:
    return layers.Conv2D(
        filters, 1, padding="same", use_bias=False, name=name,
        kernel_initializer="he_normal",
    )(x)  # fmt: skip


def separable_block(
    x: Any, filters: int, kernel_size: int, strides: int, block_id: str
) -> Any:
    """Two ReLU, separable convolution, batch normalization steps; the first
    may stride (after a centring zero padding)."""
    x = _relu(x)
    padding = "same"
    if strides == 2:
        pad = correct_pad(x, kernel_size)
        x = layers.ZeroPadding2D(pad, name=f"separable_conv_1_pad_{block_id}")(x)
        padding = "valid"
    x = layers.SeparableConv2D(
        filters, kernel_size, strides=strides, name=f"separable_conv_1_{block_id}",
        padding=padding, use_bias=False,
    )(x)  # fmt: skip
    x = layers.BatchNormalization(**BN, name=f"separable_conv_1_bn_{block_id}")(x)
    x = _relu(x)
    x = layers.SeparableConv2D(
        filters, kernel_size, name=f"separable_conv_2_{block_id}", padding="same",
        use_bias=False,
    )(x)  # fmt: skip
    return layers.BatchNormalization(**BN, name=f"separable_conv_2_bn_{block_id}")(x)


def adjust(p: Any, ip: Any, filters: int, block_id: str) -> Any:
    """The previous cell's output ``p`` brought to the size and channels of
    this cell's input ``ip``."""
    if p is None:
        return ip
    if p.shape[-2] != ip.shape[-2]:
        p = _relu(p, f"adjust_relu_1_{block_id}")
        p1 = layers.AveragePooling2D(
            1, strides=2, padding="valid", name=f"adjust_avg_pool_1_{block_id}"
        )(p)
        p1 = _conv1x1(p1, filters // 2, f"adjust_conv_1_{block_id}")
        p2 = layers.ZeroPadding2D(padding=((0, 1), (0, 1)))(p)
        p2 = layers.Cropping2D(cropping=((1, 0), (1, 0)))(p2)
        p2 = layers.AveragePooling2D(
            1, strides=2, padding="valid", name=f"adjust_avg_pool_2_{block_id}"
        )(p2)
        p2 = _conv1x1(p2, filters // 2, f"adjust_conv_2_{block_id}")
        p = layers.concatenate([p1, p2], axis=-1)
        return layers.BatchNormalization(**BN, name=f"adjust_bn_{block_id}")(p)
    if p.shape[-1] != filters:
        p = _conv1x1(_relu(p), filters, f"adjust_conv_projection_{block_id}")
        return layers.BatchNormalization(**BN, name=f"adjust_bn_{block_id}")(p)
    return p


def _squeeze(ip: Any, filters: int, kind: str, block_id: str) -> Any:
    h = _conv1x1(_relu(ip), filters, f"{kind}_conv_1_{block_id}")
    return layers.BatchNormalization(**BN, name=f"{kind}_bn_1_{block_id}")(h)


def _avg_pool(x: Any, strides: int, padding: str, name: str) -> Any:
    return layers.AveragePooling2D(3, strides=strides, padding=padding, name=name)(x)


def normal_cell(ip: Any, p: Any, filters: int, block_id: str) -> tuple[Any, Any]:
    """A NASNet-A normal cell: five pairs of branches, concatenated with the
    adjusted previous output. Returns the output and ``ip`` (the next
    cell's previous output)."""
    p = adjust(p, ip, filters, block_id)
    h = _squeeze(ip, filters, "normal", block_id)
    x1 = layers.add(
        [
            separable_block(h, filters, 5, 1, f"normal_left1_{block_id}"),
            separable_block(p, filters, 3, 1, f"normal_right1_{block_id}"),
        ],
        name=f"normal_add_1_{block_id}",
    )
    x2 = layers.add(
        [
            separable_block(p, filters, 5, 1, f"normal_left2_{block_id}"),
            separable_block(p, filters, 3, 1, f"normal_right2_{block_id}"),
        ],
        name=f"normal_add_2_{block_id}",
    )
    x3 = _avg_pool(h, 1, "same", f"normal_left3_{block_id}")
    x3 = layers.add([x3, p], name=f"normal_add_3_{block_id}")
    x4 = layers.add(
        [
            _avg_pool(p, 1, "same", f"normal_left4_{block_id}"),
            _avg_pool(p, 1, "same", f"normal_right4_{block_id}"),
        ],
        name=f"normal_add_4_{block_id}",
    )
    x5 = separable_block(h, filters, 3, 1, f"normal_left5_{block_id}")
    x5 = layers.add([x5, h], name=f"normal_add_5_{block_id}")
    x = layers.concatenate(
        [p, x1, x2, x3, x4, x5], axis=-1, name=f"normal_concat_{block_id}"
    )
    return x, ip


def reduction_cell(ip: Any, p: Any, filters: int, block_id: str) -> tuple[Any, Any]:
    """A NASNet-A reduction cell: halves the sides. Returns the output and
    ``ip``."""
    p = adjust(p, ip, filters, block_id)
    h = _squeeze(ip, filters, "reduction", block_id)
    h3 = layers.ZeroPadding2D(correct_pad(h, 3), name=f"reduction_pad_1_{block_id}")(h)
    x1 = layers.add(
        [
            separable_block(h, filters, 5, 2, f"reduction_left1_{block_id}"),
            separable_block(p, filters, 7, 2, f"reduction_right1_{block_id}"),
        ],
        name=f"reduction_add_1_{block_id}",
    )
    x2 = layers.add(
        [
            layers.MaxPooling2D(
                3, strides=2, padding="valid", name=f"reduction_left2_{block_id}"
            )(h3),
            separable_block(p, filters, 7, 2, f"reduction_right2_{block_id}"),
        ],
        name=f"reduction_add_2_{block_id}",
    )
    x3 = layers.add(
        [
            _avg_pool(h3, 2, "valid", f"reduction_left3_{block_id}"),
            separable_block(p, filters, 5, 2, f"reduction_right3_{block_id}"),
        ],
        name=f"reduction_add3_{block_id}",
    )
    x4 = layers.add([x2, _avg_pool(x1, 1, "same", f"reduction_left4_{block_id}")])
    x5 = layers.add(
        [
            separable_block(x1, filters, 3, 1, f"reduction_left4_{block_id}"),
            layers.MaxPooling2D(
                3, strides=2, padding="valid", name=f"reduction_right5_{block_id}"
            )(h3),
        ],
        name=f"reduction_add4_{block_id}",
    )
    x = layers.concatenate(
        [x2, x3, x4, x5], axis=-1, name=f"reduction_concat_{block_id}"
    )
    return x, ip


def nasnet(
    shape: tuple[Any, ...],
    penultimate_filters: int,
    num_blocks: int,
    stem_block_filters: int,
    skip_reduction: bool,
    include_top: bool,
    weights: Any,
    input_tensor: Any,
    pooling: Any,
    classes: int,
    classifier_activation: Any,
    name: str,
    filter_multiplier: int = 2,
) -> Model:
    """The stem, two reduction cells, then three stacks of ``num_blocks``
    normal cells separated by reduction cells."""
    inputs = _builder.image_input(input_tensor, shape)
    filters = penultimate_filters // 24
    x = layers.Conv2D(
        stem_block_filters, 3, strides=2, padding="valid", use_bias=False,
        name="stem_conv1", kernel_initializer="he_normal",
    )(inputs)  # fmt: skip
    x = layers.BatchNormalization(**BN, name="stem_bn1")(x)
    x, p = reduction_cell(x, None, filters // filter_multiplier**2, "stem_1")
    x, p = reduction_cell(x, p, filters // filter_multiplier, "stem_2")
    for stack in range(3):
        width = filters * filter_multiplier**stack
        if stack:
            block_id = f"reduce_{stack * num_blocks}"
            x, p0 = reduction_cell(x, p, width, block_id)
            p = p if skip_reduction else p0
        for i in range(num_blocks):
            block_id = f"{stack * num_blocks + i + (1 if stack else 0)}"
            x, p = normal_cell(x, p, width, block_id)
    x = _relu(x)
    x = _builder.pooled_top(
        x, include_top, pooling, classes, classifier_activation, (None, None)
    )
    return _builder.finish(inputs, x, name, weights)


def _shape(
    input_shape: Any, default_size: int, include_top: bool, weights: Any, classes: int
) -> tuple[Any, ...]:
    _builder.check_weights(weights, include_top, classes)
    return _builder.input_shape_for(input_shape, default_size, 32, include_top, weights)


def NASNetMobile(
    input_shape: Any = None,
    include_top: bool = True,
    weights: Any = "imagenet",
    input_tensor: Any = None,
    pooling: Any = None,
    classes: int = 1000,
    classifier_activation: Any = "softmax",
    name: str = "nasnet_mobile",
) -> Model:
    if not include_top and input_shape is None:
        input_shape = (224, 224, 3)
    shape = _shape(input_shape, 224, include_top, weights, classes)
    return nasnet(
        shape, 1056, 4, 32, False, include_top, weights, input_tensor, pooling,
        classes, classifier_activation, name,
    )  # fmt: skip


def NASNetLarge(
    input_shape: Any = None,
    include_top: bool = True,
    weights: Any = "imagenet",
    input_tensor: Any = None,
    pooling: Any = None,
    classes: int = 1000,
    classifier_activation: Any = "softmax",
    name: str = "nasnet_large",
) -> Model:
    shape = _shape(input_shape, 331, include_top, weights, classes)
    return nasnet(
        shape, 4032, 6, 96, True, include_top, weights, input_tensor, pooling,
        classes, classifier_activation, name,
    )  # fmt: skip


describe(
    NASNetMobile,
    "NASNetMobile: NASNet-A cells, 4 normal cells per stack, 224x224 images "
    "by default (also without the classifier), at least 32x32.",
)
describe(
    NASNetLarge,
    "NASNetLarge: NASNet-A cells, 6 normal cells per stack, 331x331 images "
    "by default, at least 32x32.",
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
