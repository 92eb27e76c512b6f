"""NumPy's products: ``dot``, ``tensordot``, ``inner``, ``outer``,
``vdot``, ``kron`` and ``cross``, composed from ``matmul``, transposes,
reshapes and elementwise products (so gradients and native code come from
those). Contracted axes must have sizes known when the model is defined.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from kgraph.ops import elementwise as ew
from kgraph.ops import linalg_primitives as linalg_ops
from kgraph.ops import manipulation
from kgraph.ops import reduce as reduce_ops
from kgraph.ops import registry
from kgraph.ops import shaping as shape_ops
from kgraph.ops.history import recorded


def _pair(x1: Any, x2: Any) -> tuple[Any, Any]:
    x1, x2 = ew.promote(x1, x2)
    x1, x2 = shape_ops.as_tensor(x1), shape_ops.as_tensor(x2)
    if x1.dtype == "bool":
        x1, x2 = ew.cast(x1, "int32"), ew.cast(x2, "int32")
    return x1, x2


def _target(dims: Sequence[Any]) -> list[int]:
    return [-1 if d is None else int(d) for d in dims]


def _axes_pair(axes: Any, rank1: int, rank2: int) -> tuple[list[int], list[int]]:
    if isinstance(axes, int | np.integer):
        count = int(axes)
        if count < 0 or count > min(rank1, rank2):
            raise ValueError(
                f"tensordot: cannot contract {count} axes of tensors of ranks "
                f"{rank1} and {rank2}. Received: axes={axes}"
            )
        return list(range(rank1 - count, rank1)), list(range(count))
    first, second = axes
    first = [first] if isinstance(first, int | np.integer) else list(first)
    second = [second] if isinstance(second, int | np.integer) else list(second)
    if len(first) != len(second):
        raise ValueError(
            f"tensordot: both tensors must contract as many axes. Received: axes={axes}"
        )
    return (
        [registry.normalize_axis("tensordot", int(a), rank1) for a in first],
        [registry.normalize_axis("tensordot", int(a), rank2) for a in second],
    )


@recorded
def tensordot(x1: Any, x2: Any, axes: Any = 2) -> Any:
    """Sums products over the given axes of ``x1`` and ``x2``, as
    ``keras.ops.tensordot``.

    Args:
        x1: a tensor.
        x2: a tensor.
        axes: an int ``n`` (the last ``n`` axes of ``x1`` with the first
            ``n`` of ``x2``) or a pair of axis lists.

    Example:

    >>> tensordot([[1, 2], [3, 4]], [[1, 0], [0, 1]], axes=1).numpy()
    array([[1, 2],
           [3, 4]], dtype=int32)
    """
    x1, x2 = _pair(x1, x2)
    first, second = _axes_pair(axes, x1.ndim, x2.ndim)
    for a, b in zip(first, second, strict=True):
        d, e = x1.shape[a], x2.shape[b]
        if d is None or e is None or d != e:
            raise ValueError(
                "tensordot: contracted axes must have equal sizes known when the "
                f"model is defined. Received: {x1.shape} axis {a} and {x2.shape} "
                f"axis {b}"
            )
    free1 = [a for a in range(x1.ndim) if a not in first]
    free2 = [b for b in range(x2.ndim) if b not in second]
    size = math.prod(int(x1.shape[a]) for a in first)
    left = (
        linalg_ops.transpose(x1, free1 + first)
        if free1 + first != list(range(x1.ndim))
        else x1
    )
    right = (
        linalg_ops.transpose(x2, second + free2)
        if second + free2 != list(range(x2.ndim))
        else x2
    )
    dims1 = [x1.shape[a] for a in free1]
    dims2 = [x2.shape[b] for b in free2]
    left = shape_ops.reshape(left, [-1, size])
    right = shape_ops.reshape(right, [size, -1])
    product = linalg_ops.matmul(left, right)
    return shape_ops.reshape(product, _target(dims1 + dims2))


@recorded
def dot(x1: Any, x2: Any) -> Any:
    """NumPy's ``dot``: products of scalars, the inner product of vectors,
    the matrix product, and in general a sum over the last axis of ``x1``
    and the second-to-last of ``x2``.

    Example:

    >>> dot([1, 2], [3, 4]).numpy()
    array(11, dtype=int32)
    """
    x1, x2 = _pair(x1, x2)
    if x1.ndim == 0 or x2.ndim == 0:
        return ew.multiply(x1, x2)
    if x2.ndim == 1:
        return tensordot(x1, x2, axes=([x1.ndim - 1], [0]))
    if x1.ndim <= 2 and x2.ndim == 2:
        return linalg_ops.matmul(x1, x2)
    return tensordot(x1, x2, axes=([x1.ndim - 1], [x2.ndim - 2]))


@recorded
def inner(x1: Any, x2: Any) -> Any:
    """Sums products over the last axes of ``x1`` and ``x2`` (scalars
    multiply).

    Example:

    >>> inner([1, 2], [3, 4]).numpy()
    array(11, dtype=int32)
    """
    x1, x2 = _pair(x1, x2)
    if x1.ndim == 0 or x2.ndim == 0:
        return ew.multiply(x1, x2)
    return tensordot(x1, x2, axes=([x1.ndim - 1], [x2.ndim - 1]))


@recorded
def outer(x1: Any, x2: Any) -> Any:
    """Returns the outer product of the flattened ``x1`` and ``x2``.

    Example:

    >>> outer([1, 2], [1, 10]).numpy()
    array([[ 1, 10],
           [ 2, 20]], dtype=int32)
    """
    x1, x2 = _pair(x1, x2)
    column = shape_ops.expand_dims(manipulation.ravel(x1), 1)
    return ew.multiply(column, shape_ops.expand_dims(manipulation.ravel(x2), 0))


@recorded
def vdot(x1: Any, x2: Any) -> Any:
    """Returns the dot product of the flattened ``x1`` and ``x2``."""
    x1, x2 = _pair(x1, x2)
    return reduce_ops.sum(ew.multiply(manipulation.ravel(x1), manipulation.ravel(x2)))


@recorded
def kron(x1: Any, x2: Any) -> Any:
    """Returns the Kronecker product: blocks ``x1[i] * x2``.

    Example:

    >>> kron([1, 10], [1, 2]).numpy()
    array([ 1,  2, 10, 20], dtype=int32)
    """
    x1, x2 = _pair(x1, x2)
    rank = max(x1.ndim, x2.ndim)
    while x1.ndim < rank:
        x1 = shape_ops.expand_dims(x1, 0)
    while x2.ndim < rank:
        x2 = shape_ops.expand_dims(x2, 0)
    for axis in range(rank):
        manipulation._static("kron", x1, axis)
        manipulation._static("kron", x2, axis)
    spread1 = shape_ops.reshape(x1, [d for size in x1.shape for d in (int(size), 1)])
    spread2 = shape_ops.reshape(x2, [d for size in x2.shape for d in (1, int(size))])
    product = ew.multiply(spread1, spread2)
    return shape_ops.reshape(
        product, [int(a) * int(b) for a, b in zip(x1.shape, x2.shape, strict=True)]
    )


@recorded
def cross(
    x1: Any,
    x2: Any,
    axisa: int = -1,
    axisb: int = -1,
    axisc: int = -1,
    axis: int | None = None,
) -> Any:
    """Returns the cross product of vectors of 3 (or 2) components along
    ``axisa`` of ``x1`` and ``axisb`` of ``x2``, placed along ``axisc``
    (``axis`` sets all three), as ``keras.ops.cross``. Two 2-component
    vectors give the scalar z component.

    Example:

    >>> cross([1, 0, 0], [0, 1, 0]).numpy()
    array([0, 0, 1], dtype=int32)
    """
    if axis is not None:
        axisa = axisb = axisc = axis
    x1, x2 = _pair(x1, x2)
    x1 = manipulation.moveaxis(x1, axisa, -1)
    x2 = manipulation.moveaxis(x2, axisb, -1)
    n1 = manipulation._static("cross", x1, x1.ndim - 1)
    n2 = manipulation._static("cross", x2, x2.ndim - 1)
    if n1 not in (2, 3) or n2 not in (2, 3):
        raise ValueError(
            f"cross: the vectors must have 2 or 3 components. Received: {n1} and {n2}"
        )
    a = manipulation.unstack(x1, axis=-1)
    b = manipulation.unstack(x2, axis=-1)
    if n1 == 2 and n2 == 2:
        return ew.subtract(ew.multiply(a[0], b[1]), ew.multiply(a[1], b[0]))
    zero = np.zeros((), x1.dtype)
    if n1 == 2:
        a.append(zero)
    if n2 == 2:
        b.append(zero)
    components = [
        ew.subtract(ew.multiply(a[1], b[2]), ew.multiply(a[2], b[1])),
        ew.subtract(ew.multiply(a[2], b[0]), ew.multiply(a[0], b[2])),
        ew.subtract(ew.multiply(a[0], b[1]), ew.multiply(a[1], b[0])),
    ]
    shape = shape_ops.broadcast_shapes_check([tuple(c.shape) for c in components])
    components = [
        c if tuple(c.shape) == tuple(shape) else shape_ops.broadcast_to(c, shape)
        for c in components
    ]
    result = shape_ops.stack(components, axis=-1)
    return manipulation.moveaxis(result, -1, axisc)
