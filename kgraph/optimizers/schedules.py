"""Learning-rate schedules: functions of the optimizer's step counter.

A schedule is called with the step (an int scalar: the optimizer's
``iterations`` before the update) and returns the learning rate, computed with
``kgraph.ops``: eagerly on a number, or as graph nodes on a symbolic step, so
the compiled training step evaluates the schedule itself. The formulas are
Keras 3's (``keras.optimizers.schedules``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from collections.abc import Sequence
from typing import Any

import numpy as np

from kgraph import ops


class LearningRateSchedule:
    """The base class of learning-rate schedules.

    Subclasses implement ``__call__(step)`` with ``kgraph.ops`` functions (or
    Python operators on the step) and ``get_config``.

    Example:

    >>> class InverseStep(LearningRateSchedule):
    ...     def __init__(self, initial_learning_rate):
    ...         self.initial_learning_rate = initial_learning_rate
    ...     def __call__(self, step):
    ...         return self.initial_learning_rate / (ops.cast(step, "float32") + 1)
    ...     def get_config(self):
    ...         return {"initial_learning_rate": self.initial_learning_rate}
    >>> round(float(InverseStep(0.1)(4)), 6)
    0.02
    """

    def __call__(self, step: Any) -> Any:
        """Returns the learning rate at ``step``."""
        raise NotImplementedError(
            f"Learning rate schedule '{type(self).__name__}' must override "
            "`__call__(self, step)`."
        )

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments."""
        raise NotImplementedError(
            f"Learning rate schedule '{type(self).__name__}' must override "
            "`get_config()` in order to be serializable."
        )

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> LearningRateSchedule:
        """Creates a schedule from ``get_config``'s output.

        Args:
            config: the configuration dict.

        Returns:
            A new schedule.
        """
        return cls(**config)


class ExponentialDecay(LearningRateSchedule):
    """Decays the learning rate exponentially with the step.

    ``initial_learning_rate * decay_rate ** (step / decay_steps)``, where the
    exponent is rounded down when ``staircase`` is true.

    Args:
        initial_learning_rate: the learning rate at step 0.
        decay_steps: a positive number of steps per decay by ``decay_rate``.
        decay_rate: the decay factor.
        staircase: whether to decay at discrete intervals.
        name: the schedule's name.

    Raises:
        ValueError: when ``decay_steps`` is not positive.

    Example:

    >>> schedule = ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
    >>> round(float(schedule(10)), 6)
    0.05
    """

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: float,
        decay_rate: float,
        staircase: bool = False,
        name: str = "ExponentialDecay",
    ) -> None:
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = _check_positive("decay_steps", decay_steps)
        self.decay_rate = decay_rate
        self.staircase = staircase
        self.name = name

    def __call__(self, step: Any) -> Any:
        """Returns the decayed learning rate at ``step`` (float32)."""
        exponent = ops.divide(_float_step(step), float(self.decay_steps))
        if self.staircase:
            exponent = ops.floor(exponent)
        return ops.multiply(
            _float32(self.initial_learning_rate),
            ops.power(_float32(self.decay_rate), exponent),
        )

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments."""
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "decay_rate": self.decay_rate,
            "staircase": self.staircase,
            "name": self.name,
        }


class PiecewiseConstantDecay(LearningRateSchedule):
    """A learning rate constant between step boundaries.

    ``values[0]`` while ``step <= boundaries[0]``, ``values[1]`` while
    ``boundaries[0] < step <= boundaries[1]``, ..., and ``values[-1]`` once
    ``step > boundaries[-1]``.

    Args:
        boundaries: increasing step numbers.
        values: the learning rates, one more than ``boundaries``.
        name: the schedule's name.

    Raises:
        ValueError: when ``len(values) != len(boundaries) + 1`` or there is no
            boundary.

    Example:

    >>> schedule = PiecewiseConstantDecay([10, 20], [1.0, 0.5, 0.1])
    >>> [round(float(schedule(step)), 6) for step in (10, 11, 21)]
    [1.0, 0.5, 0.1]
    """

    def __init__(
        self,
        boundaries: Sequence[float],
        values: Sequence[float],
        name: str = "PiecewiseConstant",
    ) -> None:
        if len(boundaries) != len(values) - 1 or not boundaries:
            raise ValueError(
                "The length of boundaries should be 1 less than the length of "
                "values, and there must be at least one boundary. Received: "
                f"boundaries={boundaries} of length {len(boundaries)}, and "
                f"values={values} of length {len(values)}"
            )
        self.boundaries = boundaries
        self.values = values
        self.name = name

    def __call__(self, step: Any) -> Any:
        """Returns the value of the interval holding ``step`` (float32)."""
        step = ops.as_tensor(step)
        # As in Keras, the boundaries take the step's dtype before comparing.
        step_dtype = np.dtype(step.dtype)
        result: Any = _float32(self.values[-1])
        pairs = zip(self.boundaries, self.values[:-1], strict=True)
        for boundary, value in reversed(list(pairs)):
            below = ops.less_equal(step, np.asarray(boundary).astype(step_dtype))
            result = ops.where(below, _float32(value), result)
        return result

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments."""
        return {"boundaries": self.boundaries, "values": self.values, "name": self.name}


