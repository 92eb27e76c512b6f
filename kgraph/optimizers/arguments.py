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

# Keras 3 constructor arguments that kgraph accepts only at values where they
# change nothing, so that Keras configs (which always carry them) load.
_INERT_ARGUMENTS: dict[str, Any] = {
    "use_ema": False,
    "ema_momentum": 0.99,
    "ema_overwrite_frequency": None,
    "loss_scale_factor": None,
    "gradient_accumulation_steps": None,
}
# The ones among them that would change the update if set.
_UNSUPPORTED_UNLESS_DEFAULT = (
    "use_ema",
    "loss_scale_factor",
    "gradient_accumulation_steps",
)


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


def check_inert_arguments(kwargs: dict[str, Any]) -> dict[str, Any]:
    """Validates Keras-only keyword arguments; returns them with defaults."""
    if kwargs.pop("decay", None) is not None:
        warnings.warn(
            "Argument `decay` is no longer supported and will be ignored.",
            stacklevel=3,
        )
    unknown = sorted(set(kwargs) - set(_INERT_ARGUMENTS))
    if unknown:
        raise ValueError(
            f"Argument(s) not recognized: {unknown}. Received: "
            f"{', '.join(f'{key}={kwargs[key]!r}' for key in unknown)}"
        )
    result = {**_INERT_ARGUMENTS, **kwargs}
    for key in _UNSUPPORTED_UNLESS_DEFAULT:
        if result[key] != _INERT_ARGUMENTS[key]:
            raise ValueError(
                f"Argument `{key}` is not supported by kgraph yet; leave it at "
                f"{_INERT_ARGUMENTS[key]!r}. Received: {key}={result[key]!r}"
            )
    return result
