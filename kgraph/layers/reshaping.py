"""``Flatten``, ``Reshape``, ``Permute`` and ``RepeatVector``: they keep the
batch dimension."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from kgraph import errors
from kgraph import ops
from kgraph.layers.layer import InputSpec
from kgraph.layers.layer import Layer

_DATA_FORMATS = ("channels_last", "channels_first")


class Flatten(Layer):
    """Flattens every dimension but the batch one.

    Args:
        data_format: ``"channels_last"`` (the default, like ``None``) or
            ``"channels_first"``: the order the features are laid out in,
            so that a ``channels_first`` input flattens to the same vector
            as its ``channels_last`` transpose.

    Input shape:
        ``(batch_size, ...)``.

    Output shape:
        ``(batch_size, product of the other dimensions)``; ``(batch_size, 1)``
        for a rank-1 input.

    Example:

    >>> Flatten()([[[1.0, 2.0], [3.0, 4.0]]]).shape
    (1, 4)
    """

    def __init__(self, data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        data_format = "channels_last" if data_format is None else data_format
        if data_format not in _DATA_FORMATS:
            raise ValueError(
                f"The `data_format` argument must be one of {_DATA_FORMATS}. "
                f"Received: data_format={data_format!r}"
            )
        self.data_format = data_format

    def call(self, inputs: Any) -> Any:
        """Reshapes to ``(batch, -1)``."""
        rest = inputs.shape[1:]
        if any(d is None for d in rest):
            raise errors.ShapeError(
                f'Layer "{self.name}" (Flatten) needs every non-batch dimension '
                f"to be known. Received: input shape "
                f"{errors.format_shape(inputs.shape)}"
            )
        if self.data_format == "channels_first" and inputs.ndim > 2:
            inputs = ops.transpose(inputs, (0, *range(2, inputs.ndim), 1))
        batch = inputs.shape[0]
        return ops.reshape(inputs, (-1 if batch is None else batch, math.prod(rest)))

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments."""
        return {**super().get_config(), "data_format": self.data_format}


class Reshape(Layer):
    """Reshapes the non-batch dimensions to ``target_shape`` (one -1 allowed).

    Args:
        target_shape: the new shape, without the batch dimension; one entry
            may be -1, inferred from the others.

    Input shape:
        ``(batch_size, ...)``, the non-batch dimensions known.

    Output shape:
        ``(batch_size, *target_shape)``.

    Example:

    >>> Reshape((2, 2))([[1.0, 2.0, 3.0, 4.0]]).shape
    (1, 2, 2)
    >>> Reshape((-1, 2))([[1.0, 2.0, 3.0, 4.0]]).shape
    (1, 2, 2)
    """

    def __init__(self, target_shape: Sequence[int], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if isinstance(target_shape, int):
            target_shape = (target_shape,)
        self.target_shape = tuple(int(d) for d in target_shape)
        if sum(d == -1 for d in self.target_shape) > 1:
            raise ValueError(
                "The `target_shape` argument must not contain more than one `-1` "
                f"value. Received: target_shape={tuple(target_shape)}"
            )
        if any(d < -1 or d == 0 for d in self.target_shape):
            raise ValueError(
                "The `target_shape` argument needs positive sizes (and at most "
                f"one -1). Received: target_shape={tuple(target_shape)}"
            )

    def call(self, inputs: Any) -> Any:
        """Reshapes, keeping the batch dimension."""
        rest = inputs.shape[1:]
        target = list(self.target_shape)
        known = all(d is not None for d in rest)
        if -1 in target and not known:
            raise errors.ShapeError(
                f'Layer "{self.name}" (Reshape) cannot infer the -1 in '
                f"target_shape={self.target_shape} from an input of shape "
                f"{errors.format_shape(inputs.shape)}: its non-batch dimensions "
                "must be known"
            )
        if -1 in target:
            size = math.prod(d for d in target if d != -1)
            if math.prod(rest) % size:
                raise errors.ShapeError(
                    f'Layer "{self.name}" (Reshape) cannot reshape an input of shape '
                    f"{errors.format_shape(inputs.shape)} to {self.target_shape}: "
                    f"{math.prod(rest)} values per sample are not a multiple of "
                    f"{size}. Received: target_shape={self.target_shape}"
                )
            target[target.index(-1)] = math.prod(rest) // size
        if known and math.prod(rest) != math.prod(target):
            raise errors.ShapeError(
                f'Layer "{self.name}" (Reshape) cannot reshape an input of shape '
                f"{errors.format_shape(inputs.shape)} ({math.prod(rest)} values per "
                f"sample) to {self.target_shape} ({math.prod(target)} values). "
                f"Received: target_shape={self.target_shape}"
            )
        batch = inputs.shape[0]
        return ops.reshape(inputs, (-1 if batch is None else batch, *target))

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments."""
        return {**super().get_config(), "target_shape": self.target_shape}


class Permute(Layer):
    """Permutes the non-batch axes of its input.

    Args:
        dims: the new order of the non-batch axes, numbered from 1:
            ``(2, 1)`` swaps the two axes after the batch.

    Raises:
        ValueError: when ``dims`` is not a permutation of ``1..len(dims)``.

    Example:

    >>> Permute((2, 1))(np.zeros((1, 3, 5), "float32")).shape
    (1, 5, 3)
    """

    _passes_masks = False

    def __init__(self, dims: Sequence[int], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.dims = tuple(int(d) for d in dims)
        if sorted(self.dims) != list(range(1, len(self.dims) + 1)):
            raise ValueError(
                "Invalid permutation argument `dims` for Permute Layer. The set "
                "of indices in `dims` must be consecutive and start from 1. "
                f"Received dims={dims}"
            )
        self.input_spec = InputSpec(ndim=len(self.dims) + 1)

    def call(self, inputs: Any) -> Any:
        """Transposes the non-batch axes."""
        return ops.transpose(inputs, (0, *self.dims))

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments."""
        return {**super().get_config(), "dims": list(self.dims)}


class RepeatVector(Layer):
    """Repeats its input ``n`` times: ``(batch, features)`` becomes
    ``(batch, n, features)``.

    Args:
        n: the number of repetitions, a positive integer.

    Raises:
        TypeError: when ``n`` is not an integer.

    Example:

    >>> RepeatVector(3)([[1.0, 2.0]]).numpy()
    array([[[1., 2.],
            [1., 2.],
            [1., 2.]]], dtype=float32)
    """

    def __init__(self, n: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if isinstance(n, bool) or not isinstance(n, int):
            raise TypeError(
                f"Expected an integer value for `n`, got {type(n).__name__}. "
                f"Received: n={n!r}"
            )
        self.n = n
        self.input_spec = InputSpec(ndim=2)

    def call(self, inputs: Any) -> Any:
        """Copies the features along a new axis 1."""
        steps = np.zeros(self.n, dtype="int32")
        return ops.take(ops.expand_dims(inputs, 1), steps, axis=1)

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments."""
        return {**super().get_config(), "n": self.n}