class CosineDecay(LearningRateSchedule):
    """Cosine decay, after an optional linear warmup.

    Without warmup (``warmup_target=None``): with ``s = min(step,
    decay_steps)``, the rate is ``initial_learning_rate * ((1 - alpha) * 0.5 *
    (1 + cos(pi * s / decay_steps)) + alpha)``. With warmup, the rate rises
    linearly from ``initial_learning_rate`` to ``warmup_target`` over
    ``warmup_steps`` steps, then decays from ``warmup_target`` the same way
    over the next ``decay_steps`` steps.

    Args:
        initial_learning_rate: the learning rate at step 0.
        decay_steps: a positive number of steps to decay over.
        alpha: the final learning rate, as a fraction of the decay's start.
        name: the schedule's name.
        warmup_target: the learning rate reached after warmup; ``None``
            skips the warmup.
        warmup_steps: the number of warmup steps.

    Raises:
        ValueError: when ``decay_steps`` is not positive or ``warmup_steps``
            is negative.

    Example:

    >>> schedule = CosineDecay(0.1, decay_steps=100)
    >>> [round(float(schedule(step)), 6) for step in (0, 50, 100)]
    [0.1, 0.05, 0.0]
    """

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: float,
        alpha: float = 0.0,
        name: str = "CosineDecay",
        warmup_target: float | None = None,
        warmup_steps: float = 0,
    ) -> None:
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = _check_positive("decay_steps", decay_steps)
        self.alpha = alpha
        self.name = name
        self.warmup_target = warmup_target
        if warmup_steps < 0:
            raise ValueError(
                "Argument `warmup_steps` must be >= 0. Received: "
                f"warmup_steps={warmup_steps}"
            )
        self.warmup_steps = warmup_steps

    def __call__(self, step: Any) -> Any:
        """Returns the learning rate at ``step`` (float32)."""
        step = _float_step(step)
        decay_steps = _float32(self.decay_steps)
        initial = _float32(self.initial_learning_rate)
        if self.warmup_target is None:
            step = ops.minimum(step, decay_steps)
            return self._decay(step, decay_steps, initial)
        target = _float32(self.warmup_target)
        warmup_steps = _float32(self.warmup_steps)
        step = ops.minimum(step, decay_steps + warmup_steps)
        # Keras picks a branch with `cond`; both are computed here, and the
        # unused one may divide by zero harmlessly.
        warmup = ops.add(
            ops.multiply(target - initial, ops.divide(step, warmup_steps)), initial
        )
        decay = self._decay(ops.subtract(step, warmup_steps), decay_steps, target)
        return ops.where(ops.less(step, warmup_steps), warmup, decay)

    def _decay(self, step: Any, decay_steps: Any, start: Any) -> Any:
        fraction = ops.divide(step, decay_steps)
        angle = ops.multiply(np.float32(math.pi), fraction)
        cosine = ops.multiply(0.5, ops.add(1.0, ops.cos(angle)))
        decayed = ops.add(ops.multiply(1 - self.alpha, cosine), self.alpha)
        return ops.multiply(start, decayed)

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments."""
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "alpha": self.alpha,
            "name": self.name,
            "warmup_target": self.warmup_target,
            "warmup_steps": self.warmup_steps,
        }


class PolynomialDecay(LearningRateSchedule):
    """Decays the learning rate polynomially to ``end_learning_rate``.

    With ``s = min(step, decay_steps)``, the rate is ``(initial_learning_rate
    - end_learning_rate) * (1 - s / decay_steps) ** power +
    end_learning_rate``. With ``cycle=True`` the step is not capped: the
    decay restarts over ``decay_steps * ceil(step / decay_steps)`` steps
    (``decay_steps`` at step 0).

    Args:
        initial_learning_rate: the learning rate at step 0.
        decay_steps: a positive number of steps to decay over.
        end_learning_rate: the final learning rate.
        power: the polynomial's power.
        cycle: whether to cycle beyond ``decay_steps``.
        name: the schedule's name.

    Raises:
        ValueError: when ``decay_steps`` is not positive.

    Example:

    >>> schedule = PolynomialDecay(0.1, decay_steps=10, end_learning_rate=0.0)
    >>> [round(float(schedule(step)), 6) for step in (0, 5, 10, 20)]
    [0.1, 0.05, 0.0, 0.0]
    """

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: float,
        end_learning_rate: float = 0.0001,
        power: float = 1.0,
        cycle: bool = False,
        name: str = "PolynomialDecay",
    ) -> None:
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = _check_positive("decay_steps", decay_steps)
        self.end_learning_rate = end_learning_rate
        self.power = power
        self.cycle = cycle
        self.name = name

    def __call__(self, step: Any) -> Any:
        """Returns the learning rate at ``step`` (float32)."""
        step = _float_step(step)
        decay_steps: Any = _float32(self.decay_steps)
        if self.cycle:
            # The first multiple of decay_steps above the step (1 at step 0).
            ceiling = ops.negative(
                ops.floor(ops.divide(ops.negative(step), decay_steps))
            )
            multiplier = ops.where(ops.equal(step, 0.0), _float32(1.0), ceiling)
            decay_steps = ops.multiply(decay_steps, multiplier)
        else:
            step = ops.minimum(step, decay_steps)
        fraction = ops.divide(step, decay_steps)
        end = _float32(self.end_learning_rate)
        span = _float32(self.initial_learning_rate) - end
        decayed = ops.power(ops.subtract(1.0, fraction), _float32(self.power))
        return ops.add(ops.multiply(span, decayed), end)

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments."""
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "end_learning_rate": self.end_learning_rate,
            "power": self.power,
            "cycle": self.cycle,
            "name": self.name,
        }


