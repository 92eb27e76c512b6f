"""`MonitorCallback`: the shared "is this an improvement?" logic."""

from __future__ import annotations

import operator
import warnings
from typing import Any

import numpy as np

from kgraph.callbacks.callback import Callback

# Substrings of metric names that are maximized in mode "auto".
_MAXIMIZED = ("acc", "auc", "precision", "recall")


def to_float(value: Any) -> float:
    """Converts a number, NumPy scalar, tensor or variable to a float.

    Args:
        value: A scalar value.

    Returns:
        The value as a Python float.

    Example:

    >>> import numpy as np
    >>> to_float(np.float32(0.5))
    0.5
    """
    if hasattr(value, "numpy"):
        value = value.numpy()
    return float(np.asarray(value))


def infer_mode(monitor: str) -> str:
    """Returns `"max"` or `"min"` for a monitored quantity in mode "auto".

    A name holding "acc" (so "accuracy"), "auc", "precision" or "recall",
    with or without the `val_` prefix, is maximized; anything else
    (losses, errors) is minimized.

    Args:
        monitor: Name of the monitored quantity, e.g. `"val_accuracy"`.

    Returns:
        `"max"` or `"min"`.

    Example:

    >>> infer_mode("val_accuracy"), infer_mode("val_loss")
    ('max', 'min')
    """
    name = monitor.removeprefix("val_")
    return "max" if any(key in name for key in _MAXIMIZED) else "min"


class MonitorCallback(Callback):
    """Base class of callbacks that watch a metric for improvement.

    Args:
        monitor: Quantity to be monitored.
        mode: One of `"auto"`, `"min"`, `"max"`; `"auto"` infers the
            direction from the name (see `infer_mode`).
        baseline: Initial "best" value; `None` means the first value seen.
        min_delta: Minimum change that counts as an improvement.

    Example:

    >>> callback = MonitorCallback("val_loss", min_delta=0.1)
    >>> callback._is_improvement(0.85, 1.0), callback._is_improvement(0.95, 1.0)
    (True, False)
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        mode: str = "auto",
        baseline: float | None = None,
        min_delta: float = 0,
    ) -> None:
        super().__init__()
        if mode not in ("auto", "min", "max"):
            warnings.warn(
                f"{type(self).__name__} mode '{mode}' is unknown, fallback "
                "to auto mode.",
                stacklevel=2,
            )
            mode = "auto"
        self.monitor = monitor
        self.mode = mode
        self.best = baseline
        self.min_delta = abs(min_delta)
        direction = infer_mode(monitor) if mode == "auto" else mode
        self.monitor_op = operator.gt if direction == "max" else operator.lt
        if self.monitor_op is operator.lt:
            self.min_delta *= -1

    def _is_improvement(self, monitor_value: Any, reference_value: Any) -> bool:
        """Returns whether `monitor_value` improves on `reference_value`."""
        if reference_value is None:
            return True
        return bool(self.monitor_op(monitor_value - self.min_delta, reference_value))
