"""``TensorType``: the static shape and dtype of a node's single output."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from kgraph import dtypes
from kgraph import errors

Dim = int | None


@dataclass(frozen=True)
class TensorType:
    """The type of a tensor: a static shape and a dtype.

    A dimension is ``None`` while it is unknown (the batch dimension while a
    model is being built); it becomes concrete once the batch size is known.

    Args:
        shape: a tuple of non-negative ints or ``None``.
        dtype: one of ``kgraph.dtypes.DTYPES``.
    """

    shape: tuple[Dim, ...]
    dtype: str

    def __post_init__(self) -> None:
        shape = tuple(None if d is None else int(d) for d in self.shape)
        if any(d is not None and d < 0 for d in shape):
            raise errors.ShapeError(
                f"Dimensions must be non-negative. Received: shape={shape}"
            )
        object.__setattr__(self, "shape", shape)
        object.__setattr__(self, "dtype", dtypes.canonical(self.dtype))

    @property
    def rank(self) -> int:
        """The number of dimensions."""
        return len(self.shape)

    @property
    def is_static(self) -> bool:
        """Whether every dimension is known."""
        return all(d is not None for d in self.shape)

    @property
    def dims(self) -> tuple[int, ...]:
        """The shape when every dimension is known.

        Raises:
            ShapeError: when a dimension is unknown.
        """
        if not self.is_static:
            raise errors.ShapeError(
                f"The shape must be known here. Received: shape={self.shape}"
            )
        return tuple(int(d) for d in self.shape if d is not None)

    @property
    def size(self) -> int | None:
        """The number of elements, or ``None`` if a dimension is unknown."""
        if not self.is_static:
            return None
        total = 1
        for d in self.shape:
            total *= d  # type: ignore[operator]
        return total

    def with_shape(self, shape: Sequence[Dim]) -> TensorType:
        """Returns the same dtype with another shape."""
        return TensorType(tuple(shape), self.dtype)

    def with_dtype(self, dtype: str) -> TensorType:
        """Returns the same shape with another dtype."""
        return TensorType(self.shape, dtype)

    def accepts(self, shape: Sequence[int]) -> bool:
        """Whether a concrete shape fits this type (``None`` matches any size)."""
        if len(shape) != self.rank:
            return False
        return all(d is None or d == s for d, s in zip(self.shape, shape, strict=True))

    def __str__(self) -> str:
        dims = ",".join("?" if d is None else str(d) for d in self.shape)
        return f"{dtypes.short(self.dtype)}[{dims}]"

    @classmethod
    def of(cls, array: Any) -> TensorType:
        """Returns the type of a NumPy array."""
        return cls(tuple(array.shape), dtypes.canonical(array.dtype))

    @classmethod
    def parse(cls, text: str) -> TensorType:
        """Parses the printed form ``f32[?,784]`` back into a type."""
        short, _, rest = text.partition("[")
        body = rest.rstrip("]")
        dims = (
            [] if not body else [None if d == "?" else int(d) for d in body.split(",")]
        )
        return cls(tuple(dims), short)


def broadcast_shapes(*shapes: Sequence[Dim], op: str = "broadcast") -> tuple[Dim, ...]:
    """Broadcasts shapes by NumPy's rule, with ``None`` as an unknown size.

    An unknown dimension against a known size ``n > 1`` is taken to be ``n``;
    against 1 or another unknown it stays unknown.

    Args:
        *shapes: the shapes to broadcast.
        op: the op name for the error message.

    Returns:
        The broadcast shape.

    Raises:
        ShapeError: when two sizes differ and neither is 1.
    """
    rank = max((len(s) for s in shapes), default=0)
    padded = [(1,) * (rank - len(s)) + tuple(s) for s in shapes]
    result: list[Dim] = []
    for axis in range(rank):
        dims = [s[axis] for s in padded]
        known = {d for d in dims if d is not None and d != 1}
        if len(known) > 1:
            shown = " and ".join(errors.format_shape(s) for s in shapes)
            raise errors.ShapeError(
                f"{op}: shapes cannot be broadcast together: dimension {axis} "
                f"differs ({sorted(known)}). Received: shapes {shown}"
            )
        if known:
            result.append(known.pop())
        elif any(d is None for d in dims):
            result.append(None)
        else:
            result.append(1)
    return tuple(result)