class InverseTimeDecay(LearningRateSchedule):
    """Decays the learning rate as the inverse of the time.

    ``initial_learning_rate / (1 + decay_rate * step / decay_steps)``, where
    ``step / decay_steps`` is rounded down when ``staircase`` is true.

    Args:
        initial_learning_rate: the learning rate at step 0.
        decay_steps: a positive number of steps per unit of decay.
        decay_rate: the decay rate.
        staircase: whether to decay at discrete intervals.
        name: the schedule's name.

    Raises:
        ValueError: when ``decay_steps`` is not positive.

    Example:

    >>> schedule = InverseTimeDecay(0.1, decay_steps=10, decay_rate=1.0)
    >>> [round(float(schedule(step)), 6) for step in (0, 10, 30)]
    [0.1, 0.05, 0.025]
    """

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: float,
        decay_rate: float,
        staircase: bool = False,
        name: str = "InverseTimeDecay",
    ) -> None:
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = _check_positive("decay_steps", decay_steps)
        self.decay_rate = decay_rate
        self.staircase = staircase
        self.name = name

    def __call__(self, step: Any) -> Any:
        """Returns the decayed learning rate at ``step`` (float32)."""
        fraction = ops.divide(_float_step(step), _float32(self.decay_steps))
        if self.staircase:
            fraction = ops.floor(fraction)
        denominator = ops.add(1.0, ops.multiply(_float32(self.decay_rate), fraction))
        return ops.divide(_float32(self.initial_learning_rate), denominator)

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments."""
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "decay_rate": self.decay_rate,
            "staircase": self.staircase,
            "name": self.name,
        }


class CosineDecayRestarts(LearningRateSchedule):
    """Cosine decay with warm restarts (SGDR, Loshchilov and Hutter, 2016).

    The first period lasts ``first_decay_steps`` steps; each next one is
    ``t_mul`` times longer and starts ``m_mul`` times lower. Inside period
    ``i`` at fraction ``f`` of it, the rate is ``initial_learning_rate *
    ((1 - alpha) * 0.5 * m_mul**i * (1 + cos(pi * f)) + alpha)``. With
    ``c = step / first_decay_steps``: for ``t_mul == 1``, ``i = floor(c)``
    and ``f = c - i``; otherwise ``i = floor(log(1 - c * (1 - t_mul)) /
    log(t_mul))`` and ``f = (c - (1 - t_mul**i) / (1 - t_mul)) / t_mul**i``.

    Args:
        initial_learning_rate: the learning rate at step 0.
        first_decay_steps: a positive number of steps of the first period.
        t_mul: how much longer each period is than the one before.
        m_mul: how much lower each period starts than the one before.
        alpha: the smallest learning rate, as a fraction of the initial one.
        name: the schedule's name.

    Raises:
        ValueError: when ``first_decay_steps`` is not positive.

    Example:

    >>> schedule = CosineDecayRestarts(0.1, first_decay_steps=10)
    >>> [round(float(schedule(step)), 6) for step in (0, 5, 10, 20)]
    [0.1, 0.05, 0.1, 0.05]
    """

    def __init__(
        self,
        initial_learning_rate: float,
        first_decay_steps: float,
        t_mul: float = 2.0,
        m_mul: float = 1.0,
        alpha: float = 0.0,
        name: str = "SGDRDecay",
    ) -> None:
        self.initial_learning_rate = initial_learning_rate
        self.first_decay_steps = _check_positive("first_decay_steps", first_decay_steps)
        self._t_mul = t_mul
        self._m_mul = m_mul
        self.alpha = alpha
        self.name = name

    def __call__(self, step: Any) -> Any:
        """Returns the learning rate at ``step`` (float32)."""
        completed = ops.divide(_float_step(step), _float32(self.first_decay_steps))
        restart, fraction = self._period(completed)
        m_factor = ops.power(_float32(self._m_mul), restart)
        angle = ops.multiply(np.float32(math.pi), fraction)
        cosine = ops.multiply(ops.multiply(0.5, m_factor), ops.add(1.0, ops.cos(angle)))
        alpha = _float32(self.alpha)
        decayed = ops.add(ops.multiply(1.0 - alpha, cosine), alpha)
        return ops.multiply(_float32(self.initial_learning_rate), decayed)

    def _period(self, completed: Any) -> tuple[Any, Any]:
        """The period index ``i`` and the fraction ``f`` done of it."""
        if self._t_mul == 1.0:
            restart = ops.floor(completed)
            return restart, ops.subtract(completed, restart)
        t_mul = _float32(self._t_mul)
        grown = ops.subtract(1.0, ops.multiply(completed, 1.0 - t_mul))
        restart = ops.floor(ops.divide(ops.log(grown), np.log(t_mul)))
        length = ops.power(t_mul, restart)
        before = ops.divide(ops.subtract(1.0, length), 1.0 - t_mul)
        return restart, ops.divide(ops.subtract(completed, before), length)

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments."""
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "first_decay_steps": self.first_decay_steps,
            "t_mul": self._t_mul,
            "m_mul": self._m_mul,
            "alpha": self.alpha,
            "name": self.name,
        }


