"""Adafactor: factored second moments (Shazeer and Stern, 2018)."""

from __future__ import annotations

from typing import Any

from kgraph import ops
from kgraph.optimizers.arguments import check_bool
from kgraph.optimizers.arguments import check_float
from kgraph.optimizers.arguments import check_non_negative
from kgraph.optimizers.optimizer import Optimizer
from kgraph.tensor import Variable


class Adafactor(Optimizer):
    """Optimizer that implements the Adafactor algorithm.

    Keras 3's update rule, with ``t = step + 1``, ``rms(x) =
    sqrt(mean(x**2))`` and ``d = 1 - t**beta_2_decay``::

        lr = minimum(lr, 1 / sqrt(t))    # when relative_step and lr is a number
        rho = minimum(lr, 1 / sqrt(t))
        alpha = maximum(epsilon_2, rms(w)) * rho
        s = g**2 + epsilon_1
        # a parameter of rank >= 2 keeps the row and column means of s:
        r = d * r + (1 - d) * mean(s, axis=-1)
        c = d * c + (1 - d) * mean(s, axis=-2)
        velocity = (r / mean(r, axis=-1))[..., None] * c[..., None, :]
        # a parameter of rank < 2 keeps s itself:
        velocity = d * velocity + (1 - d) * s
        u = g / sqrt(velocity)
        w = w - alpha * u / maximum(1, rms(u) / clip_threshold)

    Slots per parameter, in Keras's order: ``r`` (the shape without the
    last axis), ``c`` (without the second-to-last axis) and ``velocity``
    (the parameter's shape). A parameter of rank < 2 gets Keras's unused
    placeholders for ``r`` and ``c`` (int32 scalars), so that saved
    optimizer states line up with Keras's.

    Args:
        learning_rate: a float or a ``LearningRateSchedule``. Defaults to
            ``0.001``.
        beta_2_decay: the exponent of the second-moment decay. Defaults to
            ``-0.8``.
        epsilon_1: added to the squared gradients. Defaults to ``1e-30``.
        epsilon_2: the smallest parameter scale. Defaults to ``1e-3``.
        clip_threshold: the update's largest RMS. Defaults to ``1.0``.
        relative_step: whether to cap a float learning rate by
            ``1 / sqrt(t)``. Defaults to ``True``.
        weight_decay, clipnorm, clipvalue, global_clipnorm, use_ema,
            ema_momentum, ema_overwrite_frequency, loss_scale_factor,
            gradient_accumulation_steps: see ``Optimizer``.
        name: the optimizer's name. Defaults to ``"adafactor"``.
        **kwargs: see ``Optimizer``.

    Raises:
        ValueError: for an invalid argument, naming it.

    Example:

    >>> import numpy as np
    >>> opt = Adafactor(learning_rate=0.1)
    >>> new_params, _ = opt.apply(
    ...     0, 0.1, [np.float32([2.0])], [np.float32([1.0])],
    ...     [{"r": np.int32(0), "c": np.int32(0), "velocity": np.float32([0.0])}],
    ... )
    >>> new_params[0].numpy().round(6)
    array([1.8], dtype=float32)
    """

    def __init__(
        self,
        learning_rate: Any = 0.001,
        beta_2_decay: float = -0.8,
        epsilon_1: float = 1e-30,
        epsilon_2: float = 1e-3,
        clip_threshold: float = 1.0,
        relative_step: bool = True,
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
        decay = check_float("beta_2_decay", beta_2_decay, allow_none=False)
        assert decay is not None
        self.beta_2_decay = decay
        self.epsilon_1 = check_non_negative("epsilon_1", epsilon_1)
        self.epsilon_2 = check_non_negative("epsilon_2", epsilon_2)
        self.clip_threshold = check_non_negative("clip_threshold", clip_threshold)
        self.relative_step = check_bool("relative_step", relative_step)

    def slot_groups(self) -> list[tuple[str, ...]]:
        """``r``, ``c`` and ``velocity`` per parameter (Keras's order)."""
        return [("r", "c", "velocity")]

    def slot_spec(self, param: Variable, slot_name: str) -> tuple[tuple, str, float]:
        """The factored shapes of ``r`` and ``c``; Keras's int32 scalar
        placeholders for them when the parameter has rank < 2."""
        shape = param.shape
        if slot_name == "velocity":
            return shape, param.dtype, 0.0
        if len(shape) < 2:
            return (), "int32", 0.0
        if slot_name == "r":
            return shape[:-1], param.dtype, 0.0
        return shape[:-2] + shape[-1:], param.dtype, 0.0

    def update_step(
        self, step: Any, lr: Any, param: Any, grad: Any, slots: dict[str, Any]
    ) -> tuple[Any, dict[str, Any]]:
        """Applies Adafactor's rule to one parameter (see the class docstring)."""
        dtype = param.dtype
        local_step = ops.cast(ops.add(step, 1), dtype)
        cap = ops.divide(1.0, ops.sqrt(local_step))
        if self.relative_step and self.learning_rate_schedule is None:
            lr = ops.minimum(lr, cap)
        alpha = ops.multiply(
            ops.maximum(self.epsilon_2, _rms(param)), ops.minimum(lr, cap)
        )
        squared = ops.add(ops.square(grad), self.epsilon_1)
        decay = ops.subtract(1.0, ops.power(local_step, self.beta_2_decay))
        updated: dict[str, Any] = {}
        if len(param.shape) >= 2:
            updated["r"] = _blend(decay, slots["r"], ops.mean(squared, axis=-1))
            updated["c"] = _blend(decay, slots["c"], ops.mean(squared, axis=-2))
            rows = ops.divide(
                updated["r"], ops.mean(updated["r"], axis=-1, keepdims=True)
            )
            velocity = ops.multiply(
                ops.expand_dims(rows, -1), ops.expand_dims(updated["c"], -2)
            )
        else:
            velocity = _blend(decay, slots["velocity"], squared)
        updated["velocity"] = velocity
        direction = ops.divide(grad, ops.sqrt(velocity))
        scale = ops.maximum(1.0, ops.divide(_rms(direction), self.clip_threshold))
        change = ops.multiply(alpha, ops.divide(direction, scale))
        return ops.subtract(param, change), updated

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments, with Keras 3's keys."""
        config = super().get_config()
        config.update(
            {
                "beta_2_decay": self.beta_2_decay,
                "epsilon_1": self.epsilon_1,
                "epsilon_2": self.epsilon_2,
                "clip_threshold": self.clip_threshold,
                "relative_step": self.relative_step,
            }
        )
        return config


def _rms(value: Any) -> Any:
    """``sqrt(mean(value**2))`` over every element."""
    return ops.sqrt(ops.mean(ops.square(value)))


def _blend(decay: Any, old: Any, new: Any) -> Any:
    """``decay * old + (1 - decay) * new``."""
    return ops.add(
        ops.multiply(decay, old), ops.multiply(ops.subtract(1.0, decay), new)
    )
