"""`SwapEMAWeights`: evaluate (and checkpoint) with the optimizer's moving
averages of the weights."""

from __future__ import annotations

from typing import Any

from kgraph.callbacks.callback import Callback
from kgraph.callbacks.callback import Logs


class SwapEMAWeights(Callback):
    """Swaps the model's weights with the optimizer's exponential moving
    averages (``use_ema=True``) around evaluation and prediction.

    Before `evaluate` (also the validation inside `fit`) and `predict`, each
    trainable weight and its ``average`` slot trade values; afterwards they
    trade back. With ``swap_on_epoch=True`` the averages are also in the
    model between epochs (from ``on_epoch_end`` to the next
    ``on_epoch_begin``), so callbacks placed after this one
    (`ModelCheckpoint`) see them; after the last epoch the averages stay and
    the slots take their values, as Keras does. (Keras 3.15 leaves the
    averages in the model after `predict`; kgraph swaps back.)

    Args:
        swap_on_epoch: Whether to swap at the epochs' boundaries too.

    Raises:
        ValueError: when the model's optimizer does not keep moving
            averages.

    Example:

    >>> SwapEMAWeights(swap_on_epoch=True).swap_on_epoch
    True
    """

    def __init__(self, swap_on_epoch: bool = False) -> None:
        super().__init__()
        self.swap_on_epoch = swap_on_epoch
        self._ema_in_model = False

    def _pairs(self) -> list[tuple[Any, Any]]:
        optimizer = self.model.optimizer
        optimizer = getattr(optimizer, "inner_optimizer", optimizer)
        if not getattr(optimizer, "use_ema", False):
            raise ValueError(
                "SwapEMAWeights must be used with an optimizer that keeps moving "
                "averages: set `use_ema=True`. Received: "
                f"optimizer={type(optimizer).__name__} with use_ema=False"
            )
        return [
            (variable, optimizer.slots(variable)["average"])
            for variable in self.model.trainable_variables
            if optimizer.has_slots(variable)
        ]

    def _swap(self) -> None:
        for variable, average in self._pairs():
            current = variable.numpy().copy()
            variable.assign(average.numpy())
            average.assign(current)
        self._ema_in_model = not self._ema_in_model

    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None:
        if self.swap_on_epoch and self._ema_in_model:
            self._swap()

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        if self.swap_on_epoch and not self._ema_in_model:
            self._swap()
            if epoch == self.params.get("epochs", 0) - 1:
                for variable, average in self._pairs():
                    average.assign(variable.numpy())

    def on_test_begin(self, logs: Logs | None = None) -> None:
        if not self._ema_in_model:
            self._swap()

    def on_test_end(self, logs: Logs | None = None) -> None:
        if self._ema_in_model:
            self._swap()

    def on_predict_begin(self, logs: Logs | None = None) -> None:
        if not self._ema_in_model:
            self._swap()
            self._swapped_for_predict = True

    def on_predict_end(self, logs: Logs | None = None) -> None:
        if getattr(self, "_swapped_for_predict", False):
            self._swap()
            self._swapped_for_predict = False