ALL_SCHEDULES: dict[str, type[LearningRateSchedule]] = {
    "ExponentialDecay": ExponentialDecay,
    "PiecewiseConstantDecay": PiecewiseConstantDecay,
    "CosineDecay": CosineDecay,
    "CosineDecayRestarts": CosineDecayRestarts,
    "InverseTimeDecay": InverseTimeDecay,
    "PolynomialDecay": PolynomialDecay,
}


def serialize(schedule: LearningRateSchedule) -> dict[str, Any]:
    """Returns a schedule as a dict, in Keras 3's serialization format.

    Args:
        schedule: a ``LearningRateSchedule``.

    Returns:
        ``{"module", "class_name", "config", "registered_name"}``.
    """
    return {
        "module": "keras.optimizers.schedules",
        "class_name": type(schedule).__name__,
        "config": schedule.get_config(),
        "registered_name": None,
    }


def deserialize(
    config: Mapping[str, Any], custom_objects: Mapping[str, Any] | None = None
) -> LearningRateSchedule:
    """Rebuilds a schedule from ``serialize``'s output (or Keras's).

    Args:
        config: a dict with ``class_name`` and ``config``.
        custom_objects: extra schedule classes by name.

    Returns:
        The schedule.

    Raises:
        ValueError: for an unknown class name.
    """
    known = {**ALL_SCHEDULES, **(custom_objects or {})}
    name = config.get("class_name") if isinstance(config, Mapping) else None
    if name not in known:
        raise ValueError(
            f"Unknown learning rate schedule. Valid names: {sorted(known)}. "
            f"Received: config={config!r}"
        )
    return known[name].from_config(dict(config.get("config", {})))


def _float_step(step: Any) -> Any:
    """The step as float32, as Keras casts it to the learning rate's dtype."""
    return ops.cast(step, "float32")


def _float32(value: float) -> np.float32:
    """A hyperparameter as a float32 constant (Keras's ``convert_to_tensor``)."""
    return np.float32(value)


def _check_positive(name: str, value: Any) -> Any:
    if isinstance(value, bool) or not value > 0:
        raise ValueError(f"Argument `{name}` must be > 0. Received: {name}={value}")
    return value
