"""`Pipeline`: layers applied one after another, as a plain layer."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from kgraph.layers import layer as layer_module
from kgraph.layers.layer import Layer


class Pipeline(Layer):
    """Applies its layers in order, as a layer (not a `Model`): the usual
    container of preprocessing and augmentation layers.

    Unlike a layer called alone, a pipeline called outside a model trains
    by default (``training=True``), so augmentation layers in it augment;
    inside a model the model's training mode decides, as for any layer.

    Args:
        layers: The layers, applied first to last.
        name: The layer's name.

    Raises:
        ValueError: when ``layers`` is not a list of layers.

    Example:

    >>> import numpy as np
    >>> from kgraph.layers import Rescaling
    >>> pipeline = Pipeline([Rescaling(0.5), Rescaling(2.0, offset=1.0)])
    >>> pipeline(np.array([[1.0, 2.0]], "float32")).numpy()
    array([[2., 3.]], dtype=float32)
    """

    def __init__(
        self, layers: Sequence[Layer], name: str | None = None, **kwargs: Any
    ) -> None:
        if not isinstance(layers, list | tuple) or not all(
            isinstance(layer, Layer) for layer in layers
        ):
            raise ValueError(
                f"`Pipeline` takes a list of layers. Received: layers={layers!r}"
            )
        super().__init__(name=name, **kwargs)
        self._pipeline_layers = list(layers)

    @property
    def layers(self) -> list[Layer]:
        """The pipeline's layers, in order."""
        return list(self._pipeline_layers)

    def call(self, inputs: Any, training: Any = True) -> Any:
        """Applies every layer, passing ``training`` on."""
        for layer in self._pipeline_layers:
            inputs = layer(inputs, training=training)
        return inputs

    def get_config(self) -> dict[str, Any]:
        """Returns ``{"name", "layers"}`` with the layers serialized."""
        return {
            "name": self.name,
            "layers": [
                layer_module.serialize(layer) for layer in self._pipeline_layers
            ],
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Pipeline:
        """Makes a pipeline from `get_config`'s dict (or Keras's)."""
        layers = config.get("layers")
        if not isinstance(layers, list | tuple):
            raise ValueError(
                "`Pipeline` config must contain a `layers` key mapping to a list of "
                f"serialized layers. Received config with layers={layers}."
            )
        config = {**config, "layers": [layer_module.deserialize(x) for x in layers]}
        return cls(**config)
