"""Adagrad: per-parameter learning rates from accumulated squared gradients."""

from __future__ import annotations

from typing import Any

from kgraph import ops
from kgraph.optimizers.arguments import check_float
from kgraph.optimizers.optimizer import Optimizer


class Adagrad(Optimizer):
    """Optimizer that implements the Adagrad algorithm.

    Keras 3's update rule::

        accumulator = accumulator + g**2
        w = w - learning_rate * g / sqrt(accumulator + epsilon)

    Args:
        learning_rate: a float or a ``LearningRateSchedule``. Defaults to
            ``0.001``.
        initial_accumulator_value: the non-negative starting value of the
            accumulators. Defaults to ``0.1``.
        epsilon: a small non-negative constant for numerical stability.
            Defaults to ``1e-7``.
        weight_decay: see ``Optimizer``.
        clipnorm: see ``Optimizer``.
        clipvalue: see ``Optimizer``.
        global_clipnorm: see ``Optimizer``.
        name: the optimizer's name. Defaults to ``"adagrad"``.
        use_ema, ema_momentum, ema_overwrite_frequency, loss_scale_factor,
            gradient_accumulation_steps: see ``Optimizer``.
        **kwargs: see ``Optimizer``.

    Raises:
        ValueError: for an invalid argument, naming it.

    Example:

    >>> import numpy as np
    >>> opt = Adagrad(learning_rate=0.1)
    >>> new_params, new_slots = opt.apply(
    ...     0, 0.1, [np.float32(1.0)], [np.float32(0.5)],
    ...     [{"accumulator": np.float32(0.1)}],
    ... )
    >>> round(float(new_slots[0]["accumulator"]), 6)
    0.35
    """

    def __init__(
        self,
        learning_rate: Any = 0.001,
        initial_accumulator_value: float = 0.1,
        epsilon: float = 1e-7,
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
        self.initial_accumulator_value = check_float(
            "initial_accumulator_value",
            initial_accumulator_value,
            minimum=0.0,
            allow_none=False,
        )
        self.epsilon = check_float("epsilon", epsilon, minimum=0.0, allow_none=False)

    def slot_groups(self) -> list[tuple[str, ...]]:
        """One ``"accumulator"`` slot per parameter."""
        return [("accumulator",)]

    def slot_initial_value(self, slot_name: str) -> float:
        """Accumulators start at ``initial_accumulator_value``."""
        return self.initial_accumulator_value

    def update_step(
        self, step: Any, lr: Any, param: Any, grad: Any, slots: dict[str, Any]
    ) -> tuple[Any, dict[str, Any]]:
        """Applies Adagrad's rule to one parameter (see the class docstring)."""
        accumulator = ops.add(slots["accumulator"], ops.square(grad))
        denominator = ops.sqrt(ops.add(accumulator, self.epsilon))
        change = ops.divide(ops.multiply(lr, grad), denominator)
        return ops.subtract(param, change), {"accumulator": accumulator}

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments, with Keras 3's keys."""
        config = super().get_config()
        config.update(
            {
                "initial_accumulator_value": self.initial_accumulator_value,
                "epsilon": self.epsilon,
            }
        )
        return config
