"""Nadam: Adam with Nesterov momentum, in Keras 3's formulation."""

from __future__ import annotations

from typing import Any

from kgraph import ops
from kgraph.optimizers.arguments import check_beta
from kgraph.optimizers.arguments import check_non_negative
from kgraph.optimizers.optimizer import Optimizer
from kgraph.optimizers.optimizer import cast_to

# Keras's fixed momentum-schedule decay (Dozat, 2016).
_DECAY = 0.96


class Nadam(Optimizer):
    """Optimizer that implements the Nadam algorithm.

    Keras 3's update rule, with ``t = step + 1`` and the momentum schedule
    ``mu(t) = beta_1 * (1 - 0.5 * 0.96**t)``. The optimizer keeps one
    scalar, ``u_product``, the product of ``mu`` over the steps so far
    (starting at 1), updated once per step before the parameters::

        u_product = u_product * mu(t)
        momentum = momentum + (g - momentum) * (1 - beta_1)
        velocity = velocity + (g**2 - velocity) * (1 - beta_2)
        m_hat = mu(t + 1) * momentum / (1 - u_product * mu(t + 1))
                + (1 - mu(t)) * g / (1 - u_product)
        v_hat = velocity / (1 - beta_2**t)
        w = w - learning_rate * m_hat / (sqrt(v_hat) + epsilon)

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
        name: the optimizer's name. Defaults to ``"nadam"``.
        **kwargs: see ``Optimizer``.

    Raises:
        ValueError: for an invalid argument, naming it.

    Example:

    >>> import numpy as np
    >>> opt = Nadam(learning_rate=0.1)
    >>> zero = np.float32(0.0)
    >>> new_params, _ = opt.apply(
    ...     0, 0.1, [np.float32(1.0)], [np.float32(0.5)],
    ...     [{"momentum": zero, "velocity": zero}],
    ... )
    >>> round(float(new_params[0]), 4)
    0.8937
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

    def state_variables(self) -> dict[str, float]:
        """``u_product``, the product of the momentum schedule, from 1
        (the scalar variable Keras creates after the slots)."""
        return {"u_product": 1.0}

    def update_state(self, step: Any, state: dict[str, Any]) -> dict[str, Any]:
        """Multiplies ``u_product`` by this step's ``mu(t)``."""
        product = state["u_product"]
        mu = self._mu(ops.add(step, 1), product.dtype)
        return {"u_product": ops.multiply(product, mu)}

    def _mu(self, t: Any, dtype: str) -> Any:
        """``beta_1 * (1 - 0.5 * 0.96**t)`` in ``dtype``."""
        power = ops.power(ops.cast(_DECAY, dtype), ops.cast(t, dtype))
        return ops.multiply(self.beta_1, ops.subtract(1.0, ops.multiply(0.5, power)))

    def update_step(
        self, step: Any, lr: Any, param: Any, grad: Any, slots: dict[str, Any]
    ) -> tuple[Any, dict[str, Any]]:
        """Applies Nadam's rule to one parameter (see the class docstring)."""
        dtype = param.dtype
        u_t = self._mu(ops.add(step, 1), dtype)
        u_t_next = self._mu(ops.add(step, 2), dtype)
        product = cast_to(slots["u_product"], dtype)
        product_next = ops.multiply(product, u_t_next)
        local_step = ops.cast(ops.add(step, 1), dtype)
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
        m_hat = ops.add(
            ops.divide(
                ops.multiply(u_t_next, momentum), ops.subtract(1.0, product_next)
            ),
            ops.divide(
                ops.multiply(ops.subtract(1.0, u_t), grad), ops.subtract(1.0, product)
            ),
        )
        v_hat = ops.divide(velocity, ops.subtract(1.0, beta_2_power))
        change = ops.divide(
            ops.multiply(m_hat, lr), ops.add(ops.sqrt(v_hat), self.epsilon)
        )
        return ops.subtract(param, change), {"momentum": momentum, "velocity": velocity}

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments, with Keras 3's keys."""
        config = super().get_config()
        config.update(
            {"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}
        )
        return config
