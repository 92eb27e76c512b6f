"""`LambdaCallback`: a callback made of plain functions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kgraph.callbacks.callback import Callback


class LambdaCallback(Callback):
    """Callback built from functions given for the hooks of interest.

    The functions are called with the hook's arguments: `on_epoch_begin` and
    `on_epoch_end` with `(epoch, logs)`, `on_train_begin` and `on_train_end`
    with `(logs)`, the batch hooks with `(batch, logs=logs)`.

    Args:
        on_epoch_begin: Called at the beginning of every epoch.
        on_epoch_end: Called at the end of every epoch.
        on_train_begin: Called at the beginning of training.
        on_train_end: Called at the end of training.
        on_train_batch_begin: Called at the beginning of every train batch
            (chunk, in kgraph).
        on_train_batch_end: Called at the end of every train batch (chunk).
        **kwargs: Any other hook of `Callback`, as `hook_name=function`.

    Example:

    >>> losses = []
    >>> callback = LambdaCallback(
    ...     on_epoch_end=lambda epoch, logs: losses.append(logs["loss"]))
    >>> callback.on_epoch_end(0, {"loss": 0.5})
    >>> losses
    [0.5]
    """

    def __init__(
        self,
        on_epoch_begin: Callable[..., Any] | None = None,
        on_epoch_end: Callable[..., Any] | None = None,
        on_train_begin: Callable[..., Any] | None = None,
        on_train_end: Callable[..., Any] | None = None,
        on_train_batch_begin: Callable[..., Any] | None = None,
        on_train_batch_end: Callable[..., Any] | None = None,
        **kwargs: Callable[..., Any],
    ) -> None:
        super().__init__()
        self.__dict__.update(kwargs)
        hooks = {
            "on_epoch_begin": on_epoch_begin,
            "on_epoch_end": on_epoch_end,
            "on_train_begin": on_train_begin,
            "on_train_end": on_train_end,
            "on_train_batch_begin": on_train_batch_begin,
            "on_train_batch_end": on_train_batch_end,
        }
        for name, function in hooks.items():
            if function is not None:
                setattr(self, name, function)
