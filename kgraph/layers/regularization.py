"""``Dropout``: inverted dropout, active only in training."""

from __future__ import annotations

from typing import Any

from kgraph import ops
from kgraph.layers.layer import Layer
from kgraph.layers.layer import random_key
from kgraph.layers.layer import training_flag


class Dropout(Layer):
    """Sets a fraction ``rate`` of the inputs to 0 during training and
    scales the rest by ``1 / (1 - rate)``; at inference it does nothing.

    The mask comes from kgraph's counter-based generator, keyed by the
    training step and salted by the layer's name, so both backends draw the
    same mask.

    Args:
        rate: the fraction to drop, in ``[0, 1)``.
        noise_shape: not supported (must be ``None``).
        seed: an optional seed, mixed into the layer's salt.

    Example:

    >>> Dropout(0.5)([1.0, 2.0]).numpy()  # not training: unchanged
    array([1., 2.], dtype=float32)
    """

    def __init__(
        self,
        rate: float,
        noise_shape: Any = None,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if not 0.0 <= float(rate) < 1.0:
            raise ValueError(
                "Invalid value received for argument `rate`. Expected a float "
                f"value between 0 and 1. Received: rate={rate!r}"
            )
        if noise_shape is not None:
            raise ValueError(
                "Dropout: noise_shape is not supported. "
                f"Received: noise_shape={noise_shape}"
            )
        self.rate = float(rate)
        self.seed = seed

    def call(self, inputs: Any, training: Any = None) -> Any:
        """Drops and rescales in training; passes inputs through otherwise."""
        if training is False or self.rate == 0.0:
            return inputs
        salt = self.salt if self.seed is None else (self.salt ^ int(self.seed))
        keep = ops.greater_equal(
            ops.random_uniform(random_key(inputs), inputs, salt=salt), self.rate
        )
        dropped = ops.where(keep, ops.divide(inputs, 1.0 - self.rate), 0.0)
        if training is True:
            return dropped
        return ops.where(training_flag(inputs, training), dropped, inputs)

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments."""
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}
