"""Lion: sign updates from an interpolated momentum (Chen et al., 2023)."""

from __future__ import annotations

from typing import Any

from kgraph import ops
from kgraph.optimizers.arguments import check_beta
from kgraph.optimizers.optimizer import Optimizer


class Lion(Optimizer):
    """Optimizer that implements the Lion algorithm.

    Keras 3's update rule::

        w = w - learning_rate * sign(beta_1 * momentum + (1 - beta_1) * g)
        momentum = beta_2 * momentum + (1 - beta_2) * g

    Args:
        learning_rate: a float or a ``LearningRateSchedule``. Defaults to
            ``0.001``.
        beta_1: the interpolation factor of the update, in ``(0, 1]``.
            Defaults to ``0.9``.
        beta_2: the decay rate of the momentum, in ``[0, 1)``. Defaults to
            ``0.99``.
        weight_decay, clipnorm, clipvalue, global_clipnorm, use_ema,
            ema_momentum, ema_overwrite_frequency, loss_scale_factor,
            gradient_accumulation_steps: see ``Optimizer``.
        name: the optimizer's name. Defaults to ``"lion"``.
        **kwargs: see ``Optimizer``.

    Raises:
        ValueError: for an invalid argument, naming it (``beta_1 = 0``
            would make it SignSGD, which Keras refuses).

    Example:

    >>> import numpy as np
    >>> opt = Lion(learning_rate=0.1)
    >>> new_params, _ = opt.apply(
    ...     0, 0.1, [np.float32(1.0)], [np.float32(-3.0)],
    ...     [{"momentum": np.float32(0.0)}],
    ... )
    >>> round(float(new_params[0]), 6)
    1.1
    """

    def __init__(
        self,
        learning_rate: Any = 0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.99,
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
        number = beta_1 if isinstance(beta_1, int | float) else None
        if isinstance(beta_1, bool) or number is None or not 0 < number <= 1:
            raise ValueError(
                "Argument `beta_1` must be in the (0, 1] range. Otherwise, the "
                f"optimizer degenerates to SignSGD. Received: beta_1={beta_1!r}"
            )
        self.beta_1 = float(beta_1)
        self.beta_2 = check_beta("beta_2", beta_2)

    def slot_groups(self) -> list[tuple[str, ...]]:
        """One ``momentum`` per parameter."""
        return [("momentum",)]

    def update_step(
        self, step: Any, lr: Any, param: Any, grad: Any, slots: dict[str, Any]
    ) -> tuple[Any, dict[str, Any]]:
        """Applies Lion's rule to one parameter (see the class docstring)."""
        momentum = slots["momentum"]
        direction = ops.sign(
            ops.add(
                ops.multiply(momentum, self.beta_1),
                ops.multiply(grad, 1.0 - self.beta_1),
            )
        )
        new_momentum = ops.add(
            ops.multiply(momentum, self.beta_2), ops.multiply(grad, 1.0 - self.beta_2)
        )
        new_param = ops.subtract(param, ops.multiply(lr, direction))
        return new_param, {"momentum": new_momentum}

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments, with Keras 3's keys."""
        config = super().get_config()
        config.update({"beta_1": self.beta_1, "beta_2": self.beta_2})
        return config
