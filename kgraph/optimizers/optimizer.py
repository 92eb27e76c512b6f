"""The optimizer base class: hyperparameters, slot variables, and an update rule
written with ``kgraph.ops``.

An optimizer is data for the compiler. ``build`` creates the slot variables
(momentums, velocities, ...) of the trainable parameters, and ``apply`` maps
(step, learning rate, parameters, gradients, slots) to the new parameters and
slots. ``apply`` calls nothing but ``kgraph.ops``, so on arrays it computes one
update at once, and on symbolic tensors it adds the update to the graph: that
is how the optimizer becomes part of the compiled training step.

Argument checks live in ``arguments.py`` and gradient clipping in
``clipping.py``. NOTE: this file runs past 400 lines because ``Optimizer`` is
the documented interface between user code, the compiler and callbacks; its
code is short, its docstrings are not.
"""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Sequence
from typing import Any

import numpy as np

from kgraph import dtypes
from kgraph import ops
from kgraph.optimizers import arguments
from kgraph.optimizers import clipping
from kgraph.optimizers import schedules
from kgraph.tensor import SymbolicTensor
from kgraph.tensor import Tensor
from kgraph.tensor import Variable


class Optimizer:
    """Base class of the optimizers: slot variables and a graph-op update.

    A subclass declares its slots with ``slot_groups`` and writes one
    parameter's update in ``update_step`` with ``kgraph.ops`` functions. The
    base class handles the learning rate (a float or a schedule), gradient
    clipping and decoupled weight decay, in Keras 3's order: clip the
    gradients, decay the weights (``w -= w * weight_decay * lr``), then run
    ``update_step`` for each parameter.

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
        name: the optimizer's name, the prefix of its variables' paths;
            defaults to the class name in snake case.
        **kwargs: Keras's ``use_ema``, ``ema_momentum``,
            ``ema_overwrite_frequency``, ``loss_scale_factor`` and
            ``gradient_accumulation_steps`` are accepted at their defaults
            (so Keras configs load); kgraph does not implement them yet.

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
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        self._inert_arguments = arguments.check_inert_arguments(kwargs)
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
        self.iterations = Variable(
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
        self.built = False

    # -- learning rate ------------------------------------------------------

    @property
    def learning_rate(self) -> Any:
        """The learning rate: a float, or a ``LearningRateSchedule``.

        A float learning rate can be set at any time (callbacks do); the
        compiled step reads it from the host at every step. An optimizer
        created with a schedule accepts only another schedule.

        Raises:
            TypeError: when setting a float on an optimizer whose learning
                rate is a schedule (as Keras does).
            ValueError: for a negative or non-numeric learning rate.
        """
        return self._learning_rate

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
        """``iterations``, then every slot variable in creation order."""
        return [self.iterations, *self._slot_variables]

    def slot_groups(self) -> list[tuple[str, ...]]:
        """Names the slot variables ``build`` creates for each parameter.

        Slots are created group by group; inside a group, parameter by
        parameter, each parameter getting the group's names in order. This
        reproduces Keras's variable order (``Adam``: ``[("momentum",
        "velocity"), ("velocity_hat",)]`` gives m0, v0, m1, v1, ..., then the
        velocity_hats).

        Returns:
            The groups of slot names; none by default.
        """
        return []

    def slot_initial_value(self, slot_name: str) -> float:
        """Returns the value a new slot variable is filled with (0 here)."""
        return 0.0

    def build(self, params: Sequence[Variable]) -> None:
        """Creates the slot variables of the trainable parameters.

        Each slot is a ``Variable`` shaped like its parameter, with path
        ``f"{optimizer.name}/{param.path}/{slot_name}"``. Parameters already
        built (the same objects) and non-trainable ones are skipped, so calling
        ``build`` again with the same parameters does nothing.

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
        for group in self.slot_groups():
            for param in fresh.values():
                for slot_name in group:
                    self._add_slot(param, slot_name)
        self.built = True

    def _add_slot(self, param: Variable, slot_name: str) -> None:
        value = np.full(
            param.shape,
            self.slot_initial_value(slot_name),
            dtype=dtypes.to_numpy(param.dtype),
        )
        slot = Variable(
            value,
            name=slot_name,
            path=f"{self.name}/{param.path}/{slot_name}",
            trainable=False,
            dtype=param.dtype,
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
        The order is Keras 3's: clip the gradients, apply decoupled weight
        decay, then ``update_step`` for each parameter.

        Args:
            step: int scalar, the step counter before this update.
            lr: float32 scalar, the base learning rate fed by the host; unused
                when the learning rate is a schedule.
            params: the parameters' current values.
            grads: their gradients, in the same order.
            slots: for each parameter, its slot values by slot name.

        Returns:
            ``(new_params, new_slots)`` in the same structure.

        Raises:
            ValueError: when the three lists differ in length.
        """
        _check_same_length(params, grads, slots)
        params = [as_operand(param) for param in params]
        grads = self.clip_gradients([as_operand(grad) for grad in grads])
        rate = self.learning_rate_at(step, lr)
        new_params: list[Any] = []
        new_slots: list[dict[str, Any]] = []
        for param, grad, param_slots in zip(params, grads, slots, strict=True):
            dtype = dtype_of(param)
            param_rate = cast_to(rate, dtype)
            param = self._decay_weights(param, param_rate)
            new_param, updated = self.update_step(
                step, param_rate, param, cast_to(grad, dtype), dict(param_slots)
            )
            new_params.append(new_param)
            new_slots.append(updated)
        return new_params, new_slots

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
            step: int scalar, the step counter before this update.
            lr: the learning rate, in the parameter's dtype.
            param: the parameter, after weight decay.
            grad: its clipped gradient, in the parameter's dtype.
            slots: its slot values by slot name.

        Returns:
            ``(new_param, new_slots)``, ``new_slots`` holding every slot.
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

    def _decay_weights(self, param: Any, lr: Any) -> Any:
        if self.weight_decay is None:
            return param
        decay = ops.multiply(ops.multiply(param, self.weight_decay), lr)
        return ops.subtract(param, decay)

    def apply_gradients(
        self, grads_and_vars: Sequence[tuple[Any, Variable]]
    ) -> Variable:
        """Updates variables in place, eagerly, and counts the step.

        The Keras method, for use outside a compiled model: it builds the
        slots when needed, runs ``apply`` on the current values, assigns the
        results and increments ``iterations``.

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
        new_params, new_slots = self.apply(
            self.iterations.numpy(),
            None,
            [variable.numpy() for variable in variables],
            grads,
            [{key: slot.numpy() for key, slot in group.items()} for group in slots],
        )
        for variable, value in zip(variables, new_params, strict=True):
            variable.assign(np.asarray(value))
        for group, values in zip(slots, new_slots, strict=True):
            for key, slot in group.items():
                slot.assign(np.asarray(values[key]))
        self.iterations.assign(self.iterations.numpy() + 1)
        return self.iterations

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
            **self._inert_arguments,
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
