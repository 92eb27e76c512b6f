"""`ProgbarLogger`: the progress bar of `fit`, `evaluate` and `predict`."""

from __future__ import annotations

from typing import Any

from kgraph.callbacks.callback import Callback
from kgraph.callbacks.callback import Logs
from kgraph.utils.progbar import Progbar
from kgraph.utils.progbar import print_msg


class ProgbarLogger(Callback):
    """Callback that prints the progress bar and metrics to stdout.

    It reads `verbose` (0 nothing, 1 a bar, 2 one line per epoch; `"auto"`
    means 1), `epochs` and `steps` (batches per epoch, or `None` if unknown)
    from the params. Inside `fit` the validation pass is silent, as in Keras.

    Example:

    >>> logger = ProgbarLogger()
    >>> logger.set_params({"verbose": 2, "epochs": 2, "steps": 4})
    >>> logger.on_train_begin()
    >>> logger.on_epoch_begin(0)
    Epoch 1/2
    >>> logger.on_epoch_end(0, {"loss": 0.25})  # doctest: +ELLIPSIS
    4/4 - 0s - ...s/step - loss: 0.2500
    """

    def __init__(self) -> None:
        super().__init__()
        self.seen = 0
        self.progbar: Progbar | None = None
        self.target: int | None = None
        self.verbose: int = 1
        self.epochs = 1
        self._called_in_fit = False

    def set_params(self, params: dict[str, Any]) -> None:
        verbose = params.get("verbose", 1)
        self.verbose = 1 if verbose == "auto" else verbose
        self.epochs = params.get("epochs", 1)
        self.target = params.get("steps")
        super().set_params(params)

    def on_train_begin(self, logs: Logs | None = None) -> None:
        self._called_in_fit = True

    def on_train_end(self, logs: Logs | None = None) -> None:
        self._called_in_fit = False

    def on_test_begin(self, logs: Logs | None = None) -> None:
        if not self._called_in_fit:
            self._reset_progbar()
            self._maybe_init_progbar()

    def on_predict_begin(self, logs: Logs | None = None) -> None:
        self._reset_progbar()
        self._maybe_init_progbar()

    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None:
        self._reset_progbar()
        self._maybe_init_progbar()
        if self.verbose and self.epochs > 1:
            print_msg(f"Epoch {epoch + 1}/{self.epochs}")

    def on_train_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        self._update_progbar(batch, logs)

    def on_test_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        if not self._called_in_fit:
            self._update_progbar(batch, logs)

    def on_predict_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        self._update_progbar(batch, None)  # Predictions are not shown.

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        self._finalize_progbar(logs)

    def on_test_end(self, logs: Logs | None = None) -> None:
        if not self._called_in_fit:
            self._finalize_progbar(logs)

    def on_predict_end(self, logs: Logs | None = None) -> None:
        self._finalize_progbar(logs)

    def _reset_progbar(self) -> None:
        """Forgets the bar of the previous epoch."""
        self.seen = 0
        self.progbar = None

    def _maybe_init_progbar(self) -> Progbar:
        """Creates the bar if there is none; metrics are shown as given."""
        if self.progbar is None:
            self.progbar = Progbar(
                target=self.target,
                verbose=self.verbose,
                stateless_metrics=set(),
                unit_name="step",
            )
        return self.progbar

    def _update_progbar(self, batch: int, logs: Logs | None) -> None:
        """Shows the bar after batch `batch` (0-based) is done."""
        progbar = self._maybe_init_progbar()
        self.seen = batch + 1
        if self.verbose == 1:
            progbar.update(self.seen, list((logs or {}).items()), finalize=False)

    def _finalize_progbar(self, logs: Logs | None) -> None:
        """Draws the final bar (verbose 1) or line (verbose 2)."""
        progbar = self._maybe_init_progbar()
        if self.target is None:
            self.target = self.seen
            progbar.target = self.target
        progbar.update(self.target, list((logs or {}).items()), finalize=True)
