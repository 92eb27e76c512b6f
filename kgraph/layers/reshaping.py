"""``Flatten`` and ``Reshape``: they keep the batch dimension."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from kgraph import errors
from kgraph import ops
from kgraph.layers.layer import Layer


class Flatten(Layer):
    """Flattens every dimension but the batch one.

    Example:

    >>> Flatten()([[[1.0, 2.0], [3.0, 4.0]]]).shape
    (1, 4)
    """

    def call(self, inputs: Any) -> Any:
        """Reshapes to ``(batch, -1)``."""
        rest = inputs.shape[1:]
        if any(d is None for d in rest):
            raise errors.ShapeError(
                f'Layer "{self.name}" (Flatten) needs every non-batch dimension '
                f"to be known. Received: input shape "
                f"{errors.format_shape(inputs.shape)}"
            )
        return ops.reshape(inputs, (-1, math.prod(rest)))


class Reshape(Layer):
    """Reshapes the non-batch dimensions to ``target_shape`` (one -1 allowed).

    Args:
        target_shape: the new shape, without the batch dimension.

    Example:

    >>> Reshape((2, 2))([[1.0, 2.0, 3.0, 4.0]]).shape
    (1, 2, 2)
    """

    def __init__(self, target_shape: Sequence[int], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.target_shape = tuple(int(d) for d in target_shape)
        if sum(d == -1 for d in self.target_shape) > 1 or any(
            d < -1 or d == 0 for d in self.target_shape
        ):
            raise ValueError(
                "Reshape: target_shape needs positive sizes and at most one -1. "
                f"Received: target_shape={target_shape}"
            )

    def call(self, inputs: Any) -> Any:
        """Reshapes, keeping the batch dimension."""
        rest = inputs.shape[1:]
        target = list(self.target_shape)
        if -1 in target and all(d is not None for d in rest):
            known = math.prod(d for d in target if d != -1)
            if math.prod(rest) % known:
                raise errors.ShapeError(
                    f'Layer "{self.name}" (Reshape) cannot reshape an input of shape '
                    f"{errors.format_shape(inputs.shape)} to {self.target_shape}. "
                    f"Received: target_shape={self.target_shape}"
                )
            target[target.index(-1)] = math.prod(rest) // known
        if all(d is not None for d in rest) and math.prod(rest) != math.prod(target):
            raise errors.ShapeError(
                f'Layer "{self.name}" (Reshape) cannot reshape an input of shape '
                f"{errors.format_shape(inputs.shape)} ({math.prod(rest)} values per "
                f"sample) to {self.target_shape}. Received: target_shape="
                f"{self.target_shape}"
            )
        return ops.reshape(inputs, (-1, *target))

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments."""
        return {**super().get_config(), "target_shape": self.target_shape}
