"""Adamax: Adam with the infinity norm in place of the second moment."""

from __future__ import annotations

from typing import Any

from kgraph import ops
from kgraph.optimizers.arguments import check_beta
from kgraph.optimizers.arguments import check_non_negative
from kgraph.optimizers.optimizer import Optimizer


class Adamax(Optimizer):
    """Optimizer that implements the Adamax algorithm.

    Keras 3's update rule, with ``t = step + 1``::

        momentum = momentum + (g - momentum) * (1 - beta_1)
        norm = maximum(beta_2 * norm, abs(g))
        w = w - learning_rate * momentum / ((1 - beta_1**t) * (norm + epsilon))

    Args:
        learning_rate: a float or a ``LearningRateSchedule``. Defaults to
            ``0.001``.
        beta_1: the decay rate of the first moment, in ``[0, 1)``. Defaults
            to ``0.9``.
        beta_2: the decay rate of the weighted infinity norm, in ``[0, 1)``.
            Defaults to ``0.999``.
        epsilon: a small non-negative constant for numerical stability.
            Defaults to ``1e-7``.
        weight_decay, clipnorm, clipvalue, global_clipnorm, use_ema,
            ema_momentum, ema_overwrite_frequency, loss_scale_factor,
            gradient_accumulation_steps: see ``Optimizer``.
        name: the optimizer's name. Defaults to ``"adamax"``.
        **kwargs: see ``Optimizer``.

    Raises:
        ValueError: for an invalid argument, naming it.

    Example:

    >>> import numpy as np
    >>> opt = Adamax(learning_rate=0.1)
    >>> zero = np.float32(0.0)
    >>> new_params, _ = opt.apply(
    ...     0, 0.1, [np.float32(1.0)], [np.float32(0.5)],
    ...     [{"momentum": zero, "norm": zero}],
    ... )
    >>> round(float(new_params[0]), 5)
    0.9
    """

    def __init__(
        self,
        learning_rate: Any = 0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
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
        self.beta_1 = check_beta("beta_1", beta_1)
        self.beta_2 = check_beta("beta_2", beta_2)
        self.epsilon = check_non_negative("epsilon", epsilon)

    def slot_groups(self) -> list[tuple[str, ...]]:
        """``momentum`` and ``norm`` per parameter (Keras's order)."""
        return [("momentum", "norm")]

    def update_step(
        self, step: Any, lr: Any, param: Any, grad: Any, slots: dict[str, Any]
    ) -> tuple[Any, dict[str, Any]]:
        """Applies Adamax's rule to one parameter (see the class docstring)."""
        dtype = param.dtype
        local_step = ops.cast(ops.add(step, 1), dtype)
        beta_1_power = ops.power(ops.cast(self.beta_1, dtype), local_step)
        momentum = ops.add(
            slots["momentum"],
            ops.multiply(ops.subtract(grad, slots["momentum"]), 1 - self.beta_1),
        )
        norm = ops.maximum(ops.multiply(self.beta_2, slots["norm"]), ops.abs(grad))
        denominator = ops.multiply(
            ops.subtract(1.0, beta_1_power), ops.add(norm, self.epsilon)
        )
        change = ops.divide(ops.multiply(lr, momentum), denominator)
        return ops.subtract(param, change), {"momentum": momentum, "norm": norm}

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments, with Keras 3's keys."""
        config = super().get_config()
        config.update(
            {"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}
        )
        return config
