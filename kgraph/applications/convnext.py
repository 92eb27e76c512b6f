"""ConvNeXt Tiny to XLarge (Liu et al., 2022), as
``keras.applications.convnext``: the same layer names, nested stem and
downsampling models, and the ``LayerScale`` and ``StochasticDepth`` layers,
so models Keras saved load.

The network normalizes its own input (``include_preprocessing=True``):
images go in with values in [0, 255] and `preprocess_input` is the identity.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from kgraph import initializers
from kgraph import layers
from kgraph import ops
from kgraph.applications import _builder
from kgraph.applications import imagenet_utils
from kgraph.applications.resnet import BUILDER_ARGS
from kgraph.layers.regularization import Dropout
from kgraph.models import Model
from kgraph.models import Sequential
from kgraph.objects import register_keras_serializable

PACKAGE = "kgraph.applications.convnext"
# name: (blocks per stage, channels per stage)
VARIANTS = {
    "tiny": ((3, 3, 9, 3), (96, 192, 384, 768)),
    "small": ((3, 3, 27, 3), (96, 192, 384, 768)),
    "base": ((3, 3, 27, 3), (128, 256, 512, 1024)),
    "large": ((3, 3, 27, 3), (192, 384, 768, 1536)),
    "xlarge": ((3, 3, 27, 3), (256, 512, 1024, 2048)),
}
IMAGENET_MEAN = (0.485 * 255, 0.456 * 255, 0.406 * 255)
IMAGENET_VARIANCE = ((0.229 * 255) ** 2, (0.224 * 255) ** 2, (0.225 * 255) ** 2)


@register_keras_serializable(package=PACKAGE)
class LayerScale(layers.Layer):
    """Multiplies its input by a learned per-channel scale (Touvron et al.,
    2021), initialized to ``init_values``.

    Args:
        init_values: The scale's initial value.
        projection_dim: The number of channels.
        **kwargs: Base layer arguments (``name``, ``trainable``, ...).

    Example:

    >>> LayerScale(0.5, 2)(np.ones((1, 2), "float32")).numpy()
    array([[0.5, 0.5]], dtype=float32)
    """

    def __init__(self, init_values: float, projection_dim: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.init_values = init_values
        self.projection_dim = projection_dim

    def build(self, input_shape: Any) -> None:
        """Creates the scale ``gamma``."""
        self.gamma = self.add_weight(
            shape=(self.projection_dim,),
            initializer=initializers.Constant(self.init_values),
            name="gamma",
        )

    def call(self, inputs: Any) -> Any:
        """Scales each channel."""
        return inputs * self.gamma

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments."""
        return {
            **super().get_config(),
            "init_values": self.init_values,
            "projection_dim": self.projection_dim,
        }


