"""Layer wrappers: ``Bidirectional`` (a recurrent layer run both ways) and
``TimeDistributed`` (a layer applied to every time step), as in Keras 3."""

from __future__ import annotations

from typing import Any

from kgraph import ops
from kgraph.layers import layer as layer_module
from kgraph.layers.layer import Layer

__all__ = ["Bidirectional", "TimeDistributed"]

_MERGE_MODES = ("concat", "sum", "mul", "ave", None)


def _renamed(layer: Any, prefix: str, **changes: Any) -> Any:
    """A fresh copy of ``layer`` from its config, named ``prefix + name``."""
    entry = layer_module.serialize(layer)
    config = dict(entry["config"])
    name = config.get("name") or layer.name
    for other in ("forward_", "backward_"):
        name = name.removeprefix(other)
    config.update({"name": prefix + name, **changes})
    return layer_module.deserialize({**entry, "config": config})


class Bidirectional(Layer):
    """Runs a recurrent layer forwards and a copy of it backwards over the
    sequence and merges their outputs.

    Args:
        layer: an ``RNN`` layer (``LSTM``, ``GRU``, ``SimpleRNN`` or
            ``RNN(cell)``); copies of it become ``forward_layer`` and
            ``backward_layer`` (with ``go_backwards`` flipped).
        merge_mode: ``"concat"`` (the default), ``"sum"``, ``"mul"``,
            ``"ave"`` or ``None`` (a list of both outputs).
        weights: not supported: must be ``None``.
        backward_layer: the backward layer, if not a copy of ``layer``.

    Raises:
        ValueError: for an unknown ``merge_mode``, a layer that is not
            recurrent, or layers whose ``return_sequences`` or
            ``return_state`` differ.

    Example:

    >>> import numpy as np
    >>> from kgraph.layers import LSTM
    >>> Bidirectional(LSTM(3, return_sequences=True))(
    ...     np.zeros((2, 5, 4), "float32")).shape
    (2, 5, 6)
    """

    def __init__(
        self,
        layer: Any,
        merge_mode: str | None = "concat",
        weights: Any = None,
        backward_layer: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if merge_mode not in _MERGE_MODES:
            raise ValueError(
                f'Layer "{self.name}" (Bidirectional): invalid merge_mode. '
                f"Expected one of {_MERGE_MODES}. Received: merge_mode={merge_mode!r}"
            )
        if weights is not None:
            raise ValueError(
                f'Layer "{self.name}" (Bidirectional): initial `weights` are not '
                "supported; use set_weights after building. Received: weights"
            )
        if not hasattr(layer, "go_backwards") or not hasattr(layer, "return_state"):
            raise ValueError(
                f'Layer "{self.name}" (Bidirectional) wraps a recurrent layer. '
                f"Received: layer={layer!r}"
            )
        self.forward_layer = _renamed(layer, "forward_")
        if backward_layer is None:
            backward_layer = _renamed(
                layer, "backward_", go_backwards=not layer.go_backwards
            )
        for flag in ("return_sequences", "return_state"):
            if getattr(backward_layer, flag) != getattr(layer, flag):
                raise ValueError(
                    f'Layer "{self.name}" (Bidirectional): the forward and backward '
                    f"layers need the same {flag}. Received: "
                    f"{getattr(layer, flag)} and {getattr(backward_layer, flag)}"
                )
        self.backward_layer = backward_layer
        self.merge_mode = merge_mode
        self.return_sequences = bool(layer.return_sequences)
        self.return_state = bool(layer.return_state)

    def build(self, input_shape: Any) -> None:
        """Builds both directions."""
        for layer in (self.forward_layer, self.backward_layer):
            if not layer.built:
                layer.build(input_shape)
        self.built = True

    def call(self, inputs: Any, initial_state: Any = None, training: Any = None) -> Any:
        """Runs both directions and merges their outputs (then the forward
        and backward final states, with ``return_state``)."""
        forward_state = backward_state = None
        if initial_state is not None:
            half = len(initial_state) // 2
            forward_state, backward_state = initial_state[:half], initial_state[half:]
        forward = self.forward_layer(
            inputs, initial_state=forward_state, training=training
        )
        backward = self.backward_layer(
            inputs, initial_state=backward_state, training=training
        )
        states: list[Any] = []
        if self.return_state:
            states = [*forward[1:], *backward[1:]]
            forward, backward = forward[0], backward[0]
        if self.return_sequences:
            # The backward layer's sequence is in its processing order.
            backward = ops.flip(backward, axis=1)
        merged = self._merge(forward, backward)
        if self.return_state:
            return [*(merged if isinstance(merged, list) else [merged]), *states]
        return merged

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        """The input's mask for sequence outputs, none for the states."""
        mask = mask[0] if isinstance(mask, list | tuple) else mask
        output_mask = mask if self.return_sequences else None
        outputs = [output_mask] * (2 if self.merge_mode is None else 1)
        if self.return_state:
            states = len(self.forward_layer.compute_output_shape((1, 1, 1))) - 1
            return [*outputs, *([None] * 2 * states)]
        return outputs if self.merge_mode is None else output_mask

    def _merge(self, forward: Any, backward: Any) -> Any:
        if self.merge_mode == "concat":
            return ops.concatenate([forward, backward], axis=-1)
        if self.merge_mode == "sum":
            return ops.add(forward, backward)
        if self.merge_mode == "ave":
            return ops.multiply(ops.add(forward, backward), 0.5)
        if self.merge_mode == "mul":
            return ops.multiply(forward, backward)
        return [forward, backward]

    def compute_output_shape(self, input_shape: Any) -> Any:
        """The merged output shape (then the states' shapes)."""
        shape = self.forward_layer.compute_output_shape(input_shape)
        states = []
        if self.return_state:
            states = shape[1:] * 2
            shape = shape[0]
        if self.merge_mode == "concat":
            shape = (*shape[:-1], shape[-1] * 2)
        outputs = [shape, shape] if self.merge_mode is None else [shape]
        if self.return_state:
            return [*outputs, *states]
        return outputs[0] if len(outputs) == 1 else outputs

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments (the wrapped layer's entry)."""
        config = {
            **super().get_config(),
            "layer": layer_module.serialize(self.forward_layer),
            "merge_mode": self.merge_mode,
        }
        config["backward_layer"] = layer_module.serialize(self.backward_layer)
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Bidirectional:
        """Creates the wrapper from ``get_config``'s result (or Keras's)."""
        config = dict(config)
        layer = layer_module.deserialize(config.pop("layer"))
        backward = config.pop("backward_layer", None)
        if isinstance(backward, dict):
            backward = layer_module.deserialize(backward)
        return cls(layer, backward_layer=backward, **config)


class TimeDistributed(Layer):
    """Applies a layer to every time step of ``(batch, timesteps, ...)``
    inputs, with the same weights at every step.

    Args:
        layer: the layer to apply to each ``(batch, ...)`` slice.

    Raises:
        ValueError: for inputs of rank below 3.

    Example:

    >>> import numpy as np
    >>> from kgraph.layers import Dense
    >>> TimeDistributed(Dense(2))(np.zeros((4, 3, 5), "float32")).shape
    (4, 3, 2)
    """

    def __init__(self, layer: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not isinstance(layer, Layer):
            raise ValueError(
                f'Layer "{self.name}" (TimeDistributed) wraps a layer. '
                f"Received: layer={layer!r}"
            )
        self.layer = layer

    def _check(self, input_shape: Any) -> tuple:
        shape = tuple(input_shape)
        if len(shape) < 3:
            raise ValueError(
                f'Layer "{self.name}" (TimeDistributed) expects inputs of rank 3 '
                "or more, (batch_size, timesteps, ...). Received: "
                f"input_shape={shape}"
            )
        return shape

    def build(self, input_shape: Any) -> None:
        """Builds the wrapped layer for one step's shape."""
        shape = self._check(input_shape)
        if not self.layer.built:
            self.layer.build((shape[0], *shape[2:]))
            self.layer.built = True
        self.built = True

    def call(self, inputs: Any, training: Any = None) -> Any:
        """Folds the time steps into the batch, applies the layer, and
        unfolds them; with an unknown number of steps, loops over them."""
        shape = self._check(inputs.shape)
        kwargs = {"training": training} if self.layer._takes("training") else {}
        if shape[1] is None:
            steps = ops.transpose(inputs, (1, 0, *range(2, len(shape))))
            _, outputs = ops.scan(
                lambda carry, x_t: (carry, self.layer(x_t, **kwargs)),
                ops.zeros((1,)),
                steps,
            )
            rank = len(outputs.shape)
            return ops.transpose(outputs, (1, 0, *range(2, rank)))
        folded = ops.reshape(inputs, (-1, *shape[2:]))
        outputs = self.layer(folded, **kwargs)
        return ops.reshape(outputs, (-1, shape[1], *tuple(outputs.shape)[1:]))

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        """The input's mask (the time steps stay where they are)."""
        return mask

    def compute_output_shape(self, input_shape: Any) -> Any:
        """``(batch, timesteps, *layer's output shape per step)``."""
        shape = self._check(input_shape)
        inner = self.layer.compute_output_shape((shape[0], *shape[2:]))
        return (shape[0], shape[1], *tuple(inner)[1:])

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments (the wrapped layer's entry)."""
        return {**super().get_config(), "layer": layer_module.serialize(self.layer)}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> TimeDistributed:
        """Creates the wrapper from ``get_config``'s result (or Keras's)."""
        config = dict(config)
        layer = layer_module.deserialize(config.pop("layer"))
        return cls(layer, **config)
