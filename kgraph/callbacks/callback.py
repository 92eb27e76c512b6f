"""The `Callback` base class, with Keras 3's hook names."""

from __future__ import annotations

from typing import Any

Logs = dict[str, Any]


class Callback:
    """Base class used to build new callbacks.

    Callbacks are passed to `fit()`, `evaluate()` and `predict()` to hook into
    training, evaluation and inference. Subclass `Callback` and override the
    hook of interest.

    kgraph runs the batch loop in native code and returns to Python between
    epochs, or between chunks of batches: the `*_batch_begin`/`*_batch_end`
    hooks are called at chunk boundaries only, with the index of the last
    batch of the chunk and the logs aggregated up to it. The epoch, train,
    test and predict hooks are called as in Keras.

    Attributes:
        params: Dict of training parameters (`verbose`, `epochs`, `steps`).
        model: The `Model` being trained (set by `set_model`).

    Example:

    >>> class Recorder(Callback):
    ...     def on_epoch_end(self, epoch, logs=None):
    ...         print(epoch, logs)
    >>> Recorder().on_epoch_end(0, {"loss": 0.5})
    0 {'loss': 0.5}
    """

    def __init__(self) -> None:
        self.params: dict[str, Any] = {}
        self._model: Any = None

    def set_params(self, params: dict[str, Any]) -> None:
        """Sets the training parameters.

        Args:
            params: Dict with `verbose`, `epochs` and `steps`.
        """
        self.params = params

    def set_model(self, model: Any) -> None:
        """Sets the model the callback works with.

        Args:
            model: The `Model` instance.
        """
        self._model = model

    @property
    def model(self) -> Any:
        """The model this callback is attached to."""
        return self._model

    def on_batch_begin(self, batch: int, logs: Logs | None = None) -> None:
        """A backwards compatibility alias for `on_train_batch_begin`."""

    def on_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        """A backwards compatibility alias for `on_train_batch_end`."""

    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None:
        """Called at the start of an epoch (in `fit` only).

        Args:
            epoch: Index of the epoch (0-based).
            logs: Currently empty.
        """

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        """Called at the end of an epoch (in `fit` only).

        Args:
            epoch: Index of the epoch (0-based).
            logs: Metric results of the epoch, e.g. `{"loss": 0.2,
                "accuracy": 0.7}`, with `val_`-prefixed validation results.
        """

    def on_train_batch_begin(self, batch: int, logs: Logs | None = None) -> None:
        """Called at the beginning of a training batch (or chunk) in `fit`.

        Args:
            batch: Index of the batch within the epoch.
            logs: Currently empty.
        """
        self.on_batch_begin(batch, logs=logs)

    def on_train_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        """Called at the end of a training batch (or chunk) in `fit`.

        Args:
            batch: Index of the last batch done within the epoch.
            logs: Metric results aggregated up to this batch.
        """
        self.on_batch_end(batch, logs=logs)

    def on_test_batch_begin(self, batch: int, logs: Logs | None = None) -> None:
        """Called at the beginning of a batch (or chunk) in `evaluate`.

        Args:
            batch: Index of the batch.
            logs: Currently empty.
        """

    def on_test_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        """Called at the end of a batch (or chunk) in `evaluate`.

        Args:
            batch: Index of the last batch done.
            logs: Metric results aggregated up to this batch.
        """

    def on_predict_batch_begin(self, batch: int, logs: Logs | None = None) -> None:
        """Called at the beginning of a batch (or chunk) in `predict`.

        Args:
            batch: Index of the batch.
            logs: Currently empty.
        """

    def on_predict_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        """Called at the end of a batch (or chunk) in `predict`.

        Args:
            batch: Index of the last batch done.
            logs: Dict; may hold the outputs of the batch.
        """

    def on_train_begin(self, logs: Logs | None = None) -> None:
        """Called at the beginning of training.

        Args:
            logs: Currently empty.
        """

    def on_train_end(self, logs: Logs | None = None) -> None:
        """Called at the end of training.

        Args:
            logs: The logs of the last `on_epoch_end` call.
        """

    def on_test_begin(self, logs: Logs | None = None) -> None:
        """Called at the beginning of evaluation or validation.

        Args:
            logs: Currently empty.
        """

    def on_test_end(self, logs: Logs | None = None) -> None:
        """Called at the end of evaluation or validation.

        Args:
            logs: The metric results of the evaluation.
        """

    def on_predict_begin(self, logs: Logs | None = None) -> None:
        """Called at the beginning of prediction.

        Args:
            logs: Currently empty.
        """

    def on_predict_end(self, logs: Logs | None = None) -> None:
        """Called at the end of prediction.

        Args:
            logs: Currently empty.
        """
