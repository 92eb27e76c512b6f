"""Lamb: Adam's direction scaled by a layer-wise trust ratio."""

from __future__ import annotations

from typing import Any

from kgraph import ops
from kgraph.optimizers.arguments import check_beta
from kgraph.optimizers.arguments import check_non_negative
from kgraph.optimizers.optimizer import Optimizer


class Lamb(Optimizer):
    """Optimizer that implements the Lamb algorithm.

    Keras 3's update rule, with ``t = step + 1`` and norms over the whole
    parameter::

        momentum = momentum + (g - momentum) * (1 - beta_1)
        velocity = velocity + (g**2 - velocity) * (1 - beta_2)
        update = (momentum / (1 - beta_1**t))
                 / (sqrt(velocity / (1 - beta_2**t)) + epsilon)
        ratio = norm(w) / norm(update) if both norms are > 0 else 1
        w = w - ratio * learning_rate * update

    Args:
        learning_rate: a float or a ``LearningRateSchedule``. Defaults to
            ``0.001``.
        beta_1: the decay rate of the first moment, in ``[0, 1)``. Defaults
            to ``0.9``.
        beta_2: the decay rate of the second moment, in ``[0, 1)``. Defaults
            to ``0.999``.
        epsilon: a small non-negative constant for numerical stability.
            Defaults to ``1e-7``.
        weight_decay, clipnorm, clipvalue, global_clipnorm, use_ema,
            ema_momentum, ema_overwrite_frequency, loss_scale_factor,
            gradient_accumulation_steps: see ``Optimizer``.
        name: the optimizer's name. Defaults to ``"lamb"``.
        **kwargs: see ``Optimizer``.

    Raises:
        ValueError: for an invalid argument, naming it.

    Example:

    >>> import numpy as np
    >>> opt = Lamb(learning_rate=0.1)
    >>> zero = np.zeros(2, "float32")
    >>> new_params, _ = opt.apply(
    ...     0, 0.1, [np.float32([3.0, 4.0])], [np.float32([1.0, 1.0])],
    ...     [{"momentum": zero, "velocity": zero}],
    ... )
    >>> new_params[0].numpy().round(4)
    array([2.6464, 3.6464], dtype=float32)
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
        """``momentum`` and ``velocity`` per parameter (Keras's order)."""
        return [("momentum", "velocity")]

    def update_step(
        self, step: Any, lr: Any, param: Any, grad: Any, slots: dict[str, Any]
    ) -> tuple[Any, dict[str, Any]]:
        """Applies Lamb's rule to one parameter (see the class docstring)."""
        dtype = param.dtype
        local_step = ops.cast(ops.add(step, 1), dtype)
        beta_1_power = ops.power(ops.cast(self.beta_1, dtype), local_step)
        beta_2_power = ops.power(ops.cast(self.beta_2, dtype), local_step)
        momentum = ops.add(
            slots["momentum"],
            ops.multiply(ops.subtract(grad, slots["momentum"]), 1 - self.beta_1),
        )
        velocity = ops.add(
            slots["velocity"],
            ops.multiply(
                ops.subtract(ops.square(grad), slots["velocity"]), 1 - self.beta_2
            ),
        )
        m_hat = ops.divide(momentum, ops.subtract(1.0, beta_1_power))
        v_sqrt = ops.add(
            ops.sqrt(ops.divide(velocity, ops.subtract(1.0, beta_2_power))),
            self.epsilon,
        )
        update = ops.divide(m_hat, v_sqrt)
        ratio = _trust_ratio(_norm(param), _norm(update))
        change = ops.multiply(ops.multiply(ratio, lr), update)
        return ops.subtract(param, change), {"momentum": momentum, "velocity": velocity}

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments, with Keras 3's keys."""
        config = super().get_config()
        config.update(
            {"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}
        )
        return config


def _norm(value: Any) -> Any:
    """The L2 norm over every element."""
    return ops.sqrt(ops.sum(ops.square(value)))


def _trust_ratio(w_norm: Any, update_norm: Any) -> Any:
    """``w_norm / update_norm`` when both are > 0, else 1."""
    both = ops.logical_and(ops.greater(w_norm, 0.0), ops.greater(update_norm, 0.0))
    # NOTE: the inner `where` keeps the unused division finite.
    safe = ops.where(both, update_norm, 1.0)
    return ops.where(both, ops.divide(w_norm, safe), 1.0)
