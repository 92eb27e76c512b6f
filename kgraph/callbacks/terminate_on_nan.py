"""`TerminateOnNaN`: stop training when the loss is NaN or infinite."""

from __future__ import annotations

import math
from typing import Any

from kgraph.callbacks.callback import Callback
from kgraph.callbacks.callback import Logs
from kgraph.utils.progbar import print_msg


def _is_invalid(loss: Any) -> bool:
    """Returns whether `loss` is NaN or infinite."""
    try:
        return not math.isfinite(float(loss))
    except (TypeError, ValueError):
        return False


class TerminateOnNaN(Callback):
    """Terminates training when a NaN or infinite loss is encountered.

    The `"loss"` in the logs of `on_batch_end` (called at each chunk
    boundary in kgraph) and of `on_epoch_end` is checked.

    Args:
        raise_error: If `False`, training stops gracefully through
            `model.stop_training = True` (and `on_train_end` runs). If
            `True`, a `RuntimeError` is raised at once.

    Raises:
        RuntimeError: On a NaN/Inf loss when `raise_error` is `True`.

    Example:

    >>> class Model:
    ...     stop_training = False
    >>> callback = TerminateOnNaN()
    >>> callback.set_model(Model())
    >>> callback.on_train_batch_end(3, {"loss": float("nan")})
    Batch 3: Invalid loss, terminating training
    >>> callback.model.stop_training
    True
    """

    def __init__(self, raise_error: bool = False) -> None:
        super().__init__()
        self.raise_error = raise_error
        self._terminated = False

    def on_train_begin(self, logs: Logs | None = None) -> None:
        self._terminated = False

    def on_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        loss = (logs or {}).get("loss")
        if _is_invalid(loss):
            self._terminate(f"batch {batch}", f"Batch {batch}", loss)

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        loss = (logs or {}).get("loss")
        if _is_invalid(loss) and not self._terminated:
            self._terminate(f"epoch {epoch + 1}", f"Epoch {epoch + 1}", loss)

    def _terminate(self, where: str, label: str, loss: Any) -> None:
        """Raises, or prints Keras's message and stops training."""
        if self.raise_error:
            raise RuntimeError(
                f"NaN or Inf loss encountered at {where}. "
                f"Loss value: {loss}. Terminating training immediately."
            )
        print_msg(f"{label}: Invalid loss, terminating training")
        self.model.stop_training = True
        self._terminated = True
