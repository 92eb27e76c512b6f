"""``Wrapper``: the base of layers that wrap another layer."""

from __future__ import annotations

from typing import Any

from kgraph.layers import layer as layer_module
from kgraph.layers.layer import Layer


class Wrapper(Layer):
    """A layer that wraps another, as Keras's ``Wrapper``: subclasses
    write ``call`` in terms of ``self.layer``; building builds the wrapped
    layer, and the config holds its entry.

    Args:
        layer: the layer to wrap.
        **kwargs: the base layer's arguments.

    Raises:
        ValueError: when ``layer`` is not a layer.

    Example:

    >>> import numpy as np
    >>> from kgraph.layers import Dense
    >>> class Twice(Wrapper):
    ...     def call(self, inputs):
    ...         return self.layer(self.layer(inputs))
    >>> Twice(Dense(2, kernel_initializer="ones"))(np.ones((1, 2), "float32")).numpy()
    array([[4., 4.]], dtype=float32)
    """

    def __init__(self, layer: Any, **kwargs: Any) -> None:
        if not isinstance(layer, Layer):
            raise ValueError(
                f"Layer {layer} supplied to Wrapper isn't a supported layer type. "
                "Please ensure wrapped layer is a valid Keras layer. "
                f"Received: layer={layer!r}"
            )
        super().__init__(**kwargs)
        self.layer = layer

    def build(self, input_shape: Any = None) -> None:
        """Builds the wrapped layer (its variables named under the wrapper's,
        as Keras names them)."""
        if not self.layer.built:
            self.layer.__dict__.setdefault("_path", f"{self.name}/{self.layer.name}")
            self.layer.build(tuple(input_shape))
            self.layer.built = True
        self.built = True

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments (the wrapped layer's entry)."""
        return {**super().get_config(), "layer": layer_module.serialize(self.layer)}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Wrapper:
        """Creates the wrapper from ``get_config``'s result (or Keras's)."""
        config = dict(config)
        layer = layer_module.deserialize(config.pop("layer"))
        return cls(layer, **config)
