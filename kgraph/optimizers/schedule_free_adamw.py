"""ScheduleFreeAdamW: AdamW without a learning-rate schedule (Defazio et
al., 2024), as Keras 3 writes it."""

from __future__ import annotations

from typing import Any

from kgraph import ops
from kgraph.optimizers.arguments import check_beta
from kgraph.optimizers.arguments import check_non_negative
from kgraph.optimizers.optimizer import Optimizer
from kgraph.tensor import Variable


class ScheduleFreeAdamW(Optimizer):
    """Optimizer that implements schedule-free AdamW.

    The weights ``y`` the model uses interpolate between an average ``x``
    of the iterates and the Adam-style iterate ``momentum``, which starts
    at the weights' values on the first step (as in Keras, which builds the
    optimizer then; weights loaded after ``compile`` count). Keras 3's
    update,
    with ``t = step + 1``::

        lr = lr * minimum(t / warmup_steps, 1)        # when warmup_steps > 0
        velocity = velocity + (g**2 - velocity) * (1 - beta_2)
        new_momentum = momentum
                       - lr * g / (sqrt(velocity / (1 - beta_2**t)) + epsilon)
        x = (y - (1 - beta_1) * momentum) / beta_1
        x = (1 - 1 / t) * x + (1 / t) * new_momentum
        y = (1 - beta_1) * new_momentum + beta_1 * x

    Args:
        learning_rate: a float or a ``LearningRateSchedule``. Defaults to
            ``0.0025``.
        beta_1: the interpolation factor, in ``(0, 1)``. Defaults to
            ``0.9``.
        beta_2: the decay rate of the second moment, in ``[0, 1)``.
            Defaults to ``0.999``.
        epsilon: a small non-negative constant. Defaults to ``1e-8``.
        warmup_steps: the number of steps of linear learning-rate warmup.
            Defaults to ``0``.
        weight_decay, clipnorm, clipvalue, global_clipnorm, use_ema,
            ema_momentum, ema_overwrite_frequency, loss_scale_factor,
            gradient_accumulation_steps: see ``Optimizer``.
        name: the optimizer's name. Defaults to ``"schedule_free_adam_w"``.
        **kwargs: see ``Optimizer``.

    Raises:
        ValueError: for an invalid argument, naming it.

    Example:

    >>> import numpy as np
    >>> opt = ScheduleFreeAdamW(learning_rate=0.1)
    >>> new_params, _ = opt.apply(
    ...     0, 0.1, [np.float32(1.0)], [np.float32(0.5)],
    ...     [{"momentum": np.float32(1.0), "velocity": np.float32(0.0)}],
    ... )
    >>> round(float(new_params[0]), 4)
    0.9
    """

    def __init__(
        self,
        learning_rate: Any = 0.0025,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-8,
        warmup_steps: int = 0,
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
        if self.beta_1 == 0.0:
            raise ValueError(
                "Argument `beta_1` must be a float in (0, 1): the average is "
                f"recovered by dividing by it. Received: beta_1={beta_1!r}"
            )
        self.beta_2 = check_beta("beta_2", beta_2)
        self.epsilon = check_non_negative("epsilon", epsilon)
        if (
            isinstance(warmup_steps, bool)
            or not isinstance(warmup_steps, int)
            or (warmup_steps < 0)
        ):
            raise ValueError(
                "Argument `warmup_steps` must be a non-negative integer. "
                f"Received: warmup_steps={warmup_steps!r}"
            )
        self.warmup_steps = warmup_steps

    def slot_groups(self) -> list[tuple[str, ...]]:
        """``momentum`` and ``velocity`` per parameter (Keras's order)."""
        return [("momentum", "velocity")]

    def slot_spec(self, param: Variable, slot_name: str) -> tuple[tuple, str, Any]:
        """``momentum`` starts at the parameter's value, ``velocity`` at 0."""
        if slot_name == "momentum":
            return param.shape, param.dtype, param.numpy()
        return param.shape, param.dtype, 0.0

    def update_step(
        self, step: Any, lr: Any, param: Any, grad: Any, slots: dict[str, Any]
    ) -> tuple[Any, dict[str, Any]]:
        """Applies the schedule-free rule to one parameter (see the class
        docstring)."""
        dtype = param.dtype
        local_step = ops.cast(ops.add(step, 1), dtype)
        if self.warmup_steps > 0:
            warmup = ops.minimum(ops.divide(local_step, float(self.warmup_steps)), 1.0)
            lr = ops.multiply(lr, warmup)
        beta_1, beta_2 = self.beta_1, self.beta_2
        # The iterate starts at the weights training starts from (as Keras
        # builds it on the first step), also when they were set after
        # ``compile``.
        momentum = ops.where(ops.equal(step, 0), param, slots["momentum"])
        velocity = ops.add(
            slots["velocity"],
            ops.multiply(ops.subtract(ops.square(grad), slots["velocity"]), 1 - beta_2),
        )
        correction = ops.subtract(1.0, ops.power(ops.cast(beta_2, dtype), local_step))
        denominator = ops.add(ops.sqrt(ops.divide(velocity, correction)), self.epsilon)
        new_momentum = ops.subtract(
            momentum, ops.divide(ops.multiply(lr, grad), denominator)
        )
        weight = ops.divide(1.0, local_step)
        x_old = ops.divide(
            ops.subtract(param, ops.multiply(1 - beta_1, momentum)), beta_1
        )
        x_new = ops.add(
            ops.multiply(ops.subtract(1.0, weight), x_old),
            ops.multiply(weight, new_momentum),
        )
        y_new = ops.add(
            ops.multiply(1 - beta_1, new_momentum), ops.multiply(beta_1, x_new)
        )
        return y_new, {"momentum": new_momentum, "velocity": velocity}

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments, with Keras 3's keys."""
        config = super().get_config()
        config.update(
            {
                "beta_1": self.beta_1,
                "beta_2": self.beta_2,
                "epsilon": self.epsilon,
                "warmup_steps": self.warmup_steps,
            }
        )
        return config
