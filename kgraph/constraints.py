"""Weight constraints (``kgraph.constraints``), as in ``keras.constraints``.

A constraint maps a weight to its projection onto a feasible set (weights
of bounded norm, non-negative weights, ...). It is written with
``kgraph.ops``, so the compiled training step applies it to each weight
right after the optimizer's update, on every backend; layers take one per
weight (``kernel_constraint``, ``bias_constraint``...). Norms are taken
along ``axis`` (0 by default: for a ``Dense`` kernel of shape ``(input_dim,
units)``, the weights entering each unit) and ``1e-7`` (Keras's
``epsilon``) keeps their quotients finite.

Example:

>>> import numpy as np
>>> NonNeg()(np.array([-1.0, 2.0], "float32")).numpy()
array([0., 2.], dtype=float32)
"""

from __future__ import annotations

from typing import Any

from kgraph import dtypes
from kgraph import objects
from kgraph import ops
from kgraph.tensor import SymbolicTensor
from kgraph.tensor import Tensor
from kgraph.tensor import Variable

# Keras's ``backend.epsilon()``.
EPSILON = 1e-7


def _float(w: Any) -> Any:
    if not isinstance(w, SymbolicTensor | Tensor | Variable):
        w = Tensor(w, "float32")
    return w if dtypes.is_float(w.dtype) else ops.cast(w, "float32")


def _norms(w: Any, axis: Any) -> Any:
    """The L2 norms of ``w`` along ``axis`` (kept as size-1 axes)."""
    return ops.sqrt(ops.sum(ops.square(w), axis=axis, keepdims=True))


class Constraint(objects.Configurable):
    """Base class of weight constraints: ``__call__(w)`` returns the
    constrained weight (``w`` itself for the base class).

    Subclasses implement ``__call__`` with ``kgraph.ops`` and
    ``get_config``.

    Example:

    >>> class Clip(Constraint):
    ...     def __call__(self, w):
    ...         return ops.clip(w, -1.0, 1.0)
    >>> Clip()([-3.0, 0.5]).numpy()
    array([-1. ,  0.5], dtype=float32)
    """

    def __call__(self, w: Any) -> Any:
        """Returns ``w`` unchanged."""
        return w


class MaxNorm(Constraint):
    """Caps the norm of the weights along ``axis`` at ``max_value``.

    ``w * clip(norms, 0, max_value) / (epsilon + norms)``.

    Args:
        max_value: the largest norm (default 2).
        axis: the axis or axes the norms run along (default 0).

    Example:

    >>> import numpy as np
    >>> MaxNorm(1.0)(np.array([[3.0], [4.0]], "float32")).numpy().round(4)
    array([[0.6],
           [0.8]], dtype=float32)
    """

    def __init__(self, max_value: float = 2, axis: Any = 0) -> None:
        self.max_value = max_value
        self.axis = axis

    def __call__(self, w: Any) -> Any:
        """Returns the weights with their norms capped."""
        w = _float(w)
        norms = _norms(w, self.axis)
        desired = ops.clip(norms, 0.0, float(self.max_value))
        return ops.multiply(w, ops.divide(desired, ops.add(norms, EPSILON)))

    def get_config(self) -> dict[str, Any]:
        """Returns ``{"max_value", "axis"}``."""
        return {"max_value": self.max_value, "axis": self.axis}


class NonNeg(Constraint):
    """Makes the weights non-negative: ``maximum(w, 0)``.

    Example:

    >>> NonNeg()([-0.5, 1.5]).numpy()
    array([0. , 1.5], dtype=float32)
    """

    def __call__(self, w: Any) -> Any:
        """Returns ``maximum(w, 0)``."""
        return ops.maximum(_float(w), 0.0)


class UnitNorm(Constraint):
    """Scales the weights to norm 1 along ``axis``: ``w / (epsilon +
    norms)``.

    Args:
        axis: the axis or axes the norms run along (default 0).

    Example:

    >>> import numpy as np
    >>> UnitNorm()(np.array([[3.0], [4.0]], "float32")).numpy().round(4)
    array([[0.6],
           [0.8]], dtype=float32)
    """

    def __init__(self, axis: Any = 0) -> None:
        self.axis = axis

    def __call__(self, w: Any) -> Any:
        """Returns the weights scaled to unit norm."""
        w = _float(w)
        return ops.divide(w, ops.add(_norms(w, self.axis), EPSILON))

    def get_config(self) -> dict[str, Any]:
        """Returns ``{"axis"}``."""
        return {"axis": self.axis}


class MinMaxNorm(Constraint):
    """Keeps the norm of the weights along ``axis`` in ``[min_value,
    max_value]``, moving it there at ``rate``.

    ``w * desired / (epsilon + norms)`` with ``desired = rate *
    clip(norms, min_value, max_value) + (1 - rate) * norms``.

    Args:
        min_value: the smallest norm (default 0).
        max_value: the largest norm (default 1).
        rate: how far to move the norms into the interval each time, in
            ``[0, 1]`` (default 1: all the way).
        axis: the axis or axes the norms run along (default 0).

    Example:

    >>> import numpy as np
    >>> MinMaxNorm(1.0, 2.0)(np.array([[0.3], [0.4]], "float32")).numpy().round(4)
    array([[0.6],
           [0.8]], dtype=float32)
    """

    def __init__(
        self,
        min_value: float = 0.0,
        max_value: float = 1.0,
        rate: float = 1.0,
        axis: Any = 0,
    ) -> None:
        self.min_value = min_value
        self.max_value = max_value
        self.rate = rate
        self.axis = axis

    def __call__(self, w: Any) -> Any:
        """Returns the weights with their norms moved into the interval."""
        w = _float(w)
        norms = _norms(w, self.axis)
        clipped = ops.clip(norms, float(self.min_value), float(self.max_value))
        desired = ops.add(
            ops.multiply(clipped, float(self.rate)),
            ops.multiply(norms, 1.0 - float(self.rate)),
        )
        return ops.multiply(w, ops.divide(desired, ops.add(norms, EPSILON)))

    def get_config(self) -> dict[str, Any]:
        """Returns ``{"min_value", "max_value", "rate", "axis"}``."""
        return {
            "min_value": self.min_value,
            "max_value": self.max_value,
            "rate": self.rate,
            "axis": self.axis,
        }


max_norm = MaxNorm
min_max_norm = MinMaxNorm
non_neg = NonNeg
unit_norm = UnitNorm

_CLASS_LIST: tuple[type[Constraint], ...] = (
    Constraint,
    MaxNorm,
    MinMaxNorm,
    NonNeg,
    UnitNorm,
)
_CLASSES: dict[str, type[Constraint]] = objects.name_table(_CLASS_LIST)


FAMILY = objects.ObjectFamily("constraint", Constraint, _CLASSES)
"""The constraints' ``ObjectFamily``: names and aliases to classes."""


get, serialize, deserialize = FAMILY.public_functions(
    __name__,
    {
        "get": """>>> get("max_norm").max_value
2""",
        "serialize": """>>> serialize(NonNeg())
{'class_name': 'NonNeg', 'config': {}}""",
    },
)


__all__ = [
    "Constraint",
    "MaxNorm",
    "MinMaxNorm",
    "NonNeg",
    "UnitNorm",
    "deserialize",
    "get",
    "max_norm",
    "min_max_norm",
    "non_neg",
    "serialize",
    "unit_norm",
]
