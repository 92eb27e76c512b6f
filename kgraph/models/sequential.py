"""``Sequential``: a stack of layers, a functional model underneath.

Adding a layer to a built model calls it once on the previous output, so
building a model of n layers makes n layer calls.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from kgraph.layers.input_layer import InputLayer
from kgraph.layers.layer import Layer
from kgraph.models.functional import Model
from kgraph.tensor import KerasTensor


class Sequential(Model):
    """A linear stack of layers.

    The input shape comes from a leading ``kg.Input``, from
    ``input_shape=`` on the first layer (Keras 2 style), or from the first
    data the model sees; the functional graph is built once it is known.

    Args:
        layers: the layers, in order.
        name: the model's name.

    Example:

    >>> import kgraph as kg
    >>> model = Sequential([kg.layers.Dense(4, input_shape=(3,)), kg.layers.Dense(1)])
    >>> [layer.name for layer in model.layers][-1] == model.layers[-1].name
    True
    >>> model.count_params()
    21
    """

    def __init__(
        self,
        layers: Sequence[Any] | None = None,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(name=name, **kwargs)
        self._stack: list[Layer] = []
        self._input_layer: InputLayer | None = None
        # The output after each layer of the stack, once built.
        self._tensors: list[KerasTensor] = []
        self.built = False
        for layer in layers or []:
            self.add(layer)

    @property
    def _is_functional(self) -> bool:
        return True

    def add(self, layer: Any) -> None:
        """Appends a layer (or sets the input with a ``kg.Input`` tensor).

        Raises:
            TypeError: for anything that is not a layer or an input.
        """
        if isinstance(layer, KerasTensor):
            owner = layer.history[0] if layer.history else None
            if not isinstance(owner, InputLayer):
                raise TypeError(
                    "Sequential.add takes layers or a kg.Input tensor. Received: a "
                    "symbolic tensor that is not an input"
                )
            layer = owner
        if isinstance(layer, InputLayer):
            if self._stack or self._input_layer is not None:
                raise ValueError(
                    "An Input must come first in a Sequential model. Received: an "
                    f"Input after {len(self._stack)} layers"
                )
            self._input_layer = layer
        elif isinstance(layer, Layer):
            self._stack.append(layer)
        else:
            raise TypeError(
                "Sequential.add takes a layer. Received: "
                f"{layer!r} of type {type(layer).__name__}"
            )
        if self.built and len(self._tensors) == len(self._stack) - 1:
            self._tensors.append(
                layer(self._tensors[-1] if self._tensors else self._input_layer.output)
            )
            self._set_graph(self._input_layer.output, self._tensors[-1])
            return
        self._rebuild()

    def pop(self) -> Layer:
        """Removes and returns the last layer.

        Raises:
            TypeError: when there is no layer.
        """
        if not self._stack:
            raise TypeError("There are no layers in the model. Received: pop()")
        layer = self._stack.pop()
        if self.built and self._stack:
            del self._tensors[len(self._stack) :]
            self._set_graph(self._input_layer.output, self._tensors[-1])
        else:
            self._tensors = []
            self._rebuild()
        return layer

    def _input_shape(self) -> tuple[int | None, ...] | None:
        if self._input_layer is not None:
            return (self._input_layer.batch_size, *self._input_layer.shape)
        if self._stack and self._stack[0]._input_shape_arg is not None:
            return (None, *self._stack[0]._input_shape_arg)
        return None

    def _rebuild(self) -> None:
        shape = self._input_shape()
        if shape is None or not self._stack:
            self.built = False
            return
        self.build(shape)

    def build(self, input_shape: Any = None) -> None:
        """Builds the graph for inputs of ``input_shape`` (batch dim first).

        Raises:
            ValueError: when the model has no layers.
        """
        if not self._stack:
            raise ValueError(
                f"Sequential model '{self.name}' has no layers, so it cannot be "
                "built. Call `model.add(layer)` first. Received: no layers"
            )
        if self._input_layer is None:
            self._input_layer = InputLayer(shape=tuple(input_shape[1:]))
        tensor = self._input_layer.output
        self._tensors = []
        for layer in self._stack:
            tensor = layer(tensor)
            self._tensors.append(tensor)
        self._set_graph(self._input_layer.output, tensor)

    def _ensure_built(self, x: Any) -> None:
        """Builds the graph from the first data, as Keras builds a Sequential
        model without an input shape on its first call."""
        if self.built or x is None:
            return
        if isinstance(x, dict) and len(x) == 1:
            x = next(iter(x.values()))
        elif isinstance(x, list | tuple) and len(x) == 1 and np.ndim(x[0]) >= 1:
            x = x[0]
        shape = np.shape(x)
        if len(shape) < 2:
            raise ValueError(
                f"Sequential model '{self.name}' has no input shape yet and cannot "
                "take it from data without a feature dimension. Pass "
                "`input_shape=` to the first layer or start with `kg.Input`. "
                f"Received: data of shape {shape}"
            )
        self.build((None, *shape[1:]))

    @property
    def layers(self) -> list[Layer]:
        """The layers, without the input layer (as Keras shows them)."""
        return list(self._stack)

    def _summary_layers(self) -> list[Layer]:
        return self.layers

    def _shows_connections(self) -> bool:
        return False

    def get_config(self) -> dict[str, Any]:
        """Returns the model's name and its layers' configurations (the input
        layer first, as Keras)."""
        from kgraph.models import config as model_config

        return model_config.sequential_config(self)

    @classmethod
    def from_config(
        cls,
        config: dict[str, Any],
        custom_objects: dict[str, Any] | None = None,
        safe_mode: bool = True,
    ) -> Sequential:
        """Rebuilds a Sequential model from ``get_config``'s output (or
        Keras's); layers get fresh weights."""
        from kgraph.models import config as model_config

        return model_config.sequential_from_config(
            cls, config, custom_objects, safe_mode
        )
