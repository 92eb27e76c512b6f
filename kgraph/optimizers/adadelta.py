"""Adadelta: per-dimension step sizes from running averages of updates."""

from __future__ import annotations

from typing import Any

from kgraph import ops
from kgraph.optimizers.arguments import check_float
from kgraph.optimizers.arguments import check_non_negative
from kgraph.optimizers.optimizer import Optimizer


class Adadelta(Optimizer):
    """Optimizer that implements the Adadelta algorithm.

    Keras 3's update rule, with ``rms(x) = sqrt(x + epsilon)``::

        accumulated_grad = rho * accumulated_grad + (1 - rho) * g**2
        delta = -rms(accumulated_delta_var) * g / rms(accumulated_grad)
        accumulated_delta_var = rho * accumulated_delta_var
                                + (1 - rho) * delta**2
        w = w + learning_rate * delta

    Args:
        learning_rate: a float or a ``LearningRateSchedule``. Defaults to
            ``0.001`` (Keras's; the original paper uses 1.0).
        rho: the decay rate, in ``[0, 1]``. Defaults to ``0.95``.
        epsilon: a small non-negative constant for numerical stability.
            Defaults to ``1e-7``.
        weight_decay, clipnorm, clipvalue, global_clipnorm, use_ema,
            ema_momentum, ema_overwrite_frequency, loss_scale_factor,
            gradient_accumulation_steps: see ``Optimizer``.
        name: the optimizer's name. Defaults to ``"adadelta"``.
        **kwargs: see ``Optimizer``.

    Raises:
        ValueError: for an invalid argument, naming it.

    Example:

    >>> import numpy as np
    >>> opt = Adadelta(learning_rate=1.0)
    >>> zero = np.float32(0.0)
    >>> new_params, _ = opt.apply(
    ...     0, 1.0, [np.float32(1.0)], [np.float32(1.0)],
    ...     [{"accumulated_grad": zero, "accumulated_delta_var": zero}],
    ... )
    >>> round(float(new_params[0]), 6)
    0.998586
    """

    def __init__(
        self,
        learning_rate: Any = 0.001,
        rho: float = 0.95,
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
        self.rho = check_float("rho", rho, minimum=0.0, maximum=1.0, allow_none=False)
        self.epsilon = check_non_negative("epsilon", epsilon)

    def slot_groups(self) -> list[tuple[str, ...]]:
        """``accumulated_grad`` and ``accumulated_delta_var`` per parameter."""
        return [("accumulated_grad", "accumulated_delta_var")]

    def update_step(
        self, step: Any, lr: Any, param: Any, grad: Any, slots: dict[str, Any]
    ) -> tuple[Any, dict[str, Any]]:
        """Applies Adadelta's rule to one parameter (see the class docstring)."""
        rho = self.rho
        accumulated_grad = ops.add(
            ops.multiply(rho, slots["accumulated_grad"]),
            ops.multiply(1 - rho, ops.square(grad)),
        )
        delta = ops.negative(
            ops.divide(
                ops.multiply(self._rms(slots["accumulated_delta_var"]), grad),
                self._rms(accumulated_grad),
            )
        )
        accumulated_delta = ops.add(
            ops.multiply(rho, slots["accumulated_delta_var"]),
            ops.multiply(1 - rho, ops.square(delta)),
        )
        updated = {
            "accumulated_grad": accumulated_grad,
            "accumulated_delta_var": accumulated_delta,
        }
        return ops.add(param, ops.multiply(lr, delta)), updated

    def _rms(self, value: Any) -> Any:
        return ops.sqrt(ops.add(value, self.epsilon))

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments, with Keras 3's keys."""
        config = super().get_config()
        config.update({"rho": self.rho, "epsilon": self.epsilon})
        return config