@register_keras_serializable(package=PACKAGE)
class StochasticDepth(Dropout):
    """Drops a whole residual branch per sample in training (Huang et al.,
    2016), scaling what is kept by ``1 / (1 - drop_path_rate)``.

    Args:
        drop_path_rate: The probability of dropping a sample's branch.
        **kwargs: Base layer arguments.

    Example:

    >>> StochasticDepth(0.5)(np.ones((1, 2), "float32")).numpy()
    array([[1., 1.]], dtype=float32)
    """

    def __init__(self, drop_path_rate: float, **kwargs: Any) -> None:
        kwargs.pop("rate", None)
        kwargs.pop("noise_shape", None)
        super().__init__(drop_path_rate, **kwargs)
        self.drop_path_rate = drop_path_rate

    def _mask_like(self, inputs: Any) -> Any:
        per_sample = (slice(None),) + (slice(0, 1),) * (len(inputs.shape) - 1)
        return ops.get_item(inputs, per_sample)

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments."""
        config = super().get_config()
        for key in ("rate", "noise_shape"):
            config.pop(key, None)
        return {**config, "drop_path_rate": self.drop_path_rate}


def convnext_block(
    x: Any, dim: int, drop_path_rate: float, scale: Any, name: str
) -> Any:
    """Depthwise 7x7 convolution, layer norm, a 4x-wide GELU MLP, layer
    scale, and the residual connection."""
    inputs = x
    x = layers.Conv2D(
        dim, 7, padding="same", groups=dim, name=f"{name}_depthwise_conv"
    )(x)
    x = layers.LayerNormalization(epsilon=1e-6, name=f"{name}_layernorm")(x)
    x = layers.Dense(4 * dim, name=f"{name}_pointwise_conv_1")(x)
    x = layers.Activation("gelu", name=f"{name}_gelu")(x)
    x = layers.Dense(dim, name=f"{name}_pointwise_conv_2")(x)
    if scale is not None:
        x = LayerScale(scale, dim, name=f"{name}_layer_scale")(x)
    if drop_path_rate:
        branch = StochasticDepth(drop_path_rate, name=f"{name}_stochastic_depth")
    else:
        branch = layers.Activation("linear", name=f"{name}_identity")
    return inputs + branch(x)


def _downsampling(name: str, dims: tuple[int, ...]) -> list[Sequential]:
    stem = Sequential(
        [
            layers.Conv2D(dims[0], kernel_size=4, strides=4, name=f"{name}_stem_conv"),
            layers.LayerNormalization(epsilon=1e-6, name=f"{name}_stem_layernorm"),
        ],
        name=f"{name}_stem",
    )
    stages = [stem]
    for i in range(3):
        stages.append(
            Sequential(
                [
                    layers.LayerNormalization(
                        epsilon=1e-6, name=f"{name}_downsampling_layernorm_{i}"
                    ),
                    layers.Conv2D(
                        dims[i + 1], 2, strides=2, name=f"{name}_downsampling_conv_{i}"
                    ),
                ],
                name=f"{name}_downsampling_block_{i}",
            )
        )
    return stages


def convnext(
    variant: str,
    include_top: bool,
    include_preprocessing: bool,
    weights: Any,
    input_tensor: Any,
    input_shape: Any,
    pooling: Any,
    classes: int,
    classifier_activation: Any,
    name: str,
    drop_path_rate: float = 0.0,
    layer_scale_init_value: Any = 1e-6,
) -> Model:
    """Normalization, four stages of ConvNeXt blocks, the head."""
    depths, dims = VARIANTS[variant]
    _builder.check_weights(weights, include_top, classes)
    shape = _builder.input_shape_for(input_shape, 224, 32, include_top, weights)
    inputs = _builder.image_input(input_tensor, shape)
    x = inputs
    if include_preprocessing and shape[-1] == 3:
        x = layers.Normalization(
            mean=list(IMAGENET_MEAN),
            variance=list(IMAGENET_VARIANCE),
            name=f"{name}_prestem_normalization",
        )(x)
    rates = [float(r) for r in np.linspace(0.0, drop_path_rate, sum(depths))]
    block = 0
    for stage, downsample in enumerate(_downsampling(name, dims)):
        x = downsample(x)
        for j in range(depths[stage]):
            x = convnext_block(
                x, dims[stage], rates[block], layer_scale_init_value,
                f"{name}_stage_{stage}_block_{j}",
            )  # fmt: skip
            block += 1
    if include_top:
        x = layers.GlobalAveragePooling2D(name=f"{name}_head_gap")(x)
        x = layers.LayerNormalization(epsilon=1e-6, name=f"{name}_head_layernorm")(x)
        x = layers.Dense(
            classes, activation=classifier_activation, name=f"{name}_head_dense"
        )(x)
    else:
        x = _builder.pool(x, pooling, (None, None))
        x = layers.LayerNormalization(epsilon=1e-6)(x)
    return _builder.finish(inputs, x, name, weights)


def _builder_for(variant: str) -> Any:
    def build(
        include_top: bool = True,
        include_preprocessing: bool = True,
        weights: Any = "imagenet",
        input_tensor: Any = None,
        input_shape: Any = None,
        pooling: Any = None,
        classes: int = 1000,
        classifier_activation: Any = "softmax",
        name: str = f"convnext_{variant}",
    ) -> Model:
        return convnext(
            variant, include_top, include_preprocessing, weights, input_tensor,
            input_shape, pooling, classes, classifier_activation, name,
        )  # fmt: skip

    depths, dims = VARIANTS[variant]
    title = (
        f"ConvNeXt{variant.capitalize()}" if variant != "xlarge" else "ConvNeXtXLarge"
    )
    build.__name__ = build.__qualname__ = title
    build.__doc__ = (
        f"{title}: stages of {depths} blocks with {dims} channels.\n"
        + BUILDER_ARGS.replace(
            "        weights:",
            "        include_preprocessing: Whether the model normalizes its\n"
            "            [0, 255] input with ImageNet's statistics.\n"
            "        weights:",
        )
    )
    return build


ConvNeXtTiny = _builder_for("tiny")
ConvNeXtSmall = _builder_for("small")
ConvNeXtBase = _builder_for("base")
ConvNeXtLarge = _builder_for("large")
ConvNeXtXLarge = _builder_for("xlarge")


def preprocess_input(x: Any, data_format: str | None = None) -> Any:
    """The identity: ConvNeXt normalizes its input itself.

    Args:
        x: Images with values in [0, 255].
        data_format: ``None`` or ``"channels_last"``.

    Returns:
        ``x`` unchanged.
    """
    imagenet_utils.check_data_format(data_format)
    return x


decode_predictions = imagenet_utils.decode_predictions
