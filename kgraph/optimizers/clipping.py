"""Gradient clipping with Keras 3's semantics, written with ``kgraph.ops``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from kgraph import ops


def clip_by_norm(grad: Any, clipnorm: float) -> Any:
    """Scales ``grad`` so its L2 norm is at most ``clipnorm``.

    Keras 3's ``_clip_by_norm``: ``grad * clipnorm / max(norm, clipnorm)``,
    with the norm over all of ``grad``'s elements; a zero gradient stays 0.

    Args:
        grad: a gradient tensor.
        clipnorm: the largest allowed L2 norm.

    Returns:
        The clipped gradient.
    """
    l2sum = ops.sum(ops.square(grad), axis=None, keepdims=True)
    positive = ops.greater(l2sum, 0.0)
    # NOTE: the two `where`s keep sqrt away from 0 (Keras's NaN-free trick).
    l2norm = ops.where(positive, ops.sqrt(ops.where(positive, l2sum, 1.0)), l2sum)
    return ops.divide(ops.multiply(grad, clipnorm), ops.maximum(l2norm, clipnorm))


def global_norm(tensors: Sequence[Any]) -> Any:
    """Returns the L2 norm of all the tensors together.

    Args:
        tensors: tensors of any shapes.

    Returns:
        A scalar tensor.
    """
    squares = ops.promote(*[ops.sum(ops.square(x)) for x in tensors])
    return ops.sqrt(ops.sum(ops.stack(squares)))


def clip_by_global_norm(tensors: Sequence[Any], clip_norm: float) -> list[Any]:
    """Scales tensors together so their global L2 norm is at most ``clip_norm``.

    As in Keras 3, a non-finite global norm makes every result NaN.

    Args:
        tensors: the tensors (gradients).
        clip_norm: the largest allowed global norm.

    Returns:
        The scaled tensors.
    """
    norm = global_norm(tensors)
    scale = ops.multiply(clip_norm, ops.minimum(ops.divide(1.0, norm), 1.0 / clip_norm))
    # `norm - norm` is 0 for a finite norm and NaN otherwise.
    scale = ops.add(scale, ops.subtract(norm, norm))
    return [ops.multiply(x, scale) for x in tensors]
