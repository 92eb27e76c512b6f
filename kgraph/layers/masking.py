"""``Masking``: marks the time steps whose features all equal a value."""

from __future__ import annotations

from typing import Any

from kgraph import ops
from kgraph.layers.layer import Layer

__all__ = ["Masking"]


class Masking(Layer):
    """Masks the time steps of ``(batch, timesteps, features)`` inputs whose
    features all equal ``mask_value``: they become zeros, and the output
    carries a mask (``any(inputs != mask_value, axis=-1)``) that recurrent
    layers, pooling and losses respect, as in Keras.

    Args:
        mask_value: the value of padded steps (default 0).

    Example:

    >>> import numpy as np
    >>> x = np.array([[[1.0], [0.0], [2.0]]], "float32")
    >>> Masking().compute_mask(x).numpy()
    array([[ True, False,  True]])
    """

    def __init__(self, mask_value: float = 0.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.mask_value = mask_value

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        """``any(inputs != mask_value, axis=-1)``."""
        return ops.any(ops.not_equal(inputs, self.mask_value), axis=-1)

    def call(self, inputs: Any) -> Any:
        """Zeros the masked steps."""
        keep = ops.expand_dims(self.compute_mask(inputs), -1)
        return ops.multiply(inputs, ops.cast(keep, inputs.dtype))

    def compute_output_shape(self, input_shape: Any) -> Any:
        """The input shape."""
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments."""
        return {**super().get_config(), "mask_value": self.mask_value}
