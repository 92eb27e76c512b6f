"""What every application builder shares: Keras's arguments checked the
same way, the input, the classifier or pooling on top, and the weights."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from kgraph import layers
from kgraph.models import Model


def check_weights(weights: Any, include_top: bool, classes: int) -> None:
    """Accepts ``None`` or the path of an existing ``.weights.h5`` file.

    Raises:
        ValueError: for ``"imagenet"`` (kgraph downloads nothing) or a path
            that does not exist.
    """
    if weights is None:
        return
    if weights == "imagenet":
        raise ValueError(
            "kgraph downloads nothing: build the application with weights=None, "
            "or give the path of a weights file saved by Keras "
            "(model.save_weights('name.weights.h5')). Received: weights='imagenet'"
        )
    if not Path(weights).is_file():
        raise ValueError(
            "The `weights` argument should be either `None` (random "
            "initialization) or the path to the weights file to be loaded. "
            f"Received: weights={weights}"
        )


def input_shape_for(
    input_shape: Any,
    default_size: int,
    min_size: int,
    include_top: bool,
    weights: Any,
) -> tuple[Any, ...]:
    """The image shape a builder uses, as Keras's ``obtain_input_shape``.

    Args:
        input_shape: What the caller gave, or ``None``.
        default_size: The side the architecture was designed for.
        min_size: The smallest side the architecture accepts.
        include_top: Whether the classifier is built.
        weights: The ``weights`` argument.

    Returns:
        ``(height, width, channels)``; sides are ``None`` when unknown.

    Raises:
        ValueError: for a shape that is not 3-D or a side below ``min_size``.
    """
    if input_shape is None:
        side = default_size if include_top else None
        return (side, side, 3)
    shape = tuple(input_shape)
    if len(shape) != 3:
        raise ValueError(
            "`input_shape` must be a tuple of three integers. "
            f"Received: input_shape={input_shape}"
        )
    if weights is not None and shape[-1] != 3:
        raise ValueError(
            "Pretrained weights expect 3 input channels. "
            f"Received: input_shape={input_shape}"
        )
    for side in shape[:2]:
        if side is not None and side < min_size:
            raise ValueError(
                f"Input size must be at least {min_size}x{min_size}. "
                f"Received: input_shape={input_shape}"
            )
    if include_top and None in shape[:2] and weights is not None:
        raise ValueError(
            "With include_top=True and pretrained weights the image size must be "
            f"fixed. Received: input_shape={input_shape}"
        )
    return shape


def image_input(input_tensor: Any, shape: tuple[Any, ...]) -> Any:
    """The tensor the network starts from: ``input_tensor`` or a new Input."""
    if input_tensor is None:
        return layers.Input(shape=shape)
    return input_tensor


def pooled_top(
    x: Any,
    include_top: bool,
    pooling: Any,
    classes: int,
    classifier_activation: Any,
    pool_names: tuple[str | None, str | None] = ("avg_pool", "max_pool"),
) -> Any:
    """Global average pooling and the ``predictions`` Dense layer, or the
    optional pooling of a headless network, as most applications end."""
    if include_top:
        x = layers.GlobalAveragePooling2D(name=pool_names[0])(x)
        return layers.Dense(
            classes, activation=classifier_activation, name="predictions"
        )(x)
    return pool(x, pooling, pool_names)


def top_or_unnamed_pool(
    x: Any, include_top: bool, pooling: Any, classes: int, classifier_activation: Any
) -> Any:
    """``avg_pool`` and the ``predictions`` layer, or the unnamed global
    pooling of a headless network (Xception and the Inception models)."""
    if include_top:
        return pooled_top(x, True, pooling, classes, classifier_activation)
    return pool(x, pooling, (None, None))


def pool(
    x: Any,
    pooling: Any,
    pool_names: tuple[str | None, str | None] = ("avg_pool", "max_pool"),
) -> Any:
    """Global pooling of a headless network: ``"avg"``, ``"max"`` or none."""
    if pooling == "avg":
        return layers.GlobalAveragePooling2D(name=pool_names[0])(x)
    if pooling == "max":
        return layers.GlobalMaxPooling2D(name=pool_names[1])(x)
    if pooling is not None:
        raise ValueError(
            f"`pooling` must be None, 'avg' or 'max'. Received: pooling={pooling}"
        )
    return x


def finish(inputs: Any, outputs: Any, name: str, weights: Any) -> Model:
    """The model, with its weights loaded from ``weights`` when it is a path."""
    model = Model(inputs, outputs, name=name)
    if weights is not None:
        model.load_weights(weights)
    return model


Builder = Callable[..., Model]
