"""`CallbackList`: calls every hook on a list of callbacks, in order."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from kgraph.callbacks.callback import Callback
from kgraph.callbacks.callback import Logs
from kgraph.callbacks.history import History
from kgraph.callbacks.progbar_logger import ProgbarLogger


def _flatten(callbacks: Any) -> list[Callback]:
    """Flattens nested lists and tuples of callbacks."""
    if callbacks is None:
        return []
    if isinstance(callbacks, (list, tuple)):
        return [cb for item in callbacks for cb in _flatten(item)]
    return [callbacks]


def _to_python(value: Any) -> Any:
    """Converts a scalar (NumPy, tensor) to a float; leaves others as is."""
    if hasattr(value, "numpy"):
        value = value.numpy()
    if np.ndim(value) != 0:
        return value
    try:
        return float(value)
    except (TypeError, ValueError):
        return value


def pythonify_logs(logs: Logs | None) -> Logs:
    """Sorts logs by key, flattens nested dicts and makes scalars floats.

    Args:
        logs: A dict of log values, or `None`.

    Returns:
        A new dict, keys sorted as Keras sorts them.

    Example:

    >>> import numpy as np
    >>> pythonify_logs({"loss": np.float32(0.5), "accuracy": 1})
    {'accuracy': 1.0, 'loss': 0.5}
    """
    result: Logs = {}
    for key, value in sorted((logs or {}).items()):
        if isinstance(value, dict):
            result.update(pythonify_logs(value))
        else:
            result[key] = _to_python(value)
    return result


class CallbackList(Callback):
    """Container calling each hook on every callback, in order.

    Args:
        callbacks: List of `Callback` instances (nested lists are flattened).
        add_history: Whether to append a `History` callback if none is in
            `callbacks`.
        add_progbar: Whether to append a `ProgbarLogger` callback if none is
            in `callbacks`.
        model: The `Model` these callbacks are used with.
        **params: Passed to each callback's `set_params` (`verbose`,
            `epochs`, `steps`).

    Example:

    >>> from kgraph.callbacks import History
    >>> class Model:
    ...     stop_training = False
    >>> model = Model()
    >>> callbacks = CallbackList([], add_history=True, model=model,
    ...                          verbose=0, epochs=2, steps=4)
    >>> callbacks.on_train_begin()
    >>> for epoch in range(2):
    ...     callbacks.on_epoch_begin(epoch)
    ...     callbacks.on_epoch_end(epoch, {"loss": 1.0 / (epoch + 1)})
    >>> callbacks.on_train_end()
    >>> model.history.history
    {'loss': [1.0, 0.5]}
    """

    def __init__(
        self,
        callbacks: Iterable[Callback] | Callback | None = None,
        add_history: bool = False,
        add_progbar: bool = False,
        model: Any = None,
        **params: Any,
    ) -> None:
        super().__init__()
        self.callbacks = _flatten(callbacks)
        self._add_default_callbacks(add_history, add_progbar)
        self.set_model(model)
        self.set_params(params)

    def _add_default_callbacks(self, add_history: bool, add_progbar: bool) -> None:
        """Appends the `History` and `ProgbarLogger` callbacks if asked."""
        self._history = next(
            (cb for cb in self.callbacks if isinstance(cb, History)), None
        )
        self._progbar = next(
            (cb for cb in self.callbacks if isinstance(cb, ProgbarLogger)), None
        )
        if self._history is None and add_history:
            self._history = History()
            self.callbacks.append(self._history)
        if self._progbar is None and add_progbar:
            self._progbar = ProgbarLogger()
            self.callbacks.append(self._progbar)

    def append(self, callback: Callback) -> None:
        """Adds a callback at the end, with this list's model and params.

        Args:
            callback: The `Callback` to add.
        """
        if self.model is not None:
            callback.set_model(self.model)
        if self.params:
            callback.set_params(self.params)
        self.callbacks.append(callback)

    def set_params(self, params: dict[str, Any]) -> None:
        """Sets the params of this list and, if not empty, of each callback."""
        self.params = params
        if params:
            for callback in self.callbacks:
                callback.set_params(params)

    def set_model(self, model: Any) -> None:
        """Sets the model of each callback, and `model.history`.

        Args:
            model: The `Model`; `None` leaves everything unchanged.
        """
        if model is None:
            return
        super().set_model(model)
        if self._history is not None:
            model.history = self._history
        for callback in self.callbacks:
            callback.set_model(model)

    def on_batch_begin(self, batch: int, logs: Logs | None = None) -> None:
        logs = pythonify_logs(logs)
        for callback in self.callbacks:
            callback.on_batch_begin(batch, logs=logs)

    def on_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        logs = pythonify_logs(logs)
        for callback in self.callbacks:
            callback.on_batch_end(batch, logs=logs)

    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None:
        logs = pythonify_logs(logs)
        for callback in self.callbacks:
            callback.on_epoch_begin(epoch, logs)

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        logs = pythonify_logs(logs)
        for callback in self.callbacks:
            callback.on_epoch_end(epoch, logs)

    def on_train_batch_begin(self, batch: int, logs: Logs | None = None) -> None:
        logs = pythonify_logs(logs)
        for callback in self.callbacks:
            callback.on_train_batch_begin(batch, logs=logs)

    def on_train_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        logs = pythonify_logs(logs)
        for callback in self.callbacks:
            callback.on_train_batch_end(batch, logs=logs)

    def on_test_batch_begin(self, batch: int, logs: Logs | None = None) -> None:
        logs = pythonify_logs(logs)
        for callback in self.callbacks:
            callback.on_test_batch_begin(batch, logs=logs)

    def on_test_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        logs = pythonify_logs(logs)
        for callback in self.callbacks:
            callback.on_test_batch_end(batch, logs=logs)

    def on_predict_batch_begin(self, batch: int, logs: Logs | None = None) -> None:
        logs = pythonify_logs(logs)
        for callback in self.callbacks:
            callback.on_predict_batch_begin(batch, logs=logs)

    def on_predict_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        logs = pythonify_logs(logs)
        for callback in self.callbacks:
            callback.on_predict_batch_end(batch, logs=logs)

    def on_train_begin(self, logs: Logs | None = None) -> None:
        logs = pythonify_logs(logs)
        for callback in self.callbacks:
            callback.on_train_begin(logs)

    def on_train_end(self, logs: Logs | None = None) -> None:
        logs = pythonify_logs(logs)
        for callback in self.callbacks:
            callback.on_train_end(logs)

    def on_test_begin(self, logs: Logs | None = None) -> None:
        logs = pythonify_logs(logs)
        for callback in self.callbacks:
            callback.on_test_begin(logs)

    def on_test_end(self, logs: Logs | None = None) -> None:
        logs = pythonify_logs(logs)
        for callback in self.callbacks:
            callback.on_test_end(logs)

    def on_predict_begin(self, logs: Logs | None = None) -> None:
        logs = pythonify_logs(logs)
        for callback in self.callbacks:
            callback.on_predict_begin(logs)

    def on_predict_end(self, logs: Logs | None = None) -> None:
        logs = pythonify_logs(logs)
        for callback in self.callbacks:
            callback.on_predict_end(logs)
