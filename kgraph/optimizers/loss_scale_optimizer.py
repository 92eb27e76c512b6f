"""LossScaleOptimizer: Keras's mixed-precision wrapper, as a delegate.

Keras multiplies the loss by a dynamic scale before differentiating so
that float16 gradients do not underflow, divides the gradients back, skips
the steps whose gradients are not finite (halving the scale) and doubles
the scale after ``dynamic_growth_steps`` finite steps. kgraph computes in
float32 (or float64) only: there is no float16 underflow to prevent, and
scaling by a power of two then unscaling gives the same float32 gradients.
So this wrapper keeps Keras's constructor and config, for programs and
saved models that use it, and leaves every update to its inner optimizer.
What it does not do is Keras's skipping of non-finite steps: a NaN
gradient reaches the weights as it would without the wrapper.
"""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Sequence
from typing import Any

from kgraph.optimizers.arguments import check_float
from kgraph.optimizers.optimizer import Optimizer
from kgraph.tensor import Variable

# Base arguments Keras's configs of the wrapper may carry at their defaults.
_BASE_DEFAULTS: dict[str, Any] = {
    "weight_decay": None,
    "clipnorm": None,
    "global_clipnorm": None,
    "clipvalue": None,
    "use_ema": False,
    "ema_momentum": 0.99,
    "ema_overwrite_frequency": None,
    "loss_scale_factor": None,
    "gradient_accumulation_steps": None,
}


