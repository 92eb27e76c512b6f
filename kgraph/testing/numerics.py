"""Finite-difference gradient checks for ops and graphs."""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Sequence

import numpy as np


def numeric_gradient(
    fn: Callable[[Sequence[np.ndarray]], float],
    arrays: Sequence[np.ndarray],
    index: int,
    step: float = 1e-6,
) -> np.ndarray:
    """Central finite differences of a scalar function of several arrays.

    Args:
        fn: maps the list of arrays to a float.
        arrays: the point; ``arrays[index]`` must be float64.
        index: which array to differentiate with respect to.
        step: the difference step.

    Returns:
        d fn / d arrays[index], with that array's shape.
    """
    point = [np.array(a, copy=True) for a in arrays]
    target = point[index]
    grad = np.zeros_like(target, dtype=np.float64)
    flat = target.reshape(-1)
    for i in range(flat.size):
        original = flat[i]
        flat[i] = original + step
        upper = fn(point)
        flat[i] = original - step
        lower = fn(point)
        flat[i] = original
        grad.reshape(-1)[i] = (upper - lower) / (2 * step)
    return grad
