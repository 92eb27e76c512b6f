"""The optimizer base class: hyperparameters, slot variables, and an update rule
written with ``kgraph.ops``.

An optimizer is data for the compiler. ``build`` creates the slot variables
(momentums, velocities, ...) of the trainable parameters, and ``apply`` maps
(step, learning rate, parameters, gradients, slots) to the new parameters and
slots. ``apply`` calls nothing but ``kgraph.ops``, so on arrays it computes one
update at once, and on symbolic tensors it adds the update to the graph: that
is how the optimizer becomes part of the compiled training step.

Argument checks live in ``arguments.py``, gradient clipping in
``clipping.py``, gradient accumulation and the weights' moving average in
``step_rules.py``, and Keras's variable-handling members (``add_variable``,
``set_weights``, ``stateless_apply``, ...) in ``members.py``. NOTE: this file
runs past 400 lines because ``Optimizer`` is the documented interface between
user code, the compiler and callbacks; its code is short, its docstrings are
not.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from collections.abc import Hashable
from collections.abc import Mapping
from collections.abc import Sequence
from typing import Any

import numpy as np

from kgraph import dtypes
from kgraph import ops
from kgraph.optimizers import arguments
from kgraph.optimizers import clipping
from kgraph.optimizers import schedules
from kgraph.optimizers import step_rules
from kgraph.optimizers.members import OptimizerMembers
from kgraph.tensor import SymbolicTensor
from kgraph.tensor import Tensor
from kgraph.tensor import Variable

# Slots the base class adds for Keras's step-level options, before the
# optimizer's own (Keras's variable order).
EMA_SLOT = "average"
ACCUMULATOR_SLOT = "gradient_accumulator"
BASE_SLOTS = (EMA_SLOT, ACCUMULATOR_SLOT)


class Optimizer(OptimizerMembers):
    """Base class of the optimizers: slot variables and a graph-op update.

    A subclass declares its slots with ``slot_groups`` and writes one
    parameter's update in ``update_step`` with ``kgraph.ops`` functions. The
    base class handles the learning rate (a float or a schedule), gradient
    clipping and decoupled weight decay, in Keras 3's order: unscale the
    gradients (``loss_scale_factor``), accumulate them
    (``gradient_accumulation_steps``), clip them, decay the weights (``w -=
    w * weight_decay * lr``), run ``update_step`` for each parameter, then
    update the weights' moving average (``use_ema``). All of it is graph
    ops, so the compiled training step does all of it on every backend.

    Args:
        learning_rate: a non-negative float, or a
            ``kgraph.optimizers.schedules.LearningRateSchedule`` called with
            the step counter.
        weight_decay: if set, a non-negative float: decoupled weight decay.
        clipnorm: if set, clip each gradient so its L2 norm is at most this.
        clipvalue: if set, clip each gradient element to
            ``[-clipvalue, clipvalue]``.
        global_clipnorm: if set, scale all gradients together so their joint
            L2 norm is at most this.
        use_ema: whether to keep an exponential moving average of the
            weights (an ``average`` slot per weight, updated after every
            step: ``average = ema_momentum * average + (1 - ema_momentum) *
            weight``, the weight itself at step 0).
        ema_momentum: the EMA's momentum, in ``[0, 1]``.
        ema_overwrite_frequency: if set, the weights are overwritten with
            their average every this many steps; otherwise
            ``finalize_variable_values`` does it (``fit`` calls it at its
            end).
        loss_scale_factor: if set, ``scale_loss`` multiplies the loss by
            it and the update divides the gradients by it. In a compiled
            model the gradients are scaled by it instead of the loss (the
            same thing: a gradient is linear in the loss).
        gradient_accumulation_steps: if set, an integer >= 2: the gradients
            are summed in a ``gradient_accumulator`` slot per weight and the
            update is applied every this many steps with their mean.
            ``iterations`` then counts updates; schedules see every step.
        name: the optimizer's name, the prefix of its variables' paths;
            defaults to the class name in snake case.
        **kwargs: ``decay`` is accepted with a warning, as in Keras.

    Raises:
        ValueError: for an invalid argument, naming it.

    Example:

    >>> import numpy as np
    >>> from kgraph.optimizers import SGD
    >>> opt = SGD(learning_rate=0.1)
    >>> new_params, new_slots = opt.apply(
    ...     0, 0.1, [np.array([1.0], "float32")], [np.array([0.5], "float32")], [{}]
    ... )
    >>> new_params[0].numpy()
    array([0.95], dtype=float32)
    """

    def __init__(
        self,
        learning_rate: Any,
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
        arguments.check_extra_arguments(kwargs)
        self.name = arguments.check_name(name, type(self).__name__)
        self._learning_rate = arguments.check_learning_rate(learning_rate)
        self.weight_decay = arguments.check_float(
            "weight_decay", weight_decay, minimum=0.0
        )
        self.clipnorm = arguments.check_float("clipnorm", clipnorm, minimum=0.0)
        self.clipvalue = arguments.check_float("clipvalue", clipvalue, minimum=0.0)
        self.global_clipnorm = arguments.check_float(
            "global_clipnorm", global_clipnorm, minimum=0.0
        )
        arguments.check_one_clipping(clipnorm, clipvalue, global_clipnorm)
        self.use_ema, self.ema_momentum, self.ema_overwrite_frequency = (
            arguments.check_ema(use_ema, ema_momentum, ema_overwrite_frequency)
        )
        self.loss_scale_factor = arguments.check_float(
            "loss_scale_factor", loss_scale_factor, minimum=0.0
        )
        self.gradient_accumulation_steps = arguments.check_accumulation_steps(
            gradient_accumulation_steps
        )
        self._iterations = Variable(
            np.zeros((), dtype=np.int64),
            name="iterations",
            path=f"{self.name}/iterations",
            trainable=False,
            dtype="int64",
        )
        # Slots by parameter identity (two parameters may share a path), and
        # the parameters themselves, in build order.
        self._slots: dict[int, dict[str, Variable]] = {}
        self._params: list[Variable] = []
        self._slot_variables: list[Variable] = []
        self._state: dict[str, Variable] = {}
        self._extra_variables: list[Variable] = []
        self._decay_excluded_ids: set[int] = set()
        self._decay_excluded_names: tuple[str, ...] = ()
        self.built = False

    # -- step counter and learning rate -------------------------------------

    @property
    def iterations(self) -> Any:
        """The step counter: a ``Variable`` counting the updates applied.

        With ``gradient_accumulation_steps``, Keras counts updates, not
        steps: this is then the number of steps (``iterations_variable``)
        floor-divided by it, as an int64 array.
        """
        steps = self.gradient_accumulation_steps
        if steps:
            return np.asarray(self._iterations.value // steps)
        return self._iterations

    @property
    def iterations_variable(self) -> Variable:
        """The ``Variable`` counting every step (every ``apply``), which the
        compiled training step reads as ``iterations`` and the trainer
        advances; Keras's ``optimizer._iterations``."""
        return self._iterations

    @property
    def learning_rate(self) -> float:
        """The current learning rate, as a float.

        With a ``LearningRateSchedule`` it is the schedule's value at the
        current step, as Keras returns it. A float learning rate can be set
        at any time (callbacks do); the compiled step reads it from the host
        at every step. An optimizer created with a schedule accepts only
        another schedule.

        Raises:
            TypeError: when setting a float on an optimizer whose learning
                rate is a schedule (as Keras does).
            ValueError: for a negative or non-numeric learning rate.
        """
        rate = self._learning_rate
        if isinstance(rate, schedules.LearningRateSchedule):
            return float(np.asarray(rate(self._iterations.numpy())))
        return rate

    @learning_rate.setter
    def learning_rate(self, value: Any) -> None:
        if isinstance(value, schedules.LearningRateSchedule):
            self._learning_rate = value
            return
        if isinstance(self._learning_rate, schedules.LearningRateSchedule):
            raise TypeError(
                "This optimizer was created with a `LearningRateSchedule` as "
                "its `learning_rate`, so its learning rate cannot be set to a "
                "number. Create the optimizer with a float `learning_rate` to "
                f"make it settable. Received: learning_rate={value!r}"
            )
        self._learning_rate = arguments.check_learning_rate(value)

    @property
    def learning_rate_schedule(self) -> schedules.LearningRateSchedule | None:
        """The ``LearningRateSchedule`` the optimizer uses, or ``None`` when
        its learning rate is a number (which Keras then saves with the
        optimizer's variables)."""
        rate = self._learning_rate
        return rate if isinstance(rate, schedules.LearningRateSchedule) else None

    def learning_rate_at(self, step: Any, lr: Any = None) -> Any:
        """Returns the learning rate used by the update at ``step``.

        Args:
            step: the step counter before the update (int scalar tensor).
            lr: the base learning rate fed by the host (float32 scalar);
                ``None`` means the optimizer's own float learning rate.

        Returns:
            ``schedule(step)`` built with ``kgraph.ops`` when the learning rate
            is a schedule (``lr`` is then ignored), else ``lr``.
        """
        if isinstance(self._learning_rate, schedules.LearningRateSchedule):
            return cast_to(self._learning_rate(step), "float32")
        return self._learning_rate if lr is None else lr

    # -- variables ------------------------------------------------------------

    @property
    def variables(self) -> list[Variable]:
        """``iterations``, every slot variable in creation order, then the
        optimizer's own state variables (Nadam's ``u_product``) and those
        made by ``add_variable``."""
        return [
            self._iterations,
            *self._slot_variables,
            *self._state.values(),
            *self._extra_variables,
        ]

    def slot_groups(self) -> list[tuple[str, ...]]:
        """Names the slot variables ``build`` creates for each parameter.

        Slots are created group by group; inside a group, parameter by
        parameter, each parameter getting the group's names in order. This
        reproduces Keras's variable order (``Adam``: ``[("momentum",
        "velocity"), ("velocity_hat",)]`` gives m0, v0, m1, v1, ..., then the
        velocity_hats). The ``average`` (EMA) and ``gradient_accumulator``
        slots of the base class come before these groups.

        Returns:
            The groups of slot names; none by default.
        """
        return []

    def slot_initial_value(self, slot_name: str) -> float:
        """Returns the value a new slot variable is filled with (0 here)."""
        return 0.0

    def slot_spec(
        self, param: Variable, slot_name: str
    ) -> tuple[tuple, str, Any] | None:
        """Returns ``(shape, dtype, initial value)`` of one slot of ``param``:
        the parameter's shape and dtype and ``slot_initial_value`` unless an
        optimizer keeps slots of other shapes (Adafactor) or starts them at
        an array (ScheduleFreeAdamW: the parameter's value when built);
        ``None`` when ``param`` has no such slot (Muon's ``velocity`` of the
        weights it updates without Adam)."""
        return param.shape, param.dtype, self.slot_initial_value(slot_name)

    def state_variables(self) -> dict[str, float]:
        """The optimizer's own scalar variables (not per parameter), by name,
        with their initial values; updated once per step by
        ``update_state``. None by default."""
        return {}

    def update_state(self, step: Any, state: dict[str, Any]) -> dict[str, Any]:
        """Returns the new values of the ``state_variables`` for this step,
        before the parameters' updates (which see them in their slots).

        Args:
            step: int scalar, the step counter before this update.
            state: the current values by name.
        """
        return {}

    def _all_slot_groups(self) -> list[tuple[str, ...]]:
        groups = [(EMA_SLOT,)] if self.use_ema else []
        if self.gradient_accumulation_steps:
            groups.append((ACCUMULATOR_SLOT,))
        return groups + self.slot_groups()

    def build(self, params: Sequence[Variable]) -> None:
        """Creates the slot variables of the trainable parameters.

        Each slot is a ``Variable`` (by default shaped like its parameter),
        with path ``f"{optimizer.name}/{param.path}/{slot_name}"``. Parameters
        already built (the same objects) and non-trainable ones are skipped,
        so calling ``build`` again with the same parameters does nothing.
        The optimizer's own state variables are created on the first call.

        Args:
            params: the model's trainable ``Variable``s.

        Raises:
            TypeError: when an element is not a ``Variable``.
        """
        fresh: dict[int, Variable] = {}
        for param in params:
            if not isinstance(param, Variable):
                raise TypeError(
                    f"Optimizer '{self.name}' builds its slots from "
                    "kgraph.Variable objects. Received: "
                    f"param={param!r} of type {type(param).__name__}"
                )
            if param.trainable and id(param) not in self._slots:
                fresh.setdefault(id(param), param)
        for key, param in fresh.items():
            self._slots[key] = {}
            self._params.append(param)
        for group in self._all_slot_groups():
            for param in fresh.values():
                for slot_name in group:
                    self._add_slot(param, slot_name)
        if not self.built:
            dtype = self._params[0].dtype if self._params else "float32"
            for name, initial in self.state_variables().items():
                self._state[name] = Variable(
                    np.asarray(initial, dtype=dtypes.to_numpy(dtype)),
                    name=name,
                    path=f"{self.name}/{name}",
                    trainable=False,
                    dtype=dtype,
                )
        self.built = True

    def _add_slot(self, param: Variable, slot_name: str) -> None:
        spec = self.slot_spec(param, slot_name)
        if slot_name in BASE_SLOTS:
            spec = param.shape, param.dtype, 0.0
        if spec is None:
            return
        shape, dtype, initial = spec
        value = np.broadcast_to(
            np.asarray(initial, dtype=dtypes.to_numpy(dtype)), shape
        )
        slot = Variable(
            value,
            name=slot_name,
            path=f"{self.name}/{param.path}/{slot_name}",
            trainable=False,
            dtype=dtype,
        )
        self._slots[id(param)][slot_name] = slot
        self._slot_variables.append(slot)

    def has_slots(self, param: Variable) -> bool:
        """Whether ``build`` has seen this parameter."""
        return id(param) in self._slots

    def slots(self, param: Variable | str) -> dict[str, Variable]:
        """Returns the slot variables of one parameter, by slot name.

        Args:
            param: a built parameter, or its path.

        Returns:
            A new dict ``slot_name -> Variable`` (empty for an optimizer
            without slots, such as SGD without momentum).

        Raises:
            ValueError: when ``build`` has not seen this parameter.
        """
        if isinstance(param, str):
            found = next((p for p in self._params if p.path == param), None)
            key = id(found) if found is not None else None
            path = param
        else:
            key, path = id(param), param.path
        if key not in self._slots:
            raise ValueError(
                f"Optimizer '{self.name}' has no slots for variable '{path}': "
                "call `optimizer.build(params)` with it first. Received: "
                f"param={path!r}"
            )
        return dict(self._slots[key])

    def state(self) -> dict[str, Variable]:
        """The optimizer's own state variables by name (see
        ``state_variables``); empty for most optimizers."""
        return dict(self._state)

    # -- the update -----------------------------------------------------------

    def apply(
        self,
        step: Any,
        lr: Any,
        params: Sequence[Any],
        grads: Sequence[Any],
        slots: Sequence[Mapping[str, Any]],
    ) -> tuple[list[Any], list[dict[str, Any]]]:
        """Computes one optimizer update with ``kgraph.ops``.

        Works eagerly on arrays and ``kgraph.Tensor``s, and symbolically on
        ``SymbolicTensor``s of one graph, where it adds the update's nodes.
        An optimizer with state variables (``state_variables``) reads their
        current values here; ``apply_with_state`` takes and returns them.

        Args:
            step: int scalar, the step counter before this update.
            lr: float32 scalar, the base learning rate fed by the host; unused
                when the learning rate is a schedule.
            params: the parameters' current values.
            grads: their gradients, in the same order.
            slots: for each parameter, its slot values by slot name.

        Returns:
            ``(new_params, new_slots)`` in the same structure (``new_slots``
            holds the slots the step changes).

        Raises:
            ValueError: when the three lists differ in length.
        """
        state = {name: var.numpy() for name, var in self._state.items()}
        if not state and self.state_variables():
            state = {
                name: np.float32(value)
                for name, value in self.state_variables().items()
            }
        new_params, new_slots, _ = self.apply_with_state(
            step, lr, params, grads, slots, state
        )
        return new_params, new_slots

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
        """``apply`` with the optimizer's own state variables in and out.

        The compiled training step calls this (``inline_optimizer``).

        Args:
            step: int scalar, the step counter before this update.
            lr: float32 scalar, the base learning rate fed by the host.
            params: the parameters' current values.
            grads: their gradients, in the same order.
            slots: for each parameter, its slot values by slot name.
            state: the state variables' values by name.
            variables: the parameters' ``Variable``s, if known, for
                ``exclude_from_weight_decay``.

        Returns:
            ``(new_params, new_slots, new_state)``.

        Raises:
            ValueError: when the lists differ in length.
        """
        _check_same_length(params, grads, slots)
        params = [as_operand(param) for param in params]
        grads = [as_operand(grad) for grad in grads]
        state = {key: as_operand(value) for key, value in (state or {}).items()}
        if self.loss_scale_factor is not None:
            grads = [ops.divide(grad, self.loss_scale_factor) for grad in grads]
        steps = self.gradient_accumulation_steps
        opt_step, is_update, accumulators = step, None, None
        if steps:
            opt_step = step_rules.floor_divide(step, steps)
            is_update = step_rules.is_last_of(step, steps)
            grads, accumulators = step_rules.accumulate(
                is_update, grads, [s[ACCUMULATOR_SLOT] for s in slots], steps
            )
        grads = self.clip_gradients(grads)
        rate = self.learning_rate_at(step, lr)
        new_state = self.update_state(opt_step, state)
        new_params: list[Any] = []
        new_slots: list[dict[str, Any]] = []
        self._shared: dict[Hashable, Any] | None = {}
        try:
            for index, (param, grad) in enumerate(zip(params, grads, strict=True)):
                own = {k: v for k, v in slots[index].items() if k not in BASE_SLOTS}
                dtype = dtype_of(param)
                param_rate = cast_to(rate, dtype)
                decayed = param
                if self._decays(variables[index] if variables else None):
                    decayed = self._decay_weights(param, param_rate, own)
                new_param, updated = self.update_step(
                    opt_step,
                    param_rate,
                    decayed,
                    cast_to(grad, dtype),
                    {**new_state, **own},
                )
                updated = {k: v for k, v in updated.items() if k in own}
                if is_update is not None:
                    new_param = ops.where(is_update, new_param, param)
                    updated = {
                        k: ops.where(is_update, v, own[k]) for k, v in updated.items()
                    }
                    assert accumulators is not None
                    updated[ACCUMULATOR_SLOT] = accumulators[index]
                if self.use_ema:
                    new_param = self._moving_average(
                        opt_step, new_param, slots[index][EMA_SLOT], updated
                    )
                new_params.append(new_param)
                new_slots.append(updated)
        finally:
            self._shared = None
        if is_update is not None:
            new_state = {
                k: ops.where(is_update, v, state[k]) for k, v in new_state.items()
            }
        return new_params, new_slots, new_state

    def shared_per_update(self, key: Hashable, build: Callable[[], Any]) -> Any:
        """A value built once per update and shared by all its parameters.

        ``update_step`` runs once per parameter; a value that depends only
        on the step and the learning rate (Adam's bias-corrected step size)
        is built for the first parameter and reused by the others, so the
        training graph holds one copy instead of one per parameter.

        Args:
            key: what the value is, with whatever it depends on besides the
                update (a dtype).
            build: makes the value.

        Returns:
            The value built for ``key`` in this update (built now outside
            one).
        """
        shared = getattr(self, "_shared", None)
        if shared is None:
            return build()
        if key not in shared:
            shared[key] = build()
        return shared[key]

    def _moving_average(
        self, step: Any, new_param: Any, average: Any, updated: dict[str, Any]
    ) -> Any:
        """Updates the ``average`` slot into ``updated``; returns the
        parameter, overwritten by the average on the steps Keras does."""
        average = step_rules.moving_average(average, new_param, step, self.ema_momentum)
        updated[EMA_SLOT] = average
        if not self.ema_overwrite_frequency:
            return new_param
        overwrite = step_rules.is_last_of(step, self.ema_overwrite_frequency)
        return ops.where(overwrite, average, new_param)

    def update_step(
        self,
        step: Any,
        lr: Any,
        param: Any,
        grad: Any,
        slots: dict[str, Any],
    ) -> tuple[Any, dict[str, Any]]:
        """Updates one parameter; each optimizer implements it.

        Args:
            step: int scalar, the step counter before this update (updates
                applied, with gradient accumulation).
            lr: the learning rate, in the parameter's dtype.
            param: the parameter, after weight decay.
            grad: its clipped gradient, in the parameter's dtype.
            slots: its slot values by slot name, and the optimizer's state
                variables after ``update_state``.

        Returns:
            ``(new_param, new_slots)``, ``new_slots`` holding the slots the
            update changes.
        """
        raise NotImplementedError(
            f"Optimizer '{type(self).__name__}' must implement "
            "`update_step(step, lr, param, grad, slots)`."
        )

    def clip_gradients(self, grads: Sequence[Any]) -> list[Any]:
        """Clips gradients as configured (Keras 3's ``_clip_gradients``).

        Args:
            grads: the gradients.

        Returns:
            The clipped gradients (the same ones when no clipping is set).
        """
        if self.clipnorm:
            return [clipping.clip_by_norm(grad, self.clipnorm) for grad in grads]
        if self.global_clipnorm:
            return clipping.clip_by_global_norm(grads, self.global_clipnorm)
        if self.clipvalue:
            limit = self.clipvalue
            return [ops.clip(grad, -limit, limit) for grad in grads]
        return list(grads)

    def _decays(self, variable: Variable | None) -> bool:
        """Whether weight decay may apply to ``variable`` (Keras's
        ``_use_weight_decay``: not excluded by object or name)."""
        if variable is None:
            return True
        if id(variable) in self._decay_excluded_ids:
            return False
        return not any(re.search(p, variable.name) for p in self._decay_excluded_names)

    def weight_decay_for(self, slots: Mapping[str, Any]) -> float | None:
        """The decoupled weight decay of a parameter with these slots:
        ``weight_decay`` (Muon uses another rate for its Adam weights)."""
        return self.weight_decay

    def _decay_weights(self, param: Any, lr: Any, slots: Mapping[str, Any]) -> Any:
        rate = self.weight_decay_for(slots)
        if rate is None:
            return param
        decay = ops.multiply(ops.multiply(param, rate), lr)
        return ops.subtract(param, decay)

    def apply_gradients(
        self, grads_and_vars: Sequence[tuple[Any, Variable]]
    ) -> Variable:
        """Updates variables in place, eagerly, and counts the step.

        The Keras method, for use outside a compiled model: it builds the
        slots when needed, runs ``apply_with_state`` on the current values,
        assigns the results, applies the variables' constraints and
        increments ``iterations``.

        Args:
            grads_and_vars: ``(gradient, variable)`` pairs.

        Returns:
            The ``iterations`` variable.

        Example:

        >>> import kgraph
        >>> from kgraph.optimizers import RMSprop
        >>> var = kgraph.Variable([10.0], name="var")
        >>> _ = RMSprop(learning_rate=0.1).apply_gradients([([10.0], var)])
        >>> var.numpy().round(6)
        array([9.683772], dtype=float32)
        """
        grads = [grad for grad, _ in grads_and_vars]
        variables = [variable for _, variable in grads_and_vars]
        self.build(variables)
        slots = [self.slots(variable) for variable in variables]
        new_params, new_slots, new_state = self.apply_with_state(
            self._iterations.numpy(),
            None,
            [variable.numpy() for variable in variables],
            grads,
            [{key: slot.numpy() for key, slot in group.items()} for group in slots],
            {name: var.numpy() for name, var in self._state.items()},
            variables,
        )
        for variable, value in zip(variables, new_params, strict=True):
            variable.assign(np.asarray(value))
            apply_constraint(variable)
        for group, values in zip(slots, new_slots, strict=True):
            for key, value in values.items():
                group[key].assign(np.asarray(value))
        for name, value in new_state.items():
            self._state[name].assign(np.asarray(value))
        self._iterations.assign(self._iterations.numpy() + 1)
        return self._iterations

    # -- configuration --------------------------------------------------------

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments, with Keras 3's keys.

        A schedule is stored as its ``schedules.serialize`` dict.
        """
        rate = self._learning_rate
        if isinstance(rate, schedules.LearningRateSchedule):
            rate = schedules.serialize(rate)
        return {
            "name": self.name,
            "learning_rate": rate,
            "weight_decay": self.weight_decay,
            "clipnorm": self.clipnorm,
            "global_clipnorm": self.global_clipnorm,
            "clipvalue": self.clipvalue,
            "use_ema": self.use_ema,
            "ema_momentum": self.ema_momentum,
            "ema_overwrite_frequency": self.ema_overwrite_frequency,
            "loss_scale_factor": self.loss_scale_factor,
            "gradient_accumulation_steps": self.gradient_accumulation_steps,
        }

    @classmethod
    def from_config(
        cls, config: Mapping[str, Any], custom_objects: Mapping[str, Any] | None = None
    ) -> Optimizer:
        """Creates an optimizer from ``get_config``'s output (or Keras's).

        Args:
            config: the configuration dict.
            custom_objects: extra schedule classes by name.

        Returns:
            A new optimizer, without state (not built, step 0).
        """
        config = dict(config)
        if isinstance(config.get("learning_rate"), Mapping):
            config["learning_rate"] = schedules.deserialize(
                config["learning_rate"], custom_objects=custom_objects
            )
        return cls(**config)

    def __repr__(self) -> str:
        return (
            f"<{type(self).__name__} name={self.name} "
            f"learning_rate={self._learning_rate!r}>"
        )


def apply_constraint(variable: Variable) -> None:
    """Eagerly replaces a variable's value by its constraint's result, if it
    has a constraint (Keras applies it after every update)."""
    constraint = getattr(variable, "constraint", None)
    if constraint is not None:
        variable.assign(np.asarray(constraint(ops.as_tensor(variable.numpy()))))


# -- helpers shared by the optimizers ----------------------------------------


def as_operand(value: Any) -> Any:
    """Returns tensors and arrays as they are, anything else as a ``Tensor``."""
    if isinstance(value, SymbolicTensor | Tensor | Variable | np.ndarray | np.generic):
        return value
    return ops.as_tensor(value)


def dtype_of(value: Any) -> str:
    """Returns kgraph's dtype name of a tensor, variable or array."""
    return dtypes.canonical(value.dtype)


def cast_to(value: Any, dtype: str) -> Any:
    """Casts a tensor to ``dtype`` unless it already has it.

    Python numbers are returned unchanged: kgraph's ops give them the dtype
    of the tensor they meet, as ``ops.cast`` would.
    """
    if isinstance(value, bool | int | float):
        return value
    value = as_operand(value)
    return value if dtype_of(value) == dtype else ops.cast(value, dtype)


def _check_same_length(
    params: Sequence[Any], grads: Sequence[Any], slots: Sequence[Any]
) -> None:
    if not len(params) == len(grads) == len(slots):
        raise ValueError(
            "apply: `params`, `grads` and `slots` must have one entry per "
            f"parameter. Received: len(params)={len(params)}, "
            f"len(grads)={len(grads)}, len(slots)={len(slots)}"
        )