class LossScaleOptimizer(Optimizer):
    """An optimizer wrapper for loss scaling; in kgraph it delegates.

    Every update, variable, slot, step counter and learning rate is the
    inner optimizer's (see the module docstring for why scaling changes
    nothing in float32): ``scale_loss`` returns the loss unchanged and
    ``apply_gradients`` takes the gradients as they are. Keras's
    ``.keras`` files keep two extra scalars for this wrapper
    (``step_counter``, ``dynamic_scale``), so a Keras-saved optimizer state
    of a ``LossScaleOptimizer`` is skipped with a warning on loading.

    Args:
        inner_optimizer: the ``Optimizer`` that computes the updates.
        initial_scale: Keras's initial loss scale (kept in the config).
        dynamic_growth_steps: Keras's steps between scale doublings (kept
            in the config).
        name: the wrapper's name. Defaults to ``"loss_scale_optimizer"``.
        **kwargs: Keras's base arguments, accepted only at their defaults
            (set them on the inner optimizer instead); ``dynamic=True``.

    Raises:
        ValueError: for a base argument away from its default,
            ``dynamic=False``, or an inner optimizer that is not one.

    Example:

    >>> from kgraph.optimizers import SGD
    >>> opt = LossScaleOptimizer(SGD(learning_rate=0.1))
    >>> opt.learning_rate
    0.1
    >>> opt.scale_loss(2.0)
    2.0
    """

    def __init__(
        self,
        inner_optimizer: Optimizer,
        initial_scale: float = 2.0**15,
        dynamic_growth_steps: int = 2000,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        if not kwargs.pop("dynamic", True):
            raise ValueError(
                "LossScaleOptimizer no longer supports `dynamic=False`. Set "
                "`loss_scale_factor` on the `inner_optimizer` instead. "
                "Received: dynamic=False"
            )
        for key, default in _BASE_DEFAULTS.items():
            if key in kwargs and kwargs.pop(key) != default:
                raise ValueError(
                    f"LossScaleOptimizer does not support `{key}`: set it on "
                    f"the `inner_optimizer`. Received: {key} away from {default!r}"
                )
        if not isinstance(inner_optimizer, Optimizer):
            raise ValueError(
                "`inner_optimizer` must be a kgraph Optimizer. Received: "
                f"inner_optimizer={inner_optimizer!r}"
            )
        super().__init__(learning_rate=0.0, name=name, **kwargs)
        self.inner_optimizer = inner_optimizer
        self.initial_scale = check_float(
            "initial_scale", initial_scale, minimum=0.0, allow_none=False
        )
        self.dynamic_growth_steps = dynamic_growth_steps

    # -- everything is the inner optimizer's ----------------------------------

    @property
    def iterations(self) -> Any:
        """The inner optimizer's step counter."""
        return self.inner_optimizer.iterations

    @property
    def iterations_variable(self) -> Variable:
        """The inner optimizer's step ``Variable``."""
        return self.inner_optimizer.iterations_variable

    @property
    def learning_rate(self) -> float:
        """The inner optimizer's learning rate (settable, as in Keras)."""
        return self.inner_optimizer.learning_rate

    @learning_rate.setter
    def learning_rate(self, value: Any) -> None:
        self.inner_optimizer.learning_rate = value

    @property
    def learning_rate_schedule(self) -> Any:
        """The inner optimizer's schedule, or ``None``."""
        return self.inner_optimizer.learning_rate_schedule

    def learning_rate_at(self, step: Any, lr: Any = None) -> Any:
        """The inner optimizer's learning rate at ``step``."""
        return self.inner_optimizer.learning_rate_at(step, lr)

    @property
    def variables(self) -> list[Variable]:
        """The inner optimizer's variables."""
        return self.inner_optimizer.variables

    def build(self, params: Sequence[Variable]) -> None:
        """Builds the inner optimizer."""
        self.inner_optimizer.build(params)
        self.built = True

    def has_slots(self, param: Variable) -> bool:
        """Whether the inner optimizer has slots for ``param``."""
        return self.inner_optimizer.has_slots(param)

    def slots(self, param: Variable | str) -> dict[str, Variable]:
        """The inner optimizer's slots of ``param``."""
        return self.inner_optimizer.slots(param)

    def state(self) -> dict[str, Variable]:
        """The inner optimizer's state variables."""
        return self.inner_optimizer.state()

    def apply(
        self,
        step: Any,
        lr: Any,
        params: Sequence[Any],
        grads: Sequence[Any],
        slots: Sequence[Mapping[str, Any]],
    ) -> tuple[list[Any], list[dict[str, Any]]]:
        """The inner optimizer's ``apply``."""
        return self.inner_optimizer.apply(step, lr, params, grads, slots)

    def apply_with_state(
        self,
        step: Any,
        lr: Any,
        params: Sequence[Any],
        grads: Sequence[Any],
        slots: Sequence[Mapping[str, Any]],
        state: Mapping[str, Any] | None = None,
        variables: Sequence[Variable] | None = None,
    ) -> tuple[list[Any], list[dict[str, Any]], dict[str, Any]]:
        """The inner optimizer's ``apply_with_state``."""
        return self.inner_optimizer.apply_with_state(
            step, lr, params, grads, slots, state, variables
        )

    def apply_gradients(self, grads_and_vars: Sequence[tuple[Any, Variable]]) -> Any:
        """The inner optimizer's ``apply_gradients``."""
        return self.inner_optimizer.apply_gradients(grads_and_vars)

    def stateless_apply(
        self,
        optimizer_variables: Sequence[Any],
        grads: Sequence[Any],
        trainable_variables: Sequence[Any],
    ) -> tuple[list[Any], list[Any]]:
        """The inner optimizer's ``stateless_apply``."""
        return self.inner_optimizer.stateless_apply(
            optimizer_variables, grads, trainable_variables
        )

    def finalize_variable_values(self, var_list: Sequence[Variable]) -> None:
        """The inner optimizer's ``finalize_variable_values``."""
        self.inner_optimizer.finalize_variable_values(var_list)

    def scale_loss(self, loss: Any) -> Any:
        """Returns the loss unchanged (see the class docstring)."""
        return loss

    # -- configuration ----------------------------------------------------------

    def get_config(self) -> dict[str, Any]:
        """Keras's keys: ``name``, ``inner_optimizer`` (serialized),
        ``initial_scale`` and ``dynamic_growth_steps``."""
        from kgraph import optimizers

        return {
            "name": self.name,
            "inner_optimizer": optimizers.serialize(self.inner_optimizer),
            "initial_scale": self.initial_scale,
            "dynamic_growth_steps": self.dynamic_growth_steps,
        }

    @classmethod
    def from_config(
        cls, config: Mapping[str, Any], custom_objects: Mapping[str, Any] | None = None
    ) -> LossScaleOptimizer:
        """Creates the wrapper and its inner optimizer from ``get_config``'s
        output (or Keras's)."""
        from kgraph import optimizers

        config = dict(config)
        inner = config.pop("inner_optimizer")
        if isinstance(inner, Mapping):
            inner = optimizers.deserialize(inner, custom_objects=custom_objects)
        return cls(inner, **config)
