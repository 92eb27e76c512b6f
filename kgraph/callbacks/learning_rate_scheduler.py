"""`LearningRateScheduler`: set the learning rate at each epoch's start."""

from __future__ import annotations

from collections.abc import Callable
from numbers import Real
from typing import Any

import numpy as np

from kgraph.callbacks.callback import Callback
from kgraph.callbacks.callback import Logs
from kgraph.callbacks.monitor_callback import to_float
from kgraph.utils.progbar import print_msg


def _as_learning_rate(value: Any) -> float:
    """Checks that a schedule returned a real scalar; returns it as float."""
    if hasattr(value, "numpy"):
        value = value.numpy()
    if isinstance(value, (bool, np.bool_)) or not (
        isinstance(value, (Real, np.floating, np.integer))
        or (isinstance(value, np.ndarray) and value.ndim == 0)
    ):
        raise ValueError(
            f"The output of the `schedule` function should be a float. Got: {value}"
        )
    return float(value)


def get_learning_rate(optimizer: Any) -> float:
    """Returns `optimizer.learning_rate` as a float.

    A learning-rate schedule is evaluated at `optimizer.iterations`, giving
    the current value, as Keras's `optimizer.learning_rate` does.

    Args:
        optimizer: An optimizer with a `learning_rate` attribute.

    Returns:
        The current learning rate.

    Raises:
        ValueError: If the optimizer has no `learning_rate` attribute.

    Example:

    >>> class SGD:
    ...     learning_rate = 0.01
    >>> get_learning_rate(SGD())
    0.01
    """
    if not hasattr(optimizer, "learning_rate"):
        raise ValueError('Optimizer must have a "learning_rate" attribute.')
    learning_rate = optimizer.learning_rate
    if callable(learning_rate):  # A schedule: its value at the current step.
        step = getattr(optimizer, "iterations", 0)
        learning_rate = learning_rate(int(to_float(step)))
    return to_float(learning_rate)


class LearningRateScheduler(Callback):
    """Sets the learning rate from a schedule at the start of every epoch.

    Args:
        schedule: A function `schedule(epoch, lr) -> new_lr` taking the epoch
            index (0-based) and the current learning rate (float). A function
            of the epoch alone is accepted too, as in Keras.
        verbose: 0 is quiet, 1 prints a message at each update.

    Raises:
        ValueError: (at an epoch's start) if the schedule returns something
            other than a real number, or the optimizer has no
            `learning_rate`.

    The learning rate at the end of each epoch is added to the logs as
    `"learning_rate"`, so it appears in `History`.

    Example:

    ```python
    def scheduler(epoch, lr):
        return lr if epoch < 10 else lr * math.exp(-0.1)

    callback = kg.callbacks.LearningRateScheduler(scheduler)
    model.fit(x, y, epochs=15, callbacks=[callback], verbose=0)
    ```
    """

    def __init__(self, schedule: Callable[..., Any], verbose: int = 0) -> None:
        super().__init__()
        self.schedule = schedule
        self.verbose = verbose

    def _next_learning_rate(self, epoch: int, optimizer: Any) -> float:
        """Calls the schedule, with the old one-argument API as fallback."""
        learning_rate = get_learning_rate(optimizer)
        try:
            new = self.schedule(epoch, learning_rate)
        except TypeError:  # The old API: schedule(epoch).
            new = self.schedule(epoch)
        return _as_learning_rate(new)

    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None:
        optimizer = self.model.optimizer
        learning_rate = self._next_learning_rate(epoch, optimizer)
        optimizer.learning_rate = learning_rate
        if self.verbose > 0:
            print_msg(
                f"\nEpoch {epoch + 1}: LearningRateScheduler setting "
                f"learning rate to {learning_rate}."
            )

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        if logs is not None:
            logs["learning_rate"] = get_learning_rate(self.model.optimizer)
