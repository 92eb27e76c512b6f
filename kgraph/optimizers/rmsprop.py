"""RMSprop: gradients divided by a moving root mean square."""

from __future__ import annotations

from typing import Any

from kgraph import ops
from kgraph.optimizers.arguments import check_bool
from kgraph.optimizers.arguments import check_float
from kgraph.optimizers.optimizer import Optimizer


class RMSprop(Optimizer):
    """Optimizer that implements the RMSprop algorithm.

    Keras 3's update rule (epsilon inside the square root)::

        velocity = rho * velocity + (1 - rho) * g**2
        increment = learning_rate * g / sqrt(velocity + epsilon)
        w = w - increment

    ``centered=True`` also keeps ``average_gradient = rho * average_gradient +
    (1 - rho) * g`` and divides by ``sqrt(velocity - average_gradient**2 +
    epsilon)``. With ``momentum > 0``, ``momentum_slot = momentum *
    momentum_slot + increment`` and ``w = w - momentum_slot``.

    Args:
        learning_rate: a float or a ``LearningRateSchedule``. Defaults to
            ``0.001``.
        rho: the discounting factor of the old gradients, in ``[0, 1]``.
            Defaults to ``0.9``.
        momentum: a float in ``[0, 1]``. Defaults to ``0.0``.
        epsilon: a small non-negative constant for numerical stability.
            Defaults to ``1e-7``.
        centered: whether to normalize by the estimated variance of the
            gradient. Defaults to ``False``.
        weight_decay: see ``Optimizer``.
        clipnorm: see ``Optimizer``.
        clipvalue: see ``Optimizer``.
        global_clipnorm: see ``Optimizer``.
        name: the optimizer's name. Defaults to ``"rmsprop"``.
        use_ema, ema_momentum, ema_overwrite_frequency, loss_scale_factor,
            gradient_accumulation_steps: see ``Optimizer``.
        **kwargs: see ``Optimizer``.

    Raises:
        ValueError: for an invalid argument, naming it.

    Example:

    >>> import numpy as np
    >>> opt = RMSprop(learning_rate=0.1)
    >>> new_params, _ = opt.apply(
    ...     0, 0.1, [np.float32(10.0)], [np.float32(10.0)],
    ...     [{"velocity": np.float32(0.0)}],
    ... )
    >>> round(float(new_params[0]), 6)
    9.683772
    """

    def __init__(
        self,
        learning_rate: Any = 0.001,
        rho: float = 0.9,
        momentum: float = 0.0,
        epsilon: float = 1e-7,
        centered: bool = False,
        weight_decay: float | None = None,
        clipnorm: float | None = None,
        clipvalue: float | None = None,
        global_clipnorm: float | None = None,
        use_ema: bool = False,
        ema_momentum: float = 0.99,
        ema_overwrite_frequency: int | None = None,
        loss_scale_factor: float | None = None,
        gradient_accumulation_steps: int | None = None,
        name: str | None = "rmsprop",
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
        self.rho = check_float("rho", rho, minimum=0.0, maximum=1.0, allow_none=False)
        self.momentum = check_float(
            "momentum", momentum, minimum=0.0, maximum=1.0, allow_none=False
        )
        self.epsilon = check_float("epsilon", epsilon, minimum=0.0, allow_none=False)
        self.centered = check_bool("centered", centered)

    def slot_groups(self) -> list[tuple[str, ...]]:
        """``velocity``; ``momentum`` if momentum > 0; ``average_gradient``
        if centered; each group over all parameters, as Keras orders them."""
        groups = [("velocity",)]
        if self.momentum > 0:
            groups.append(("momentum",))
        if self.centered:
            groups.append(("average_gradient",))
        return groups

    def update_step(
        self, step: Any, lr: Any, param: Any, grad: Any, slots: dict[str, Any]
    ) -> tuple[Any, dict[str, Any]]:
        """Applies RMSprop's rule to one parameter (see the class docstring)."""
        rho = self.rho
        velocity = ops.add(
            ops.multiply(rho, slots["velocity"]),
            ops.multiply(1 - rho, ops.square(grad)),
        )
        updated = {"velocity": velocity}
        if self.centered:
            average = ops.add(
                ops.multiply(rho, slots["average_gradient"]),
                ops.multiply(1 - rho, grad),
            )
            updated["average_gradient"] = average
            spread = ops.subtract(velocity, ops.square(average))
            denominator = ops.add(spread, self.epsilon)
        else:
            denominator = ops.add(velocity, self.epsilon)
        increment = ops.divide(ops.multiply(lr, grad), ops.sqrt(denominator))
        if self.momentum > 0:
            momentum = ops.add(
                ops.multiply(self.momentum, slots["momentum"]), increment
            )
            updated["momentum"] = momentum
            return ops.subtract(param, momentum), updated
        return ops.subtract(param, increment), updated

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments, with Keras 3's keys."""
        config = super().get_config()
        config.update(
            {
                "rho": self.rho,
                "momentum": self.momentum,
                "epsilon": self.epsilon,
                "centered": self.centered,
            }
        )
        return config
