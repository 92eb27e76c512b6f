"""Stochastic gradient descent, with optional (Nesterov) momentum."""

from __future__ import annotations

from typing import Any

from kgraph import ops
from kgraph.optimizers.arguments import check_bool
from kgraph.optimizers.arguments import check_float
from kgraph.optimizers.optimizer import Optimizer


class SGD(Optimizer):
    """Gradient descent (with momentum) optimizer.

    Keras 3's update rule. Without momentum, ``w = w - learning_rate * g``.
    With momentum (the learning rate sits inside the velocity)::

        velocity = momentum * velocity - learning_rate * g
        w = w + velocity

    and with ``nesterov=True`` the last line becomes
    ``w = w + momentum * velocity - learning_rate * g``.

    Args:
        learning_rate: a float or a ``LearningRateSchedule``. Defaults to
            ``0.01``.
        momentum: a float in ``[0, 1]``; 0 is plain gradient descent and
            creates no slot. Defaults to ``0.0``.
        nesterov: whether to use Nesterov momentum. Defaults to ``False``.
        weight_decay: see ``Optimizer``.
        clipnorm: see ``Optimizer``.
        clipvalue: see ``Optimizer``.
        global_clipnorm: see ``Optimizer``.
        name: the optimizer's name. Defaults to ``"sgd"``.
        use_ema, ema_momentum, ema_overwrite_frequency, loss_scale_factor,
            gradient_accumulation_steps: see ``Optimizer``.
        **kwargs: see ``Optimizer``.

    Raises:
        ValueError: for an invalid argument, naming it.

    Example:

    >>> import numpy as np
    >>> opt = SGD(learning_rate=0.1, momentum=0.9)
    >>> new_params, new_slots = opt.apply(
    ...     0, 0.1, [np.float32(1.0)], [np.float32(0.5)],
    ...     [{"momentum": np.float32(0.0)}],
    ... )
    >>> float(new_params[0]), float(new_slots[0]["momentum"])
    (0.949999988079071, -0.05000000074505806)
    """

    def __init__(
        self,
        learning_rate: Any = 0.01,
        momentum: float = 0.0,
        nesterov: bool = False,
        weight_decay: float | None = None,
        clipnorm: float | None = None,
        clipvalue: float | None = None,
        global_clipnorm: float | None = None,
        use_ema: bool = False,
        ema_momentum: float = 0.99,
        ema_overwrite_frequency: int | None = None,
        loss_scale_factor: float | None = None,
        gradient_accumulation_steps: int | None = None,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            learning_rate=learning_rate,
            weight_decay=weight_decay,
            clipnorm=clipnorm,
            clipvalue=clipvalue,
            global_clipnorm=global_clipnorm,
            use_ema=use_ema,
            ema_momentum=ema_momentum,
            ema_overwrite_frequency=ema_overwrite_frequency,
            loss_scale_factor=loss_scale_factor,
            gradient_accumulation_steps=gradient_accumulation_steps,
            name=name,
            **kwargs,
        )
        self.momentum = check_float(
            "momentum", momentum, minimum=0.0, maximum=1.0, allow_none=False
        )
        self.nesterov = check_bool("nesterov", nesterov)

    def slot_groups(self) -> list[tuple[str, ...]]:
        """One ``"momentum"`` slot per parameter, when momentum is not 0."""
        return [("momentum",)] if self.momentum != 0 else []

    def update_step(
        self, step: Any, lr: Any, param: Any, grad: Any, slots: dict[str, Any]
    ) -> tuple[Any, dict[str, Any]]:
        """Applies SGD's rule to one parameter (see the class docstring)."""
        scaled_grad = ops.multiply(grad, lr)
        if self.momentum == 0:
            return ops.subtract(param, scaled_grad), {}
        momentum = ops.subtract(
            ops.multiply(slots["momentum"], self.momentum), scaled_grad
        )
        if self.nesterov:
            change = ops.subtract(ops.multiply(momentum, self.momentum), scaled_grad)
        else:
            change = momentum
        return ops.add(param, change), {"momentum": momentum}

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments, with Keras 3's keys."""
        config = super().get_config()
        config.update({"momentum": self.momentum, "nesterov": self.nesterov})
        return config
