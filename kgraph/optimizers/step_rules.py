"""Keras 3's step-level optimizer options, written with ``kgraph.ops``.

Gradient accumulation and the exponential moving average (EMA) of the
weights change when and how an update lands, not the update rule itself.
Both are computed inside the step (symbolically in the compiled training
step, eagerly in ``apply_gradients``), so every backend runs the same
graph. Conditions are data, never Python branches: the step computes both
outcomes and selects one with ``ops.where``, as Keras's JAX optimizer does.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from kgraph import ops


def floor_divide(step: Any, divisor: int) -> Any:
    """``step // divisor`` for a non-negative int64 step counter.

    Computed in float64, which is exact for any step count below 2**52.

    Args:
        step: an integer scalar (tensor, array or number).
        divisor: a positive Python integer.

    Returns:
        An int64 scalar.
    """
    quotient = ops.divide(ops.cast(step, "float64"), float(divisor))
    return ops.cast(ops.floor(quotient), "int64")


def is_last_of(step: Any, period: int) -> Any:
    """Whether ``(step + 1) % period == 0``: the step closes a period.

    Args:
        step: an integer scalar, counted from 0.
        period: a positive Python integer.

    Returns:
        A bool scalar.
    """
    following = ops.add(ops.cast(step, "int64"), 1)
    whole = ops.multiply(floor_divide(following, period), period)
    return ops.equal(following, whole)


def accumulate(
    is_update: Any, grads: Sequence[Any], accumulators: Sequence[Any], steps: int
) -> tuple[list[Any], list[Any]]:
    """Keras 3's gradient accumulation for one step.

    On an update step the gradients used are ``(grad + accumulator) /
    steps`` and the accumulators restart at 0; on the other steps the
    accumulators add the gradient (the update computed from the raw
    gradient is then discarded by the caller).

    Args:
        is_update: bool scalar, whether this step applies the update.
        grads: the gradients.
        accumulators: the ``gradient_accumulator`` slots, one per gradient.
        steps: ``gradient_accumulation_steps``.

    Returns:
        ``(grads_to_use, new_accumulators)``.
    """
    used, kept = [], []
    for grad, accumulator in zip(grads, accumulators, strict=True):
        grad = ops.cast(grad, accumulator.dtype)
        total = ops.add(grad, accumulator)
        used.append(ops.where(is_update, ops.divide(total, float(steps)), grad))
        kept.append(ops.where(is_update, ops.zeros_like(accumulator), total))
    return used, kept


def moving_average(average: Any, value: Any, step: Any, momentum: float) -> Any:
    """Keras 3's EMA of a weight: ``m * average + (1 - m) * value`` with
    ``m = momentum``, except at step 0 where ``m = 0`` (the average starts
    at the weight).

    Args:
        average: the ``average`` slot.
        value: the weight after this step's update.
        step: the optimizer's step counter before this step.
        momentum: ``ema_momentum``.

    Returns:
        The new average.
    """
    started = ops.cast(ops.not_equal(step, 0), average.dtype)
    rate = ops.multiply(started, momentum)
    return ops.add(
        ops.multiply(rate, average), ops.multiply(ops.subtract(1.0, rate), value)
    )
