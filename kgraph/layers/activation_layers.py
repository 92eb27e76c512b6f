"""Activation layers: ``ReLU``, ``LeakyReLU`` and ``Softmax``."""

from __future__ import annotations

import warnings
from typing import Any

from kgraph import ops
from kgraph.layers.layer import Layer


class ReLU(Layer):
    """Rectified linear unit with Keras's options.

    ``f(x) = max_value`` for ``x >= max_value``, ``x`` for
    ``threshold <= x < max_value``, ``negative_slope * (x - threshold)``
    otherwise.

    Args:
        max_value: an upper bound, or ``None``.
        negative_slope: the slope below the threshold (>= 0).
        threshold: the threshold (>= 0).

    Example:

    >>> ReLU(max_value=1.0)([-1.0, 0.5, 3.0]).numpy()
    array([0. , 0.5, 1. ], dtype=float32)
    """

    _passes_masks = True

    def __init__(
        self,
        max_value: float | None = None,
        negative_slope: float = 0.0,
        threshold: float = 0.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        for name, value in (
            ("negative_slope", negative_slope),
            ("threshold", threshold),
        ):
            if value is None or value < 0:
                raise ValueError(
                    f"ReLU: {name} must be a non-negative float. Received: "
                    f"{name}={value!r}"
                )
        if max_value is not None and max_value < 0:
            raise ValueError(
                f"ReLU: max_value must be non-negative. "
                f"Received: max_value={max_value!r}"
            )
        self.max_value = max_value
        self.negative_slope = negative_slope
        self.threshold = threshold

    def call(self, inputs: Any) -> Any:
        """Applies the rectifier."""
        x = ops.cast(inputs, "float32") if inputs.dtype != "float64" else inputs
        above = ops.greater(x, self.threshold)
        below: Any = 0.0
        if self.negative_slope:
            below = ops.multiply(ops.subtract(x, self.threshold), self.negative_slope)
        result = ops.where(above, x, below)
        if self.max_value is not None:
            result = ops.minimum(result, float(self.max_value))
        return result

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments."""
        return {
            **super().get_config(),
            "max_value": self.max_value,
            "negative_slope": self.negative_slope,
            "threshold": self.threshold,
        }


class LeakyReLU(Layer):
    """``x`` where positive, ``negative_slope * x`` elsewhere.

    Args:
        negative_slope: the slope for negative inputs (Keras's default 0.3).
            Keras 2's name ``alpha`` is accepted with a warning, as Keras 3
            does.

    Example:

    >>> LeakyReLU()([-10.0, 2.0]).numpy()
    array([-3.,  2.], dtype=float32)
    """

    _passes_masks = True

    def __init__(self, negative_slope: float = 0.3, **kwargs: Any) -> None:
        if "alpha" in kwargs:
            negative_slope = kwargs.pop("alpha")
            warnings.warn(
                "Argument `alpha` is deprecated. Use `negative_slope` instead.",
                UserWarning,
                stacklevel=2,
            )
        super().__init__(**kwargs)
        if negative_slope is None or negative_slope < 0:
            raise ValueError(
                "LeakyReLU: negative_slope must be a non-negative float. "
                f"Received: negative_slope={negative_slope!r}"
            )
        self.negative_slope = negative_slope

    def call(self, inputs: Any) -> Any:
        """Applies the leaky rectifier."""
        return ops.leaky_relu(inputs, self.negative_slope)

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments."""
        return {**super().get_config(), "negative_slope": self.negative_slope}


class Softmax(Layer):
    """Softmax along ``axis``.

    Args:
        axis: the axis to normalize (default -1).

    Example:

    >>> Softmax()([[0.0, 0.0]]).numpy()
    array([[0.5, 0.5]], dtype=float32)
    """

    _passes_masks = True

    def __init__(self, axis: int = -1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.axis = axis

    def call(self, inputs: Any) -> Any:
        """Applies softmax."""
        return ops.softmax(inputs, axis=self.axis)

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments."""
        return {**super().get_config(), "axis": self.axis}
