"""Validation of optimizer arguments, with Keras-style error messages.

Constructors call these at once, so a bad hyperparameter fails where the
optimizer is created, naming the argument and ending with
``Received: name=value``.
"""

from __future__ import annotations

import re
import warnings
from typing import Any

import numpy as np

from kgraph.optimizers import schedules


def check_float(
    name: str,
    value: Any,
    minimum: float | None = None,
    maximum: float | None = None,
    below_maximum: bool = False,
    allow_none: bool = True,
) -> float | None:
    """Validates a float hyperparameter.

    Args:
        name: the argument's name, for the message.
        value: the value given.
        minimum: the smallest allowed value, if any.
        maximum: the largest allowed value, if any.
        below_maximum: whether ``maximum`` itself is excluded.
        allow_none: whether ``None`` (unset) is allowed.

    Returns:
        The value as a Python float, or ``None``.

    Raises:
        ValueError: naming the argument and the allowed range.
    """
    if value is None and allow_none:
        return None
    number = _as_float(value)
    if number is None or not _in_range(number, minimum, maximum, below_maximum):
        raise ValueError(
            f"Argument `{name}` must be {_describe(minimum, maximum, below_maximum)}"
            f"{' or None' if allow_none else ''}. Received: {name}={value!r}"
        )
    return number


def check_bool(name: str, value: Any) -> bool:
    """Validates a boolean argument.

    Raises:
        ValueError: when ``value`` is not ``True`` or ``False``.
    """
    if not isinstance(value, bool | np.bool_):
        raise ValueError(
            f"Argument `{name}` must be True or False. Received: {name}={value!r}"
        )
    return bool(value)


def _as_float(value: Any) -> float | None:
    if isinstance(value, bool | np.bool_ | str) or value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _in_range(
    number: float, minimum: float | None, maximum: float | None, open_max: bool
) -> bool:
    if np.isnan(number) or (minimum is not None and number < minimum):
        return False
    if maximum is None:
        return True
    return number < maximum if open_max else number <= maximum


def _describe(minimum: float | None, maximum: float | None, open_max: bool) -> str:
    if minimum is not None and maximum is not None:
        return f"a float in [{minimum:g}, {maximum:g}{')' if open_max else ']'}"
    if minimum is not None:
        return f"a float >= {minimum:g}"
    if maximum is not None:
        return f"a float {'<' if open_max else '<='} {maximum:g}"
    return "a float"


def check_learning_rate(value: Any) -> Any:
    if isinstance(value, schedules.LearningRateSchedule):
        return value
    number = _as_float(value)
    if number is None or not number >= 0 or not np.isfinite(number):
        raise ValueError(
            "Argument `learning_rate` must be a non-negative float or a "
            "`kgraph.optimizers.schedules.LearningRateSchedule`. Received: "
            f"learning_rate={value!r}"
        )
    return number


def check_one_clipping(clipnorm: Any, clipvalue: Any, global_clipnorm: Any) -> None:
    if sum(x is not None for x in (clipnorm, clipvalue, global_clipnorm)) > 1:
        raise ValueError(
            "Only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be "
            f"set. Received: clipnorm={clipnorm}, clipvalue={clipvalue}, "
            f"global_clipnorm={global_clipnorm}"
        )


def check_name(name: Any, class_name: str) -> str:
    if name is None:
        return snake_case(class_name)
    if not isinstance(name, str) or not name:
        raise ValueError(
            f"Argument `name` must be a non-empty string. Received: name={name!r}"
        )
    return name


def snake_case(name: str) -> str:
    """Keras's ``to_snake_case``: ``"SGD"`` -> ``"sgd"``."""
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def check_extra_arguments(kwargs: dict[str, Any]) -> None:
    """Rejects keyword arguments no optimizer takes; warns for ``decay``.

    Raises:
        ValueError: naming the unknown arguments.
    """
    if kwargs.pop("decay", None) is not None:
        warnings.warn(
            "Argument `decay` is no longer supported and will be ignored.",
            stacklevel=4,
        )
    if kwargs:
        unknown = sorted(kwargs)
        raise ValueError(
            f"Argument(s) not recognized: {unknown}. Received: "
            f"{', '.join(f'{key}={kwargs[key]!r}' for key in unknown)}"
        )


def check_ema(
    use_ema: Any, ema_momentum: Any, ema_overwrite_frequency: Any
) -> tuple[bool, float, int | None]:
    """Validates the EMA arguments as Keras does (only when ``use_ema``).

    Returns:
        ``(use_ema, ema_momentum, ema_overwrite_frequency)``.

    Raises:
        ValueError: for a momentum outside ``[0, 1]`` or a frequency that is
            not a positive integer.
    """
    use_ema = check_bool("use_ema", use_ema)
    if not use_ema:
        return use_ema, ema_momentum, ema_overwrite_frequency
    momentum = check_float(
        "ema_momentum", ema_momentum, minimum=0.0, maximum=1.0, allow_none=False
    )
    frequency = ema_overwrite_frequency
    if frequency is not None and (
        isinstance(frequency, bool)
        or not isinstance(frequency, int | np.integer)
        or frequency < 1
    ):
        raise ValueError(
            "`ema_overwrite_frequency` must be an integer >= 1 or None. "
            f"Received: ema_overwrite_frequency={frequency!r}"
        )
    assert momentum is not None
    return use_ema, momentum, None if frequency is None else int(frequency)


def check_accumulation_steps(value: Any) -> int | None:
    """Validates ``gradient_accumulation_steps``: ``None`` (or 0), or an
    integer >= 2.

    Raises:
        ValueError: for any other value.
    """
    if value is None or (not isinstance(value, bool) and value == 0):
        return None
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 2:
        raise ValueError(
            "`gradient_accumulation_steps` must be an integer >= 2. "
            f"Received: gradient_accumulation_steps={value!r}"
        )
    return int(value)


def check_beta(name: str, value: Any) -> float:
    """Validates a moment decay rate: a float in ``[0, 1)``.

    Raises:
        ValueError: naming the argument.
    """
    result = check_float(
        name, value, minimum=0.0, maximum=1.0, below_maximum=True, allow_none=False
    )
    assert result is not None
    return result


def check_non_negative(name: str, value: Any) -> float:
    """Validates a float hyperparameter that must be >= 0 (not ``None``).

    Raises:
        ValueError: naming the argument.
    """
    result = check_float(name, value, minimum=0.0, allow_none=False)
    assert result is not None
    return result
