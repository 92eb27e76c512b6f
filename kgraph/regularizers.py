"""Weight regularizers (``kgraph.regularizers``), as in ``keras.regularizers``.

A regularizer maps a weight tensor to a scalar penalty, written with
``kgraph.ops`` so that it becomes part of the training graph; the layers add
the penalties to the loss.

Example:

>>> import numpy as np
>>> float(L2(0.1)(np.ones((2, 2), dtype="float32")))
0.4000000059604645
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from kgraph import dtypes
from kgraph import objects
from kgraph import ops
from kgraph.tensor import SymbolicTensor
from kgraph.tensor import Tensor
from kgraph.tensor import Variable


def _float(x: Any) -> Any:
    if not isinstance(x, SymbolicTensor | Tensor | Variable):
        x = Tensor(x, "float32")
    return x if dtypes.is_float(x.dtype) else ops.cast(x, "float32")


def _zero(x: Any) -> Any:
    """A scalar 0 computed from ``x`` (so it is a node of ``x``'s graph),
    0 even where ``x`` holds NaN or infinity."""
    return ops.sum(ops.where(ops.equal(x, x), 0.0, 0.0))


def validate_float_arg(value: Any, name: str) -> float:
    """Checks that a penalty factor is a finite, non-negative number.

    Args:
        value: the factor.
        name: the argument's name, for the message.

    Returns:
        The factor as a float.

    Raises:
        ValueError: for a negative, infinite, NaN or non-numeric value.
    """
    if (
        isinstance(value, bool)
        or not isinstance(value, float | int)
        or math.isinf(value)
        or math.isnan(value)
        or value < 0
    ):
        raise ValueError(
            f"Invalid value for argument {name}: expected a non-negative float. "
            f"Received: {name}={value!r}"
        )
    return float(value)


class Regularizer(objects.Configurable):
    """Base class of regularizers: ``__call__(x)`` returns a scalar penalty.

    Subclasses implement ``__call__`` with ``kgraph.ops`` and ``get_config``.

    Example:

    >>> class Half(Regularizer):
    ...     def __call__(self, x):
    ...         return ops.multiply(ops.sum(x), 0.5)
    >>> float(Half()([1.0, 3.0]))
    2.0
    """

    def __call__(self, x: Any) -> Any:
        """Returns the penalty for ``x`` (0 for the base class)."""
        return _zero(_float(x))


class L1L2(Regularizer):
    """Both penalties: ``l1 * sum(abs(x)) + l2 * sum(square(x))``.

    Args:
        l1: the L1 factor (default 0).
        l2: the L2 factor (default 0).

    Raises:
        ValueError: for a negative or non-finite factor.

    Example:

    >>> float(L1L2(l1=0.5, l2=0.25)([1.0, -2.0]))
    2.75
    """

    def __init__(self, l1: float = 0.0, l2: float = 0.0) -> None:
        self.l1 = validate_float_arg(0.0 if l1 is None else l1, name="l1")
        self.l2 = validate_float_arg(0.0 if l2 is None else l2, name="l2")

    def __call__(self, x: Any) -> Any:
        """Returns ``l1 * sum(abs(x)) + l2 * sum(square(x))`` as a scalar."""
        x = _float(x)
        penalty = _zero(x) if self.l1 == self.l2 == 0.0 else None
        if self.l1 != 0.0:
            penalty = ops.multiply(ops.sum(ops.abs(x)), self.l1)
        if self.l2 != 0.0:
            l2_term = ops.multiply(ops.sum(ops.square(x)), self.l2)
            penalty = l2_term if penalty is None else ops.add(penalty, l2_term)
        return penalty

    def get_config(self) -> dict[str, Any]:
        """Returns ``{"l1", "l2"}``."""
        return {"l1": self.l1, "l2": self.l2}


class L1(Regularizer):
    """The L1 penalty: ``l1 * sum(abs(x))``.

    Args:
        l1: the factor (default 0.01).

    Raises:
        ValueError: for a negative or non-finite factor.

    Example:

    >>> float(L1(0.5)([1.0, -2.0]))
    1.5
    """

    def __init__(self, l1: float = 0.01) -> None:
        self.l1 = validate_float_arg(0.01 if l1 is None else l1, name="l1")

    def __call__(self, x: Any) -> Any:
        """Returns ``l1 * sum(abs(x))`` as a scalar."""
        return ops.multiply(ops.sum(ops.abs(_float(x))), self.l1)

    def get_config(self) -> dict[str, Any]:
        """Returns ``{"l1"}``."""
        return {"l1": self.l1}


class L2(Regularizer):
    """The L2 penalty: ``l2 * sum(square(x))`` (no factor 1/2).

    Args:
        l2: the factor (default 0.01).

    Raises:
        ValueError: for a negative or non-finite factor.

    Example:

    >>> float(L2(0.5)([1.0, -2.0]))
    2.5
    """

    def __init__(self, l2: float = 0.01) -> None:
        self.l2 = validate_float_arg(0.01 if l2 is None else l2, name="l2")

    def __call__(self, x: Any) -> Any:
        """Returns ``l2 * sum(square(x))`` as a scalar."""
        return ops.multiply(ops.sum(ops.square(_float(x))), self.l2)

    def get_config(self) -> dict[str, Any]:
        """Returns ``{"l2"}``."""
        return {"l2": self.l2}


class OrthogonalRegularizer(Regularizer):
    """Pushes the rows (or columns) of a rank-2 weight to be orthogonal.

    Formula:

    ```python
    v = l2_normalize(x, axis=1)          # rows; axis=0 and x.T for columns
    product = v @ v.T                    # (n, n), off-diagonal entries only
    penalty = factor * 0.5 * sum(abs(offdiag(product))) / (n * (n - 1) / 2)
    ```

    Args:
        factor: the penalty factor (default 0.01).
        mode: ``"rows"`` or ``"columns"``.

    Raises:
        ValueError: for an invalid factor or mode, or an input not of rank 2.
    """

    def __init__(self, factor: float = 0.01, mode: str = "rows") -> None:
        self.factor = validate_float_arg(factor, name="factor")
        if mode not in ("rows", "columns"):
            raise ValueError(
                'Invalid value for argument `mode`. Expected one of {"rows", '
                f'"columns"}}. Received: mode={mode!r}'
            )
        self.mode = mode

    def __call__(self, x: Any) -> Any:
        """Returns the mean absolute cosine between distinct rows (columns)."""
        x = _float(x)
        if x.ndim != 2:
            raise ValueError(
                "Inputs to OrthogonalRegularizer must have rank 2. Received: "
                f"inputs.shape={tuple(x.shape)}"
            )
        if self.mode == "columns":
            x = ops.transpose(x)
        norm = ops.sqrt(
            ops.maximum(ops.sum(ops.square(x), axis=1, keepdims=True), 1e-12)
        )
        unit = ops.divide(x, norm)
        product = ops.matmul(unit, ops.transpose(unit))
        size = x.shape[0]
        off_diagonal = ops.multiply(product, 1.0 - np.eye(size, dtype=x.dtype))
        pairs = size * (size - 1.0) / 2.0
        total = ops.sum(ops.abs(off_diagonal))
        return ops.divide(ops.multiply(total, self.factor * 0.5), pairs)

    def get_config(self) -> dict[str, Any]:
        """Returns ``{"factor", "mode"}``."""
        return {"factor": self.factor, "mode": self.mode}


l1 = L1
l2 = L2
l1_l2 = L1L2
orthogonal_regularizer = OrthogonalRegularizer

_CLASS_LIST: tuple[type[Regularizer], ...] = (
    Regularizer,
    L1,
    L2,
    L1L2,
    OrthogonalRegularizer,
)
_CLASSES: dict[str, type[Regularizer]] = objects.name_table(_CLASS_LIST)


FAMILY = objects.ObjectFamily("regularizer", Regularizer, _CLASSES)
"""The regularizers' ``ObjectFamily``: names and aliases to classes."""


get, serialize, deserialize = FAMILY.public_functions(
    __name__,
    {
        "get": """>>> get("l2").l2
0.01""",
        "serialize": """>>> serialize(L2(0.5))
{'class_name': 'L2', 'config': {'l2': 0.5}}""",
    },
)


__all__ = [
    "L1",
    "L1L2",
    "L2",
    "OrthogonalRegularizer",
    "Regularizer",
    "deserialize",
    "get",
    "l1",
    "l1_l2",
    "l2",
    "orthogonal_regularizer",
    "serialize",
]
