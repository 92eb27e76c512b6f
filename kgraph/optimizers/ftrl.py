"""Ftrl: "Follow The Regularized Leader" (McMahan et al., 2013)."""

from __future__ import annotations

from typing import Any

from kgraph import ops
from kgraph.optimizers.arguments import check_float
from kgraph.optimizers.optimizer import Optimizer


class Ftrl(Optimizer):
    """Optimizer that implements the FTRL algorithm.

    Keras 3's update rule, with ``p = learning_rate_power`` and ``lr`` the
    learning rate::

        l2 = l2_regularization_strength + beta / (2 * lr)
        new_accumulator = accumulator + g**2
        linear = linear + g + 2 * l2_shrinkage_regularization_strength * w
                 - (new_accumulator**-p - accumulator**-p) / lr * w
        quadratic = new_accumulator**-p / lr + 2 * l2
        w = (clip(linear, -l1, l1) - linear) / quadratic
        accumulator = new_accumulator

    where ``l1 = l1_regularization_strength``. The accumulators start at
    ``initial_accumulator_value``, the linear terms at 0.

    Args:
        learning_rate: a float or a ``LearningRateSchedule``. Defaults to
            ``0.001``.
        learning_rate_power: a float <= 0: how the step shrinks as the
            accumulator grows (0 keeps it fixed). Defaults to ``-0.5``.
        initial_accumulator_value: the accumulators' start, >= 0. Defaults
            to ``0.1``.
        l1_regularization_strength: a float >= 0. Defaults to ``0.0``.
        l2_regularization_strength: a float >= 0 (stabilization penalty).
            Defaults to ``0.0``.
        l2_shrinkage_regularization_strength: a float >= 0 (magnitude
            penalty, added to the gradient). Defaults to ``0.0``.
        beta: a float, as in the paper. Defaults to ``0.0``.
        weight_decay, clipnorm, clipvalue, global_clipnorm, use_ema,
            ema_momentum, ema_overwrite_frequency, loss_scale_factor,
            gradient_accumulation_steps: see ``Optimizer``.
        name: the optimizer's name. Defaults to ``"ftrl"``.
        **kwargs: see ``Optimizer``.

    Raises:
        ValueError: for an invalid argument, naming it.

    Example:

    >>> import numpy as np
    >>> opt = Ftrl(learning_rate=0.1)
    >>> new_params, _ = opt.apply(
    ...     0, 0.1, [np.float32(0.0)], [np.float32(1.0)],
    ...     [{"accumulator": np.float32(0.1), "linear": np.float32(0.0)}],
    ... )
    >>> round(float(new_params[0]), 6)
    -0.095346
    """

    def __init__(
        self,
        learning_rate: Any = 0.001,
        learning_rate_power: float = -0.5,
        initial_accumulator_value: float = 0.1,
        l1_regularization_strength: float = 0.0,
        l2_regularization_strength: float = 0.0,
        l2_shrinkage_regularization_strength: float = 0.0,
        beta: float = 0.0,
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
        self.learning_rate_power = _checked(
            "learning_rate_power", learning_rate_power, "negative or zero", maximum=0.0
        )
        self.initial_accumulator_value = _checked(
            "initial_accumulator_value", initial_accumulator_value, "positive or zero"
        )
        self.l1_regularization_strength = _checked(
            "l1_regularization_strength", l1_regularization_strength, "positive or zero"
        )
        self.l2_regularization_strength = _checked(
            "l2_regularization_strength", l2_regularization_strength, "positive or zero"
        )
        self.l2_shrinkage_regularization_strength = _checked(
            "l2_shrinkage_regularization_strength",
            l2_shrinkage_regularization_strength,
            "positive or zero",
        )
        found = check_float("beta", beta, allow_none=False)
        assert found is not None
        self.beta = found

    def slot_groups(self) -> list[tuple[str, ...]]:
        """``accumulator`` and ``linear`` per parameter (Keras's order)."""
        return [("accumulator", "linear")]

    def slot_initial_value(self, slot_name: str) -> float:
        """``initial_accumulator_value`` for the accumulators, else 0."""
        return self.initial_accumulator_value if slot_name == "accumulator" else 0.0

    def update_step(
        self, step: Any, lr: Any, param: Any, grad: Any, slots: dict[str, Any]
    ) -> tuple[Any, dict[str, Any]]:
        """Applies FTRL's rule to one parameter (see the class docstring)."""
        power = -self.learning_rate_power
        accumulator = slots["accumulator"]
        l2 = ops.add(
            self.l2_regularization_strength,
            ops.divide(self.beta, ops.multiply(2.0, lr)),
        )
        shrinkage = 2 * self.l2_shrinkage_regularization_strength
        grad_to_use = ops.add(grad, ops.multiply(shrinkage, param))
        new_accumulator = ops.add(accumulator, ops.square(grad))
        new_power = ops.power(new_accumulator, power)
        sigma = ops.divide(ops.subtract(new_power, ops.power(accumulator, power)), lr)
        linear = ops.add(
            slots["linear"], ops.subtract(grad_to_use, ops.multiply(sigma, param))
        )
        quadratic = ops.add(ops.divide(new_power, lr), ops.multiply(2.0, l2))
        l1 = self.l1_regularization_strength
        clipped = ops.clip(linear, -l1, l1)
        new_param = ops.divide(ops.subtract(clipped, linear), quadratic)
        return new_param, {"accumulator": new_accumulator, "linear": linear}

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments, with Keras 3's keys."""
        config = super().get_config()
        config.update(
            {
                "learning_rate_power": self.learning_rate_power,
                "initial_accumulator_value": self.initial_accumulator_value,
                "l1_regularization_strength": self.l1_regularization_strength,
                "l2_regularization_strength": self.l2_regularization_strength,
                "l2_shrinkage_regularization_strength": (
                    self.l2_shrinkage_regularization_strength
                ),
                "beta": self.beta,
            }
        )
        return config


def _checked(name: str, value: Any, sign: str, maximum: float | None = None) -> float:
    """A float that must be >= 0 (or <= 0 with ``maximum=0``), with Keras's
    message."""
    number = check_float(name, value, allow_none=False)
    assert number is not None
    if (maximum is None and number < 0.0) or (maximum is not None and number > maximum):
        raise ValueError(f"`{name}` needs to be {sign}. Received: {name}={value!r}")
    return number
