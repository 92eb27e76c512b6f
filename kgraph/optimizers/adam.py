"""Adam: adaptive moment estimation, with Keras's folded bias correction."""

from __future__ import annotations

from typing import Any

from kgraph import ops
from kgraph.optimizers.arguments import check_bool
from kgraph.optimizers.arguments import check_float
from kgraph.optimizers.optimizer import Optimizer


class Adam(Optimizer):
    """Optimizer that implements the Adam algorithm.

    Keras 3's update rule: the bias correction is folded into the step size
    and epsilon is added to the uncorrected ``sqrt(velocity)`` ("epsilon
    hat")::

        t = step + 1
        alpha = learning_rate * sqrt(1 - beta_2**t) / (1 - beta_1**t)
        momentum = momentum + (g - momentum) * (1 - beta_1)
        velocity = velocity + (g**2 - velocity) * (1 - beta_2)
        w = w - alpha * momentum / (sqrt(velocity) + epsilon)

    With ``amsgrad=True``, ``velocity_hat = maximum(velocity_hat, velocity)``
    replaces ``velocity`` in the last line.

    Args:
        learning_rate: a float or a ``LearningRateSchedule``. Defaults to
            ``0.001``.
        beta_1: the decay rate of the first moment, in ``[0, 1)``. Defaults
            to ``0.9``.
        beta_2: the decay rate of the second moment, in ``[0, 1)``. Defaults
            to ``0.999``.
        epsilon: a small non-negative constant for numerical stability.
            Defaults to ``1e-7``.
        amsgrad: whether to use the AMSGrad variant. Defaults to ``False``.
        weight_decay: see ``Optimizer``.
        clipnorm: see ``Optimizer``.
        clipvalue: see ``Optimizer``.
        global_clipnorm: see ``Optimizer``.
        name: the optimizer's name. Defaults to ``"adam"``.
        use_ema, ema_momentum, ema_overwrite_frequency, loss_scale_factor,
            gradient_accumulation_steps: see ``Optimizer``.
        **kwargs: see ``Optimizer``.

    Raises:
        ValueError: for an invalid argument, naming it.

    Example:

    >>> import numpy as np
    >>> opt = Adam()
    >>> zero = np.float32(0.0)
    >>> new_params, _ = opt.apply(
    ...     0, 0.001, [np.float32(1.0)], [np.float32(0.5)],
    ...     [{"momentum": zero, "velocity": zero}],
    ... )
    >>> round(float(new_params[0]), 6)
    0.999
    """

    def __init__(
        self,
        learning_rate: Any = 0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-7,
        amsgrad: bool = False,
        weight_decay: float | None = None,
        clipnorm: float | None = None,
        clipvalue: float | None = None,
        global_clipnorm: float | None = None,
        use_ema: bool = False,
        ema_momentum: float = 0.99,
        ema_overwrite_frequency: int | None = None,
        loss_scale_factor: float | None = None,
        gradient_accumulation_steps: int | None = None,
        name: str | None = "adam",
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
        self.beta_1 = _check_beta("beta_1", beta_1)
        self.beta_2 = _check_beta("beta_2", beta_2)
        self.epsilon = check_float("epsilon", epsilon, minimum=0.0, allow_none=False)
        self.amsgrad = check_bool("amsgrad", amsgrad)

    def slot_groups(self) -> list[tuple[str, ...]]:
        """``momentum`` and ``velocity`` per parameter, then the
        ``velocity_hat``s when ``amsgrad`` is set (Keras's order)."""
        groups = [("momentum", "velocity")]
        if self.amsgrad:
            groups.append(("velocity_hat",))
        return groups

    def update_step(
        self, step: Any, lr: Any, param: Any, grad: Any, slots: dict[str, Any]
    ) -> tuple[Any, dict[str, Any]]:
        """Applies Adam's rule to one parameter (see the class docstring)."""
        alpha = self.shared_per_update(
            ("step_size", param.dtype), lambda: self._step_size(step, lr, param.dtype)
        )
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
        updated = {"momentum": momentum, "velocity": velocity}
        if self.amsgrad:
            velocity = ops.maximum(slots["velocity_hat"], velocity)
            updated["velocity_hat"] = velocity
        change = ops.divide(
            ops.multiply(momentum, alpha), ops.add(ops.sqrt(velocity), self.epsilon)
        )
        return ops.subtract(param, change), updated

    def _step_size(self, step: Any, lr: Any, dtype: str) -> Any:
        """``lr * sqrt(1 - beta_2**t) / (1 - beta_1**t)`` with ``t = step + 1``."""
        local_step = ops.cast(ops.add(step, 1), dtype)
        beta_1_power = ops.power(ops.cast(self.beta_1, dtype), local_step)
        beta_2_power = ops.power(ops.cast(self.beta_2, dtype), local_step)
        corrected = ops.multiply(lr, ops.sqrt(ops.subtract(1, beta_2_power)))
        return ops.divide(corrected, ops.subtract(1, beta_1_power))

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments, with Keras 3's keys."""
        config = super().get_config()
        config.update(
            {
                "beta_1": self.beta_1,
                "beta_2": self.beta_2,
                "epsilon": self.epsilon,
                "amsgrad": self.amsgrad,
            }
        )
        return config


def _check_beta(name: str, value: Any) -> float:
    result = check_float(
        name, value, minimum=0.0, maximum=1.0, below_maximum=True, allow_none=False
    )
    assert result is not None
    return result
